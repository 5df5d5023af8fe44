import { ROLES, type Member, type Role } from '../../domain/model.js';
import { displayNameOf, type MemberListing } from '../../services/console/members.js';
import type { PublicInvitation } from '../../services/invitations/service.js';
import { csrfField, esc, layout, type Chrome } from './layout.js';
import { roleSourceCell } from './role-source.js';

export interface MembersQuery {
  q: string;
  status: string;
  role: string;
  team: string;
}

export interface MembersView {
  chrome: Chrome;
  listing: MemberListing;
  query: MembersQuery;
  /** Notices as HTML (built with notice()). */
  notices: string[];
  invitations: { pending: PublicInvitation[]; cap: number; ttlHours: number; now: Date };
  /** Roles this session may hand out. */
  assignable: readonly Role[];
  nextHref?: string;
  firstHref?: string;
  /** The open invite links card (links-card.ts), placed after the pending invitations. */
  linksCard?: string;
}

const when = (iso: string) => `<time datetime="${esc(iso)}">${esc(iso.replace('T', ' ').slice(0, 16))} UTC</time>`;

export function timeLeft(expiresAt: string, now: Date): string {
  const ms = Date.parse(expiresAt) - now.getTime();
  if (ms <= 0) return 'expired';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  return h > 0 ? `${h} h ${m} min left` : `${m} min left`;
}

/** A secret link shown once after an action, with a copy button the script enables. */
export function linkReveal(id: string, label: string, url: string): string {
  return `<p><label for="${esc(id)}">${esc(label)}</label></p>
<p><input id="${esc(id)}" type="url" readonly value="${esc(url)}"> <button type="button" class="secondary" data-copy="${esc(id)}" data-status="${esc(id)}-status" hidden>Copy link</button></p>
<p id="${esc(id)}-status" class="muted" role="status" aria-live="polite"></p>`;
}

export function membersPage(v: MembersView): string {
  const org = esc(v.chrome.orgId);
  const base = `/console/orgs/${org}`;
  return layout(
    'Members',
    `<h1>Members</h1>
${v.notices.join('\n')}
${inviteCard(v, base)}
${pendingCard(v, base)}
${v.linksCard ?? ''}
${addCard(v, base)}
<section class="card" aria-labelledby="members-heading">
<h2 id="members-heading">People in ${esc(v.chrome.orgName)}</h2>
${filters(v, base)}
<form id="bulk-form" class="inline" method="post" action="${base}/members/bulk-remove">${csrfField(v.chrome.csrf)}<button id="bulk-remove" class="danger" type="submit">Remove selected</button></form>
<p class="muted">${v.listing.total !== undefined ? `${v.listing.total} ${v.listing.total === 1 ? 'member matches' : 'members match'} the filters.` : 'Members that match, in the order they were added.'}</p>
${v.listing.rows.length ? memberTable(v, base) : '<p>No members match.</p>'}
<nav class="pager" aria-label="Pages">
${v.firstHref ? `<a href="${esc(v.firstHref)}">First page</a>` : ''}
${v.nextHref ? `<a href="${esc(v.nextHref)}">Next page</a>` : ''}
</nav>
</section>`,
    { ...v.chrome, area: 'members' },
  );
}

function filters(v: MembersView, base: string): string {
  const opt = (value: string, label: string, current: string) => `<option value="${esc(value)}"${value === current ? ' selected' : ''}>${esc(label)}</option>`;
  return `<form class="filters" method="get" action="${base}/members" role="search" aria-label="Find members">
<label>Search by name or email<input type="search" name="q" value="${esc(v.query.q)}"></label>
<label>Status<select name="status">${opt('', 'Active and inactive', v.query.status)}${opt('active', 'Active', v.query.status)}${opt('inactive', 'Inactive', v.query.status)}${opt('removed', 'Removed', v.query.status)}</select></label>
<label>Role<select name="role">${opt('', 'Any role', v.query.role)}${ROLES.map((r) => opt(r, r, v.query.role)).join('')}</select></label>
<label>Team<select name="team">${opt('', 'Any team', v.query.team)}${v.listing.teams.map((t) => opt(t.id, t.displayName, v.query.team)).join('')}</select></label>
<button type="submit">Apply filters</button>
</form>`;
}

