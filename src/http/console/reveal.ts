import { esc } from './layout.js';

/**
 * A value shown once after an action (a SCIM token, a client secret, a join link), read-only, with a
 * copy button the script enables and a live region that says it was copied.
 */
export function reveal(id: string, label: string, value: string, copy: { button: string; copied: string }): string {
  return `<p><label for="${esc(id)}">${esc(label)}</label></p>
<p><input id="${esc(id)}" type="text" readonly value="${esc(value)}" autocomplete="off" spellcheck="false"> <button type="button" class="secondary" data-copy="${esc(id)}" data-status="${esc(id)}-status" data-copied="${esc(copy.copied)}" hidden>${esc(copy.button)}</button></p>
<p id="${esc(id)}-status" class="muted" role="status" aria-live="polite"></p>`;
}

export const when = (iso: string | undefined): string => (iso ? `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').slice(0, 16))} UTC</time>` : '<span class="muted">never</span>');
