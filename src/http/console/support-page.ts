import type { Actor } from '../../domain/model.js';
import type { SupportAccess } from '../../domain/support.js';
import { MAX_GRANT_HOURS, type PublicGrant } from '../../services/support/service.js';
import { csrfField, esc, layout, type Chrome } from './layout.js';
import { when } from './reveal.js';

/** What the session may do here, and why not when it may not. */
export type SupportStanding =
  | { kind: 'owner' }
  /** An org admin: sees everything, changes nothing. */
  | { kind: 'read-only'; why: string }
  /** The operator: may require consent and give a grant up, never grant or lift consent. */
  | { kind: 'operator' };

export interface SupportView {
  chrome: Chrome;
  notices: string[];
  mode: SupportAccess;
  grants: PublicGrant[];
  standing: SupportStanding;
  now: Date;
}

/** "3 h 20 min left", "12 min left", "less than a minute left". */
export function timeLeft(expiresAt: string, now: Date): string {
  const ms = Date.parse(expiresAt) - now.getTime();
  if (ms < 60_000) return 'less than a minute left';
  // Minutes rounded up: a grant of 3 hours reads "3 h 0 min left" when it is given, never "2 h 59 min".
  const minutes = Math.ceil(ms / 60_000);
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  if (h >= 48) return `${Math.floor(h / 24)} days ${h % 24} h left`;
  return h > 0 ? `${h} h ${m} min left` : `${m} min left`;
}

const who = (a: Actor | undefined): string => esc(a ? (a.label ?? `${a.kind}${a.id ? ` ${a.id}` : ''}`) : '');

/** The support access page: the org's mode, live grants, the grant form and the history. */
export function supportPage(v: SupportView): string {
  const base = `/console/orgs/${esc(v.chrome.orgId)}/support`;
  const live = v.grants.filter((g) => g.state === 'active');
  const past = v.grants.filter((g) => g.state !== 'active');
  const canRevoke = v.standing.kind !== 'read-only';
  const liveRows = live
    .map(
      (g) => `<tr role="row">
<td role="cell" data-label="Reason">${esc(g.reason)}</td>
<td role="cell" data-label="Granted by">${who(g.grantedBy)}</td>
<td role="cell" data-label="Granted">${when(g.createdAt)}</td>
<td role="cell" data-label="Expires">${when(g.expiresAt)}</td>
<td role="cell" data-label="Time left">${esc(timeLeft(g.expiresAt, v.now))}</td>
<td role="cell" data-label="Actions">${canRevoke ? `<form class="inline" method="post" action="${base}/grants/${esc(g.id)}/revoke">${csrfField(v.chrome.csrf)}<button type="submit" class="danger" aria-label="Revoke the grant for ${esc(g.reason)}">Revoke</button></form>` : ''}</td>
</tr>`,
    )
    .join('\n');
  const pastRows = past
    .map(
      (g) => `<tr role="row">
<td role="cell" data-label="Reason">${esc(g.reason)}</td>
<td role="cell" data-label="Granted by">${who(g.grantedBy)}</td>
<td role="cell" data-label="Granted">${when(g.createdAt)}</td>
<td role="cell" data-label="Ended">${g.state === 'revoked' ? `revoked ${when(g.revokedAt)} by ${who(g.revokedBy)}` : `expired ${when(g.expiresAt)}`}</td>
</tr>`,
    )
    .join('\n');
  return layout(
    'Support access',
    `<h1>Support access</h1>
${v.notices.join('\n')}
${v.standing.kind === 'read-only' ? `<p class="notice">${esc(v.standing.why)}</p>` : ''}
${modeCard(v, base)}
<section class="card" aria-labelledby="live-heading">
<h2 id="live-heading">Live grants</h2>
${live.length ? `<table role="table" aria-labelledby="live-heading"><thead><tr role="row"><th role="columnheader" scope="col">Reason</th><th role="columnheader" scope="col">Granted by</th><th role="columnheader" scope="col">Granted</th><th role="columnheader" scope="col">Expires</th><th role="columnheader" scope="col">Time left</th><th role="columnheader" scope="col"><span class="sr-only">Actions</span></th></tr></thead><tbody>${liveRows}</tbody></table>` : '<p class="muted">No live grant: under consent, the operator cannot reach this organization\'s members, invitations, connections or audit.</p>'}
</section>
${v.standing.kind === 'owner' ? grantForm(v, base) : ''}
<section class="card" aria-labelledby="history-heading">
<h2 id="history-heading">Expired and revoked grants</h2>
${past.length ? `<table role="table" aria-labelledby="history-heading"><thead><tr role="row"><th role="columnheader" scope="col">Reason</th><th role="columnheader" scope="col">Granted by</th><th role="columnheader" scope="col">Granted</th><th role="columnheader" scope="col">Ended</th></tr></thead><tbody>${pastRows}</tbody></table>` : '<p class="muted">None yet.</p>'}
</section>`,
    { ...v.chrome, area: 'support' },
  );
}