function memberTable(v: MembersView, base: string): string {
  const rows = v.listing.rows.map((r) => memberRow(v, base, r.member, r.teamNames, r.managedBy, r.statusLocked)).join('\n');
  return `<table role="table">
<caption class="sr-only">Members</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col"><input type="checkbox" id="select-all" aria-label="Select all members on this page" hidden></th><th role="columnheader" scope="col">Name</th><th role="columnheader" scope="col">Email</th><th role="columnheader" scope="col">Role</th><th role="columnheader" scope="col">Role from</th><th role="columnheader" scope="col">Teams</th><th role="columnheader" scope="col">Status</th><th role="columnheader" scope="col">Managed by</th><th role="columnheader" scope="col">Last change</th><th role="columnheader" scope="col">Actions</th></tr></thead>
<tbody role="rowgroup">
${rows}
</tbody>
</table>`;
}

function memberRow(v: MembersView, base: string, m: Member, teams: string[], managedBy: string, locked: string | undefined): string {
  const name = displayNameOf(m);
  const who = esc(name);
  const mid = esc(m.id);
  const email = m.emails.find((e) => e.primary)?.value ?? m.emails[0]?.value ?? m.userName;
  const csrf = csrfField(v.chrome.csrf);
  const live = m.status !== 'removed';
  const roleForm = live
    ? `<form class="inline" method="post" action="${base}/members/${mid}/role">${csrf}<select name="role" aria-label="Role of ${who}">${ROLES.filter((r) => v.assignable.includes(r) || r === m.role)
        .map((r) => `<option value="${r}"${r === m.role ? ' selected' : ''}>${r}</option>`)
        .join('')}</select><button type="submit" class="secondary" aria-label="Save role of ${who}">Save role</button></form>`
    : esc(m.role);
  const statusActions = locked
    ? `<p class="locked">${esc(locked)}</p>`
    : `<form class="inline" method="post" action="${base}/members/${mid}/${m.status === 'active' ? 'deactivate' : 'activate'}">${csrf}<button type="submit" class="secondary" aria-label="${m.status === 'active' ? 'Deactivate' : 'Reactivate'} ${who}">${m.status === 'active' ? 'Deactivate' : 'Reactivate'}</button></form>
<form class="inline" method="post" action="${base}/members/${mid}/remove">${csrf}<button type="submit" class="danger" aria-label="Remove ${who}">Remove</button></form>`;
  return `<tr role="row">
<td role="cell">${live ? `<input type="checkbox" name="ids" value="${mid}" form="bulk-form" aria-label="Select ${who}">` : ''}</td>
<td role="cell" data-label="Name">${who}</td>
<td role="cell" data-label="Email">${esc(email)}</td>
<td role="cell" data-label="Role">${roleForm}</td>
<td role="cell" data-label="Role from">${roleSourceCell(m)}</td>
<td role="cell" data-label="Teams">${teams.length ? esc(teams.join(', ')) : '<span class="muted">none</span>'}</td>
<td role="cell" data-label="Status"><span class="status-${esc(m.status)}">${esc(m.status)}</span></td>
<td role="cell" data-label="Managed by">${esc(managedBy)}</td>
<td role="cell" data-label="Last change">${when(m.updatedAt)}</td>
<td role="cell" data-label="Actions"><div class="actions">${statusActions}</div></td>
</tr>`;
}

function inviteCard(v: MembersView, base: string): string {
  const { cap, ttlHours, pending } = v.invitations;
  return `<section class="card" aria-labelledby="invite-heading">
<h2 id="invite-heading">Invite people</h2>
<p class="muted">An invitation is valid for ${ttlHours} hours. At most ${cap} can be pending at once (${pending.length} pending now).</p>
<form class="invite" method="post" action="${base}/invitations">${csrfField(v.chrome.csrf)}
<label>Email<input type="email" name="email" required autocomplete="off"></label>
<label>First name (optional)<input type="text" name="givenName" autocomplete="off"></label>
<label>Last name (optional)<input type="text" name="familyName" autocomplete="off"></label>
<label>Role<select name="role">${v.assignable.map((r) => `<option value="${r}"${r === 'member' ? ' selected' : ''}>${r}</option>`).join('')}</select></label>
${v.listing.teams.length ? `<label>Teams (optional)<select name="teamIds" multiple size="${Math.min(4, v.listing.teams.length)}">${v.listing.teams.map((t) => `<option value="${esc(t.id)}">${esc(t.displayName)}</option>`).join('')}</select></label>` : ''}
<button type="submit">Send invitation</button>
</form>
</section>`;
}

