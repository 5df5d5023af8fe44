import type { ActorKind, AuditEvent } from '../../domain/model.js';
import type { AuditVerification } from '../../domain/audit-verification.js';
import { csrfField, esc, layout, type Chrome } from './layout.js';
import { formatAnchor } from '../../domain/audit-anchor.js';
import type { AuditHead } from '../../services/audit.js';
import { reveal, when } from './reveal.js';

export const ACTOR_KINDS: readonly ActorKind[] = ['admin', 'portal', 'member', 'cli', 'scim', 'directory', 'invite', 'service', 'system'];
const ACTOR_LABELS: Record<ActorKind, string> = {
  admin: 'Admin API key',
  portal: 'Console session (portal link)',
  member: 'Console session (signed-in member)',
  cli: 'idsync CLI',
  scim: 'SCIM (identity provider)',
  directory: 'Directory connection',
  invite: 'Person joining',
  service: 'Service account',
  system: 'idsync itself',
};

export interface AuditFilters {
  action: string;
  actor: string;
  /** YYYY-MM-DD, as typed. */
  from: string;
  to: string;
}

export interface AuditView {
  chrome: Chrome;
  notices: string[];
  filters: AuditFilters;
  items: AuditEvent[];
  total: number;
  scanned: number;
  olderHref?: string;
  newestHref?: string;
  /** The org's latest background verification, if any. */
  verification?: AuditVerification;
  /** The trail's last event, shown as an anchor to copy. */
  head?: AuditHead;
  /** The anchor as typed into the verify form (kept when it was refused). */
  anchor?: string;
  /** Why the typed anchor was refused, shown next to the field. */
  anchorError?: string;
}

export function auditPage(v: AuditView): string {
  const base = `/console/orgs/${esc(v.chrome.orgId)}/audit`;
  const filtered = Boolean(v.filters.action || v.filters.actor || v.filters.from || v.filters.to);
  return layout(
    'Audit trail',
    `<h1>Audit trail</h1>
${v.notices.join('\n')}
<section class="card" aria-labelledby="verify-heading">
<h2 id="verify-heading">Integrity</h2>
<p class="muted">Each event carries the hash of the one before it, so a changed, removed or inserted event breaks the chain from there on. Verifying recomputes every hash of ${esc(v.chrome.orgName)}'s trail (${count(v.total)}) in the background: this page shows its progress, then its result, and the result is recorded in the trail.</p>
${v.verification?.status === 'running' ? progress(v.verification, base) : `<form method="post" action="${base}/verify">${csrfField(v.chrome.csrf)}
<label for="verify-anchor">Anchor to check (optional)</label>
<p class="muted" id="verify-anchor-help">A head recorded earlier outside idsync, as <code>SEQ:HASH</code>. Without one, events cut from the end of the trail, or a trail rewritten whole, still verify.</p>
${v.anchorError ? `<p class="field-error" id="verify-anchor-error">${esc(v.anchorError)}</p>` : ''}
<p><input id="verify-anchor" name="anchor" type="text" value="${esc(v.anchor ?? '')}" aria-describedby="verify-anchor-help${v.anchorError ? ' verify-anchor-error' : ''}"${v.anchorError ? ' aria-invalid="true"' : ''} autocomplete="off" spellcheck="false" placeholder="1234:9f86d08…"> <button type="submit">Verify chain</button></p></form>
${v.verification ? verdict(v.verification) : ''}`}
${v.head ? headCard(v.head) : ''}
</section>
<section class="card" aria-labelledby="events-heading">
<h2 id="events-heading">Events</h2>
<form class="filters" method="get" action="${base}" role="search" aria-label="Filter events">
<label>Action starts with<input type="search" name="action" value="${esc(v.filters.action)}" placeholder="member." autocomplete="off"></label>
<label>Actor<select name="actor"><option value="">Anyone</option>${ACTOR_KINDS.map((k) => `<option value="${k}"${k === v.filters.actor ? ' selected' : ''}>${esc(ACTOR_LABELS[k])}</option>`).join('')}</select></label>
<label>From (UTC)<input type="date" name="from" value="${esc(v.filters.from)}"></label>
<label>To (UTC)<input type="date" name="to" value="${esc(v.filters.to)}"></label>
<button type="submit">Apply filters</button>
${filtered ? `<a href="${base}">Clear filters</a>` : ''}
</form>
<p class="muted">Newest first.${filtered && v.olderHref ? ` Searched ${v.scanned} events for this page; older events may match too.` : ''}</p>
${v.items.length ? table(v.items) : `<p>${filtered ? 'No events match the filters.' : 'No events yet.'}</p>`}
<nav class="pager" aria-label="Event pages">
${v.newestHref ? `<a href="${esc(v.newestHref)}">Newest events</a>` : ''}
${v.olderHref ? `<a href="${esc(v.olderHref)}">Older events</a>` : ''}
</nav>
</section>`,
    { ...v.chrome, area: 'audit' },
  );
}

const BREAK_REASONS = {
  hash_mismatch: 'its content no longer matches its hash',
  prev_hash_mismatch: 'it does not link to the event before it',
  seq_gap: 'an event before it is missing',
  anchor_mismatch: 'it is not the event the anchor recorded (another hash): the trail was rewritten at or before it',
  truncated: 'the trail ends before the anchored event: events were cut from its end',
} as const;

