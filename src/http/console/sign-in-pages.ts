import { PROVIDER_LABELS, type JoinProvider } from '../join/providers.js';
import type { AdminMembership, OrgLine } from '../../services/console/sign-in.js';
import { csrfField, esc, layout } from './layout.js';

const orgHref = (orgId: string) => `/console/orgs/${encodeURIComponent(orgId)}/members`;

/** The console's sign-in page: one link per configured provider, or how to get in without one. */
export function signInPage(providers: Array<{ id: JoinProvider; href: string }>, returning: boolean): string {
  const body = providers.length
    ? `<p>The console is for the owners and admins of an organization. Sign in with the account you joined with.</p>
${returning ? '<p>After you sign in you return to the page you were on, with what you had typed in its search.</p>' : ''}
<ul class="providers">${providers.map((p) => `<li><a href="${esc(p.href)}">Continue with ${PROVIDER_LABELS[p.id]}</a></li>`).join('')}</ul>`
    : `<p>No sign-in provider is configured on this idsync, so the console opens only from a one-time console link.</p>
<p>If you run idsync, print one with <code>npx idsync console-link --org ORG_ID</code> (or <code>npx idsync console-link --operator</code> for every organization) and open it in this browser. The host product gets one with <code>POST /api/v1/orgs/{org}/portal-links</code>.</p>
<p>To offer sign-in here, configure Google, Microsoft or GitHub under <code>oidc.*</code> (see the README's "Console" section).</p>`;
  return layout('Sign in', `<section class="card"><h1>Sign in to the idsync console</h1>\n${body}</section>`);
}

function signOutForm(csrf: string): string {
  return `<form class="inline" method="post" action="/console/sign-out">${csrfField(csrf)}<button class="secondary" type="submit">Sign out</button></form>`;
}

/** A signed-in person's organizations (those they are an active owner or admin of). */
export function pickerPage(email: string, orgs: AdminMembership[], csrf: string): string {
  const rows = orgs
    .map(({ org, member }) => `<tr><td data-label="Organization">${esc(org.name)}</td><td data-label="Your role">${esc(member.role)}</td><td><a href="${esc(orgHref(org.id))}">Open ${esc(org.name)}</a></td></tr>`)
    .join('\n');
  return layout(
    'Choose an organization',
    `<section class="card"><h1>Choose an organization</h1>
<p>You are signed in as ${esc(email)}, an owner or admin of these organizations. You can switch between them at any time from "Organizations" at the top of each page.</p>
<table><caption class="sr-only">Your organizations</caption><thead><tr><th scope="col">Organization</th><th scope="col">Your role</th><th scope="col"><span class="sr-only">Open</span></th></tr></thead>
<tbody>${rows}</tbody></table>
<p>${signOutForm(csrf)}</p></section>`,
  );
}

/** The operator's list of every organization, a page at a time. */
export function operatorOrgsPage(v: { orgs: OrgLine[]; total: number; offset: number; limit: number; csrf: string }): string {
  const rows = v.orgs
    .map(({ org, members }) => {
      const status = org.state === 'merged' ? `merged${org.mergedInto ? ` into ${org.mergedInto}` : ''}` : org.state === 'merging' ? 'merging' : 'active';
      const open = org.state === 'merged' ? '<span class="muted">closed</span>' : `<a href="${esc(orgHref(org.id))}">Open ${esc(org.name)}</a>`;
      return `<tr><td data-label="Organization">${esc(org.name)}<br><span class="muted">${esc(org.id)}</span></td><td data-label="Members">${members}</td><td data-label="Status">${esc(status)}</td><td>${open}</td></tr>`;
    })
    .join('\n');
  const pager = [
    v.offset > 0 ? `<a href="/console/orgs?offset=${Math.max(0, v.offset - v.limit)}">Previous page</a>` : '',
    v.offset + v.limit < v.total ? `<a href="/console/orgs?offset=${v.offset + v.limit}">Next page</a>` : '',
  ].join('');
  return layout(
    'All organizations',
    `<section class="card"><h1>All organizations</h1>
<p>Operator view: ${v.total} organization${v.total === 1 ? '' : 's'}. Changes you make are audited with you (the operator) as actor.</p>
<table><caption class="sr-only">Organizations</caption><thead><tr><th scope="col">Organization</th><th scope="col">Members</th><th scope="col">Status</th><th scope="col"><span class="sr-only">Open</span></th></tr></thead>
<tbody>${rows || '<tr><td colspan="4">No organizations yet: create one with <code>npx idsync orgs create</code>.</td></tr>'}</tbody></table>
${pager ? `<p class="pager">${pager}</p>` : ''}
<p>${signOutForm(v.csrf)}</p></section>`,
  );
}