function addCard(v: MembersView, base: string): string {
  return `<section class="card" aria-labelledby="add-heading">
<h2 id="add-heading">Add someone directly</h2>
<p class="muted">For a person who should be a member at once, without accepting an invitation. They sign in with the address given here.</p>
<form class="invite" method="post" action="${base}/members">${csrfField(v.chrome.csrf)}
<label>First name<input type="text" name="givenName" required autocomplete="off"></label>
<label>Last name<input type="text" name="familyName" required autocomplete="off"></label>
<label>Work email<input type="email" name="email" required autocomplete="off"></label>
<label>Role for the new member<select name="role">${v.assignable.map((r) => `<option value="${r}"${r === 'member' ? ' selected' : ''}>${r}</option>`).join('')}</select></label>
${v.listing.teams.length ? `<label>Teams for the new member (optional)<select name="teamIds" multiple size="${Math.min(4, v.listing.teams.length)}">${v.listing.teams.map((t) => `<option value="${esc(t.id)}">${esc(t.displayName)}</option>`).join('')}</select></label>` : ''}
<button type="submit">Add member</button>
</form>
${v.chrome.switchable ? `<p><a href="${base}/members/add-existing">Add someone from another organization</a>: a person who is already a member of another of your organizations keeps that membership and signs in here with the same account.</p>` : ''}
</section>`;
}

function pendingCard(v: MembersView, base: string): string {
  const { pending, now } = v.invitations;
  const csrf = csrfField(v.chrome.csrf);
  const rows = pending
    .map((i) => {
      const who = esc(i.email);
      const act = (path: string, label: string, cls: string) => `<form class="inline" method="post" action="${base}/invitations/${esc(i.id)}/${path}">${csrf}<button type="submit" class="${cls}" aria-label="${label} for ${who}">${label}</button></form>`;
      return `<tr role="row">
<td role="cell" data-label="Email">${who}</td>
<td role="cell" data-label="Role">${esc(i.role)}</td>
<td role="cell" data-label="Sent">${when(i.lastSentAt ?? i.createdAt)}</td>
<td role="cell" data-label="Time left">${esc(timeLeft(i.expiresAt, now))}</td>
<td role="cell" data-label="Actions"><div class="actions">${act('copy', 'Copy link', 'secondary')}${act('resend', 'Resend', 'secondary')}${act('revoke', 'Revoke', 'danger')}</div></td>
</tr>`;
    })
    .join('\n');
  return `<section class="card" aria-labelledby="pending-heading">
<h2 id="pending-heading">Pending invitations</h2>
${pending.length ? `<table role="table"><caption class="sr-only">Pending invitations</caption><thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col">Email</th><th role="columnheader" scope="col">Role</th><th role="columnheader" scope="col">Sent</th><th role="columnheader" scope="col">Time left</th><th role="columnheader" scope="col">Actions</th></tr></thead><tbody role="rowgroup">${rows}</tbody></table>` : '<p>No pending invitations.</p>'}
</section>`;
}

/** "Remove 3 users?": what will happen, to whom, and how many, before anything is removed. */
export function confirmRemovePage(chrome: Chrome, members: Member[]): string {
  const n = members.length;
  const base = `/console/orgs/${esc(chrome.orgId)}`;
  const title = n === 1 ? `Remove ${displayNameOf(members[0]!)}?` : `Remove ${n} users?`;
  return layout(
    title,
    `<section class="card" aria-labelledby="confirm-heading">
<h1 id="confirm-heading">${esc(title)}</h1>
<p><strong>A removed member cannot be reactivated.</strong> ${n === 1 ? 'They lose' : `These ${n} people lose`} access at once and leave their teams; to come back, ${n === 1 ? 'they need' : 'each needs'} a new invitation. To cut access for a while instead, deactivate.</p>
<ul>${members.map((m) => `<li>${esc(displayNameOf(m))} (${esc(m.emails[0]?.value ?? m.userName)})</li>`).join('')}</ul>
<form method="post" action="${base}/members/bulk-remove">${csrfField(chrome.csrf)}<input type="hidden" name="confirmed" value="yes">
${members.map((m) => `<input type="hidden" name="ids" value="${esc(m.id)}">`).join('')}
<button type="submit" class="danger">${n === 1 ? `Remove ${esc(displayNameOf(members[0]!))}` : `Remove ${n} users`}</button>
<a href="${base}/members">Cancel</a>
</form>
</section>`,
    { ...chrome, area: 'members' },
  );
}