/** The head to record outside idsync (a SIEM, a ticket), read-only with a copy button. */
function headCard(h: AuditHead): string {
  return `<h3>Current head</h3>
<p class="muted">The last event is #${h.seq}${h.at ? ` (${when(h.at)})` : ''}. Keep this anchor outside idsync; verifying against it later proves no event up to it was cut off or rewritten.</p>
${reveal('audit-head', 'Anchor of the current head', formatAnchor(h), { button: 'Copy anchor', copied: 'Anchor copied.' })}`;
}

const ANCHOR_STATUS = {
  matched: 'the anchored event is there, with the anchored hash',
  mismatch: 'the event at that seq has another hash',
  missing: 'the event at that seq was removed',
  beyond_head: 'the trail ends before that seq',
  not_reached: 'the chain broke before that seq',
} as const;

function anchorLine(v: AuditVerification): string {
  const a = v.anchor;
  if (!a?.status) return '';
  return `<p>Anchor <code>${esc(formatAnchor(a))}</code>: ${esc(ANCHOR_STATUS[a.status])}${a.status === 'beyond_head' && a.headSeq !== undefined ? ` (the last event is #${a.headSeq})` : ''}.</p>`;
}

/** Who asked: a console session's or member's label says it all ("console session (portal link …)", an email); others get their kind too. */
const who = (v: AuditVerification): string => {
  const { kind, label, id } = v.requestedBy;
  if (label && (kind === 'portal' || kind === 'member')) return esc(label);
  return `${esc(ACTOR_LABELS[kind] ?? kind)}${label || id ? ` (${esc(label ?? id ?? '')})` : ''}`;
};
const count = (n: number): string => `${n.toLocaleString('en')} ${n === 1 ? 'event' : 'events'}`;

/** A run in progress: the page reloads itself (console.js, data-refresh-seconds) until the verdict. */
function progress(v: AuditVerification, base: string): string {
  const total = Math.max(v.total, v.checked);
  return `<div class="notice" role="status" data-refresh-seconds="2"><p><strong>Verifying the chain…</strong> ${v.checked.toLocaleString('en')} of ${count(total)} checked.</p>
<progress max="${total}" value="${v.checked}" aria-label="Events verified">${total ? Math.floor((100 * v.checked) / total) : 0}%</progress>
<p class="muted">Started ${when(v.startedAt)} by ${who(v)}. This page refreshes itself until the result is in; <a href="${base}">refresh now</a>.</p></div>`;
}

/** The last run's result, with when it finished and who asked. */
function verdict(v: AuditVerification): string {
  const by = `<p class="muted">Verified ${when(v.finishedAt ?? v.updatedAt)}, asked by ${who(v)}.</p>`;
  if (v.status === 'intact') {
    return `<div class="notice" role="status"><p><strong>The chain is intact.</strong> ${count(v.checked)} verified; the last is #${v.head?.seq ?? 0} with hash <code>${esc(v.head?.hash ?? '')}</code>.</p>${anchorLine(v)}${by}</div>`;
  }
  if (v.status === 'broken' && v.break) {
    return `<div class="notice error" role="alert"><p><strong>The chain is broken at event #${v.break.seq}</strong>${v.break.eventId ? ` (id <code>${esc(v.break.eventId)}</code>)` : ''}: ${esc(BREAK_REASONS[v.break.reason])}. ${count(v.checked)} before it verified. Events from there on may have been changed, removed or inserted outside idsync.</p>${anchorLine(v)}${by}</div>`;
  }
  return `<div class="notice error" role="alert"><p><strong>The verification did not finish</strong> (${v.checked.toLocaleString('en')} of ${count(v.total)} checked): ${esc(v.error ?? 'unknown error')}. Verify again.</p>${by}</div>`;
}

function table(items: AuditEvent[]): string {
  const rows = items
    .map((e) => {
      const actor = `${esc(ACTOR_LABELS[e.actor.kind] ?? e.actor.kind)}${e.actor.label || e.actor.id ? ` <span class="muted">(${esc(e.actor.label ?? e.actor.id ?? '')})</span>` : ''}`;
      const extra = { ...(e.source ? { source: e.source } : {}), ...(e.reason ? { reason: e.reason } : {}), ...(e.before !== undefined ? { before: e.before } : {}), ...(e.after !== undefined ? { after: e.after } : {}), ...(e.evidence !== undefined ? { evidence: e.evidence } : {}) };
      return `<tr role="row">
<td role="cell" data-label="#">${e.seq}</td>
<td role="cell" data-label="When">${when(e.at)}</td>
<td role="cell" data-label="Action"><code>${esc(e.action)}</code></td>
<td role="cell" data-label="Actor">${actor}</td>
<td role="cell" data-label="Target">${esc(e.target.type)} <code>${esc(e.target.id)}</code></td>
<td role="cell" data-label="Details">${e.reason ? `${esc(e.reason)} ` : ''}${Object.keys(extra).length ? `<details><summary>Details<span class="sr-only"> of event ${e.seq}</span></summary><pre>${esc(JSON.stringify(extra, null, 2))}</pre></details>` : ''}</td>
</tr>`;
    })
    .join('\n');
  return `<table role="table"><caption class="sr-only">Audit events</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">#</th><th role="columnheader" scope="col">When</th><th role="columnheader" scope="col">Action</th><th role="columnheader" scope="col">Actor</th><th role="columnheader" scope="col">Target</th><th role="columnheader" scope="col">Details</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>`;
}
