import type { Role, Team } from '../../domain/model.js';
import type { AddSources, CandidateSearch } from '../../services/console/add-existing.js';
import { displayNameOf } from '../../services/console/members.js';
import { csrfField, esc, layout, type Chrome } from './layout.js';

export interface AddExistingView {
  chrome: Chrome;
  sources: AddSources;
  query: { q: string; from: string };
  /** Absent before the first search. */
  result?: CandidateSearch;
  teams: Team[];
  assignable: readonly Role[];
  /** Notices as HTML (built with notice()). */
  notices: string[];
}

const PROVIDERS: Record<string, string> = { google: 'Google', microsoft: 'Microsoft', github: 'GitHub' };

/** The value of a candidate's radio button: its organization and member id. */
export const pickValue = (orgId: string, memberId: string) => `${orgId}/${memberId}`;

/**
 * "Add someone from another organization": a search over the organizations this session may draw
 * from, then one form to pick a person and give them a role and teams here.
 */
export function addExistingPage(v: AddExistingView): string {
  const base = `/console/orgs/${esc(v.chrome.orgId)}`;
  const here = esc(v.chrome.orgName);
  return layout(
    'Add someone from another organization',
    `<h1>Add someone from another organization</h1>
${v.notices.join('\n')}
<section class="card" aria-labelledby="find-heading">
<h2 id="find-heading">Find the person</h2>
<p class="muted">${ruleText(v.sources, here)}</p>
${v.sources.kind === 'none' || (v.sources.kind === 'person' && !v.sources.orgs.length) ? '' : searchForm(v, base)}
</section>
${v.result ? results(v, base, here) : ''}
<p><a href="${base}/members">Back to the members</a></p>`,
    { ...v.chrome, area: 'members' },
  );
}

function ruleText(s: AddSources, here: string): string {
  if (s.kind === 'none') return `This console session was opened from a link for ${here} only, so it cannot look into other organizations. Sign in to the console with your own account (you can add people from the other organizations you are an owner or admin of), or invite the person by email.`;
  if (s.kind === 'operator') return `As the operator you can add a person from any organization. A whole email address is looked up in every organization; a name is searched organization by organization, up to a limit (give an organization id to search only there).`;
  if (!s.orgs.length) return `You can add people only from other organizations you are an active owner or admin of, and you are not one of any other organization. Invite the person by email instead.`;
  return `You can add people from the other organizations you are an active owner or admin of: ${s.orgs.map((o) => esc(o.name)).join(', ')}. People of other organizations are never shown. Only active people can be added (not inactive members or service accounts); they keep their membership there.`;
}

function searchForm(v: AddExistingView, base: string): string {
  const opt = (value: string, label: string) => `<option value="${esc(value)}"${value === v.query.from ? ' selected' : ''}>${esc(label)}</option>`;
  const from =
    v.sources.kind === 'person'
      ? `<label>From organization<select name="from">${opt('', 'Every organization you administer')}${v.sources.orgs.map((o) => opt(o.id, o.name)).join('')}</select></label>`
      : `<label>Only in organization (id, optional)<input type="text" name="from" value="${esc(v.query.from)}" autocomplete="off"></label>`;
  return `<form class="filters" method="get" action="${base}/members/add-existing" role="search" aria-label="Find people in other organizations">
<label>Name or email<input type="search" name="q" value="${esc(v.query.q)}" required minlength="2"></label>
${from}
<button type="submit">Search</button>
</form>`;
}

function results(v: AddExistingView, base: string, here: string): string {
  const r = v.result!;
  if (!r.candidates.length) return `<section class="card" aria-labelledby="found-heading"><h2 id="found-heading">People found</h2><p>Nobody matches${r.partial ? ' in what was searched (the search stopped at its limit: give a whole email address or an organization)' : ''}.</p></section>`;
  const rows = r.candidates
    .map((c) => {
      const name = esc(displayNameOf(c.member));
      const email = esc(c.member.emails.find((e) => e.primary)?.value ?? c.member.emails[0]?.value ?? c.member.userName);
      const sign = c.member.identities.length ? esc([...new Set(c.member.identities.map((i) => PROVIDERS[i.provider] ?? i.provider))].join(', ')) : '<span class="muted">email only</span>';
      const choose = c.blocked
        ? ''
        : `<input type="radio" name="pick" value="${esc(pickValue(c.org.id, c.member.id))}" required aria-label="Choose ${name} of ${esc(c.org.name)}">`;
      return `<tr role="row"><td role="cell"${choose ? ' data-label="Choose"' : ''}>${choose}</td><td role="cell" data-label="Name">${name}</td><td role="cell" data-label="Email">${email}</td><td role="cell" data-label="Organization">${esc(c.org.name)}</td><td role="cell" data-label="Signs in with">${sign}</td><td role="cell" data-label="Can be added">${c.blocked ? `<span class="locked">${esc(c.blocked)}</span>` : 'Yes'}</td></tr>`;
    })
    .join('\n');
  const addable = r.candidates.some((c) => !c.blocked);
  return `<section class="card" aria-labelledby="found-heading">
<h2 id="found-heading">People found</h2>
${r.partial ? '<p class="muted">More people may match than are shown: give a whole email address or choose one organization to narrow the search.</p>' : ''}
<form method="post" action="${base}/members/add-existing">${csrfField(v.chrome.csrf)}
<input type="hidden" name="q" value="${esc(v.query.q)}"><input type="hidden" name="from" value="${esc(v.query.from)}">
<table role="table"><caption class="sr-only">People found</caption>
<thead role="rowgroup"><tr role="row"><th role="columnheader" scope="col"><span class="sr-only">Choose</span></th><th role="columnheader" scope="col">Name</th><th role="columnheader" scope="col">Email</th><th role="columnheader" scope="col">Organization</th><th role="columnheader" scope="col">Signs in with</th><th role="columnheader" scope="col">Can be added</th></tr></thead>
<tbody role="rowgroup">${rows}</tbody></table>
${
  addable
    ? `<div class="field-row">
<label>Role in ${here}<select name="role">${v.assignable.map((role) => `<option value="${role}"${role === 'member' ? ' selected' : ''}>${role}</option>`).join('')}</select></label>
${v.teams.length ? `<label>Teams in ${here} (optional)<select name="teamIds" multiple size="${Math.min(4, v.teams.length)}">${v.teams.map((t) => `<option value="${esc(t.id)}">${esc(t.displayName)}</option>`).join('')}</select></label>` : ''}
<button type="submit">Add to ${here}</button>
</div>
<p class="muted">They become a member of ${here} at once, with the same name, email and sign-in (Google, Microsoft, GitHub), managed by admins here; their membership in the other organization does not change.</p>`
    : ''
}
</form>
</section>`;
}
