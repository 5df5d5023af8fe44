import type { Role, Team } from '../../domain/model.js';
import type { PublicConnection } from '../../services/connections/service.js';
import type { PublicLink } from '../../services/invitations/links.js';
import { csrfField, esc } from './layout.js';
import { when } from './reveal.js';

export interface LinksView {
  links: PublicLink[];
  teams: Team[];
  connections: PublicConnection[];
  assignable: readonly Role[];
  csrf: string;
}

const STATE: Record<PublicLink['state'], string> = { active: 'active', expired: 'expired', revoked: 'revoked', used_up: 'used up' };

/** Who a link is for, as its row and its buttons name it. */
export function linkTarget(l: PublicLink, teams: Team[]): string {
  if (!l.teamId) return 'the whole organization';
  return `team ${teams.find((t) => t.id === l.teamId)?.displayName ?? l.teamId}`;
}

/** The open invite links card of the members page: each link's limits, rotate and revoke, and a form to create one. */
export function linksCard(v: LinksView, base: string): string {
  const csrf = csrfField(v.csrf);
  const shown = v.links.filter((l) => l.state !== 'revoked');
  const revoked = v.links.length - shown.length;
  const rows = shown
    .map((l) => {
      const target = linkTarget(l, v.teams);
      const name = `the link for ${target} created ${l.createdAt.replace('T', ' ').slice(0, 16)}`;
      const conn = l.directoryConnectionId ? v.connections.find((c) => c.id === l.directoryConnectionId) : undefined;
      return `<tr role="row">
<td role="cell" data-label="For">${esc(target[0]!.toUpperCase() + target.slice(1))}</td>
<td role="cell" data-label="Role">${esc(l.role)}</td>
<td role="cell" data-label="Expires">${l.expiresAt ? when(l.expiresAt) : '<span class="muted">never</span>'}</td>
<td role="cell" data-label="Uses">${l.uses}${l.maxUses !== undefined ? ` of ${l.maxUses}` : ' (no limit)'}</td>
<td role="cell" data-label="Email domains">${l.allowedDomains.length ? esc(l.allowedDomains.join(', ')) : '<span class="muted">any</span>'}</td>
<td role="cell" data-label="Directory gating">${l.directoryConnectionId ? `Only people ${esc(conn ? `${conn.name} (${conn.provider})` : `connection ${l.directoryConnectionId}`)} lists as active` : '<span class="muted">none</span>'}</td>
<td role="cell" data-label="State">${esc(STATE[l.state])}</td>
<td role="cell" data-label="Actions"><div class="actions">
<form class="inline" method="post" action="${base}/links/${esc(l.id)}/rotate">${csrf}<button type="submit" class="secondary" aria-label="Rotate ${esc(name)}">Rotate</button></form>
<form class="inline" method="post" action="${base}/links/${esc(l.id)}/revoke">${csrf}<button type="submit" class="danger" aria-label="Revoke ${esc(name)}">Revoke</button></form>
</div></td>
</tr>`;
    })
    .join('\n');
  const opt = (value: string, label: string) => `<option value="${esc(value)}">${esc(label)}</option>`;
  return `<section class="card" aria-labelledby="links-heading">
<h2 id="links-heading">Open invite links</h2>
<p class="muted">Anyone with an open link can join (within its limits) by signing in. Its address is shown once, when it is created or rotated, with a copy button: idsync keeps only a hash. To get a working address again, rotate: the previous one stops working at once.</p>
${shown.length ? `<table role="table"><caption class="sr-only">Open invite links</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">For</th><th role="columnheader" scope="col">Role</th><th role="columnheader" scope="col">Expires</th><th role="columnheader" scope="col">Uses</th><th role="columnheader" scope="col">Email domains</th><th role="columnheader" scope="col">Directory gating</th><th role="columnheader" scope="col">State</th><th role="columnheader" scope="col">Actions</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : '<p>No open invite link.</p>'}
${revoked ? `<p class="muted">${revoked} revoked ${revoked === 1 ? 'link is' : 'links are'} not shown.</p>` : ''}
<h3>Create an open invite link</h3>
<form class="invite" method="post" action="${base}/links">${csrf}
<label>Link for<select name="teamId">${opt('', 'The whole organization')}${v.teams.map((t) => opt(t.id, `Team ${t.displayName}`)).join('')}</select></label>
<label>Role of people who join<select name="role">${v.assignable.map((r) => `<option value="${r}"${r === 'member' ? ' selected' : ''}>${r}</option>`).join('')}</select></label>
<label>Expires after (hours, optional)<input type="number" name="expiresInHours" min="1" max="8760" inputmode="numeric"></label>
<label>Maximum uses (optional)<input type="number" name="maxUses" min="1" max="1000000" inputmode="numeric"></label>
<label>Allowed email domains (optional, comma-separated)<input type="text" name="allowedDomains" autocomplete="off" placeholder="acme.example"></label>
<label>Only people a directory lists<select name="directoryConnectionId">${opt('', 'No directory gating')}${v.connections.map((c) => opt(c.id, `${c.name} (${c.provider})`)).join('')}</select></label>
<button type="submit">Create invite link</button>
</form>
</section>`;
}
