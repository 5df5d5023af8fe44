import type { ActorKind, AuditEvent } from '../../domain/model.js';
import type { VerifyResult } from '../../services/audit.js';
import { csrfField, esc, layout, type Chrome } from './layout.js';
import { when } from './reveal.js';

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
  verify?: VerifyResult;
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
<p class="muted">Each event carries the hash of the one before it, so a changed, removed or inserted event breaks the chain from there on. Verifying recomputes every hash of ${esc(v.chrome.orgName)}'s trail (${v.total} ${v.total === 1 ? 'event' : 'events'}); a long trail takes a few seconds per 100,000 events.</p>
<form class="inline" method="post" action="${base}/verify">${csrfField(v.chrome.csrf)}<button type="submit">Verify chain</button></form>
${v.verify ? verdict(v.verify) : ''}
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
} as const;

function verdict(r: VerifyResult): string {
  if (r.ok) {
    return `<div class="notice" role="status"><strong>The chain is intact.</strong> ${r.events} ${r.events === 1 ? 'event' : 'events'} verified; the last is #${r.head.seq} with hash <code>${esc(r.head.hash)}</code>.</div>`;
  }
  return `<div class="notice error" role="alert"><strong>The chain is broken at event #${r.break.seq}</strong>${r.break.eventId ? ` (id <code>${esc(r.break.eventId)}</code>)` : ''}: ${esc(BREAK_REASONS[r.break.reason])}. ${r.events} ${r.events === 1 ? 'event' : 'events'} before it verified. Events from there on may have been changed, removed or inserted outside idsync.</div>`;
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
