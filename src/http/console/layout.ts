import { INTENT_LABELS, intentCovers, type ConsoleIntent } from '../../domain/console.js';
import type { ErrorCode } from '../../domain/errors.js';
import { esc } from '../join/pages.js';

export { esc };

export interface Chrome {
  orgId: string;
  orgName: string;
  intent: ConsoleIntent;
  csrf: string;
  /** Which area is open (marks the nav link as current). */
  area?: 'members' | 'home' | 'directory' | 'scim' | 'audit' | 'support';
  /** The session may open other organizations (a signed-in person, the operator): the nav links to them. */
  switchable?: boolean;
}

/** A page of the console: one stylesheet, one script, a header with the org, the areas and sign-out. */
export function layout(title: string, body: string, chrome?: Chrome): string {
  const nav = chrome
    ? `<nav aria-label="Console"><ul>
<li><a href="/console/orgs/${esc(chrome.orgId)}"${chrome.area === 'home' ? ' aria-current="page"' : ''}>Overview</a></li>
${intentCovers(chrome.intent, 'members') ? `<li><a href="/console/orgs/${esc(chrome.orgId)}/members"${chrome.area === 'members' ? ' aria-current="page"' : ''}>Members</a></li>` : ''}
${intentCovers(chrome.intent, 'directory') ? `<li><a href="/console/orgs/${esc(chrome.orgId)}/directory"${chrome.area === 'directory' ? ' aria-current="page"' : ''}>Directory sync</a></li>` : ''}
${intentCovers(chrome.intent, 'scim') ? `<li><a href="/console/orgs/${esc(chrome.orgId)}/scim"${chrome.area === 'scim' ? ' aria-current="page"' : ''}>SCIM</a></li>` : ''}
<li><a href="/console/orgs/${esc(chrome.orgId)}/audit"${chrome.area === 'audit' ? ' aria-current="page"' : ''}>Audit</a></li>
<li><a href="/console/orgs/${esc(chrome.orgId)}/support"${chrome.area === 'support' ? ' aria-current="page"' : ''}>Support access</a></li>
${chrome.switchable ? '<li><a href="/console/orgs">Organizations</a></li>' : ''}
</ul></nav>
<form class="inline" method="post" action="/console/sign-out">${csrfField(chrome.csrf)}<button class="secondary" type="submit">Sign out</button></form>`
    : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · idsync console</title>
<link rel="stylesheet" href="/console/assets/console.css">
<script src="/console/assets/console.js" defer></script>
</head>
<body>
<header class="top">
<p class="brand">idsync console${chrome ? ` · <span>${esc(chrome.orgName)}</span>` : ''}</p>
${nav}
</header>
<main>
${body}
</main>
</body>
</html>
`;
}

export function csrfField(token: string): string {
  return `<input type="hidden" name="_csrf" value="${esc(token)}">`;
}

export function notice(text: string, kind: 'ok' | 'error' = 'ok'): string {
  return kind === 'error' ? `<div class="notice error" role="alert">${text}</div>` : `<div class="notice" role="status">${text}</div>`;
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
}

const NEW_LINK = 'Ask your contact at the product for a new console link, or, if you run idsync, print one with <code>npx idsync console-link --org ORG_ID</code>.';

/** The page for each refusal a console request can meet, by error code. */
export const CONSOLE_PROBLEMS: Partial<Record<ErrorCode, Problem>> & { internal: Problem } = {
  'console.link_invalid': { status: 404, title: 'This console link is not valid', detail: `The link may be incomplete. ${NEW_LINK}` },
  'console.link_expired': { status: 410, title: 'This console link has expired', detail: `Console links work for 5 minutes after they are made. ${NEW_LINK}` },
  'console.link_used': { status: 409, title: 'This console link was already used', detail: `Each console link opens one session, once. If that was you in another tab or browser, continue there. ${NEW_LINK}` },
  'console.session_expired': { status: 401, title: 'Your console session has ended', detail: `You signed out, or the session was idle too long or reached its time limit. Sign in again, or: ${NEW_LINK}` },
  'console.not_admin': { status: 403, title: 'You are not an owner or admin of any organization', detail: 'The console is for the owners and admins of an organization, and the account you signed in with is not an active one of those. Ask an owner of your organization to make you an admin, or sign in with another account.' },
  'console.sign_in_invalid': { status: 400, title: 'This sign-in could not be verified', detail: 'The sign-in did not come back as it was sent (it was started in another browser, took more than 10 minutes, or was altered). Nothing was signed in.' },
  'console.sign_in_failed': { status: 502, title: 'The sign-in did not complete', detail: 'The sign-in provider did not confirm who you are (the sign-in was cancelled or refused, or the provider could not be reached).' },
  'console.provider_unavailable': { status: 404, title: 'This sign-in is not offered', detail: 'The sign-in provider in this address is not configured on this idsync.' },
  'console.csrf_failed': { status: 403, title: 'This form could not be accepted', detail: 'It did not carry the token of your current console session (an old page, or a request from another site). Nothing was changed. Go back, reload the page and try again.' },
  'support.consent_required': { status: 403, title: "This organization's owners must consent to support access", detail: "The organization allows the operator to reach its data only while an owner's grant is live, and none is. An owner grants time-boxed access on the organization's Support access page, or with <code>idsync support-access grant --org ORG_ID --hours N --reason TEXT</code> and the organization's admin key." },
  'route.not_found': { status: 404, title: 'Page not found', detail: 'There is no such page in the console.' },
  'org.not_found': { status: 404, title: 'Organization not found', detail: 'This console session is for another organization.' },
  'store.unavailable': { status: 503, title: 'The console cannot reach its data right now', detail: 'The store is not answering. Nothing was changed. Try again in a moment.' },
  'internal': { status: 500, title: 'Something went wrong', detail: 'Please try again in a moment. If it keeps happening, tell the person who runs idsync (the server log has the details).' },
};

/** `action`: trusted HTML (a link) offered under the detail. */
export function problemPage(p: Problem, action?: string): string {
  return layout(p.title, `<section class="card"><h1>${esc(p.title)}</h1><p>${p.detail}</p>${action ? `<p>${action}</p>` : ''}</section>`);
}

export function intentPage(intent: ConsoleIntent, wanted: string, chrome: Chrome): string {
  return layout(
    'Not part of this session',
    `<section class="card"><h1>Not part of this session</h1>
<p>This console session was opened for ${esc(INTENT_LABELS[intent])}, so it does not open ${esc(wanted)}.</p>
<p>${NEW_LINK.replace('new console link', 'console link for it')}</p></section>`,
    chrome,
  );
}
