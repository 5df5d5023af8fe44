import { esc } from '../layout.js';
import type { ConfigField } from './fields.js';

/** Problems by form field, each already worded with its coded error ("connector.invalid_config: …"). */
export type FieldErrors = Record<string, string>;

const fid = (name: string) => `f-${name.replace(/[^A-Za-z0-9_-]/g, '-')}`;

/**
 * One labelled control with its help and, when the service refused it, its error right under it
 * (tied with aria-describedby and aria-invalid, so a screen reader reads it with the field).
 */
export function field(f: ConfigField & { type?: 'text' | 'number' | 'url' }, value: string, errors: FieldErrors, opts: { stored?: boolean } = {}): string {
  const id = fid(f.name);
  const error = errors[f.name];
  const described = [`${id}-help`, ...(error ? [`${id}-error`] : [])].join(' ');
  const keep = f.secret && opts.stored ? ' Stored and never shown again: leave blank to keep it.' : '';
  const attrs = `id="${id}" name="${esc(f.name)}" aria-describedby="${described}"${error ? ' aria-invalid="true"' : ''} autocomplete="off" spellcheck="false"`;
  const control = f.multiline
    ? `<textarea ${attrs} rows="4">${f.secret ? '' : esc(value)}</textarea>`
    : `<input ${attrs} type="${f.secret ? 'password' : (f.type ?? 'text')}" value="${f.secret ? '' : esc(value)}"${f.type === 'number' ? ' min="0" step="any"' : ''}>`;
  return `<div class="field">
<label for="${id}">${esc(f.label)}</label>
${control}
<p id="${id}-help" class="help">${esc(f.help)}${keep}</p>
${error ? `<p id="${id}-error" class="field-error">${esc(error)}</p>` : ''}
</div>`;
}

export function checkbox(name: string, label: string, checked: boolean, help: string): string {
  const id = fid(name);
  return `<div class="field check">
<input type="checkbox" id="${id}" name="${esc(name)}" value="on"${checked ? ' checked' : ''} aria-describedby="${id}-help">
<label for="${id}">${esc(label)}</label>
<p id="${id}-help" class="help">${esc(help)}</p>
</div>`;
}

/** The alert above a refused form: what was refused, with links to each field to fix. */
export function errorSummary(errors: FieldErrors, labels: Record<string, string>, what: string, opts: { secrets?: boolean } = {}): string {
  const names = Object.keys(errors);
  if (!names.length) return '';
  const items = names.map((n) => `<li>${labels[n] ? `<a href="#${fid(n)}">${esc(labels[n])}</a>: ` : ''}${esc(errors[n]!)}</li>`).join('');
  return `<div class="notice error" role="alert"><p>${esc(what)}: ${names.length === 1 ? 'one field needs' : `${names.length} fields need`} a fix.</p><ul>${items}</ul>${opts.secrets ? '<p>Secrets you typed are never sent back to the browser: enter them again.</p>' : ''}</div>`;
}

export const when = (iso: string | undefined) => (iso ? `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').slice(0, 19))} UTC</time>` : '<span class="muted">never</span>');