function modeCard(v: SupportView, base: string): string {
  const csrf = csrfField(v.chrome.csrf);
  const now =
    v.mode === 'consent'
      ? "<p><strong>Consent required.</strong> The operator's provider-wide keys reach this organization's members, invitations, connections and audit only while an owner's grant is live. Every request under a grant is audited with the grant's id, and the owners' webhooks get <code>support.access_used</code>.</p>"
      : "<p><strong>Open.</strong> The operator's provider-wide keys reach this organization's data without asking (the default).</p>";
  let control = '';
  if (v.standing.kind === 'owner') {
    control = `<form method="post" action="${base}/mode">${csrf}
<fieldset><legend>Support access</legend>
<div class="field check"><input type="radio" id="mode-open" name="mode" value="open"${v.mode === 'open' ? ' checked' : ''}><label for="mode-open">Open: the operator reaches the data without asking</label></div>
<div class="field check"><input type="radio" id="mode-consent" name="mode" value="consent"${v.mode === 'consent' ? ' checked' : ''}><label for="mode-consent">Consent: only while an owner's grant is live</label></div>
</fieldset>
<button type="submit">Save support access</button>
</form>`;
  } else if (v.standing.kind === 'operator') {
    control =
      v.mode === 'open'
        ? `<form method="post" action="${base}/mode">${csrf}<input type="hidden" name="mode" value="consent"><button type="submit">Require consent</button></form><p class="muted">The operator may require consent; only an owner can lift it again.</p>`
        : '<p class="muted">Only an owner of the organization can lift the consent requirement or grant access.</p>';
  }
  return `<section class="card" aria-labelledby="mode-heading">
<h2 id="mode-heading">Who may reach this organization's data</h2>
${now}
${control}
</section>`;
}

function grantForm(v: SupportView, base: string): string {
  return `<section class="card" aria-labelledby="grant-heading">
<h2 id="grant-heading">Grant support access</h2>
<p class="muted">Time-boxed: the operator's access (and any console session opened with it) ends when the grant expires or is revoked.${v.mode === 'open' ? ' While support access is open, a grant changes nothing until you require consent.' : ''}</p>
<form method="post" action="${base}/grants">${csrfField(v.chrome.csrf)}
<label>Hours (1 to ${MAX_GRANT_HOURS})<input type="number" name="hours" min="1" max="${MAX_GRANT_HOURS}" step="1" required value="4"></label>
<label>Reason<input type="text" name="reason" maxlength="500" required autocomplete="off" placeholder="ticket 4711: members missing after the Okta change"></label>
<button type="submit">Grant access</button>
</form>
</section>`;
}

/** "Revoke the grant for ticket 9?": what stops, before anything is revoked. */
export function confirmRevokeGrantPage(chrome: Chrome, grant: PublicGrant, now: Date): string {
  const base = `/console/orgs/${esc(chrome.orgId)}/support`;
  const title = `Revoke the support grant for ${grant.reason}?`;
  return layout(
    title,
    `<section class="card" aria-labelledby="confirm-heading">
<h1 id="confirm-heading">${esc(title)}</h1>
<p>The grant has ${esc(timeLeft(grant.expiresAt, now))}. Revoking ends it now: the operator's next request to this organization's data is refused, and a console session opened under the grant is signed out. This cannot be undone; an owner can grant access again.</p>
<form method="post" action="${base}/grants/${esc(grant.id)}/revoke">${csrfField(chrome.csrf)}<input type="hidden" name="confirmed" value="yes">
<button type="submit" class="danger">Revoke the grant</button>
<a href="${base}">Cancel</a>
</form>
</section>`,
    { ...chrome, area: 'support' },
  );
}
