import type { ErrorCode } from '../../domain/errors.js';
import type { SignupChoices } from '../../services/signup/service.js';
import { esc, JOIN_CSS, page, PROBLEMS, type Problem } from '../join/pages.js';
import { PROVIDER_LABELS, type JoinProvider } from '../join/providers.js';

/** The join page's stylesheet plus forms (served from /signup/assets/signup.css; the CSP allows nothing else). */
export const SIGNUP_CSS = `${JOIN_CSS}
form{margin:1rem 0}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
input[type=text],textarea{width:100%;padding:.6rem;border:1px solid #8a8f98;border-radius:8px;font:inherit}
button{display:block;width:100%;text-align:center;padding:.85rem 1rem;border-radius:8px;border:1px solid #8a8f98;background:#fff;color:#1a1a1a;font:inherit;font-weight:600;min-height:44px;margin-top:.75rem;cursor:pointer}
button.primary{background:#3b4cca;border-color:#3b4cca;color:#fff}
button:focus-visible,input:focus-visible,textarea:focus-visible{outline:3px solid #3b4cca;outline-offset:2px}
h2{font-size:1.1rem;margin:1.25rem 0 .5rem}
ul.steps{padding-left:1.2rem}
`;

/**
 * The pages' CSP. form-action also applies to where a form submission is redirected, so the start
 * page (whose form goes to /signup/start and on to the provider) lists the providers' origins too.
 */
export function signupCsp(formOrigins: readonly string[] = []): string {
  return `default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'${formOrigins.map((o) => ` ${o}`).join('')}; base-uri 'none'; frame-ancestors 'none'`;
}

function layout(title: string, body: string): string {
  return page(title, body, '/signup/assets/signup.css');
}

export function closedPage(): string {
  return layout(
    'Sign-up is closed',
    `<h1>Sign-up is closed</h1>
<p>Organizations on this installation are created by its operator. If you were invited, open the link in your invitation email instead.</p>`,
  );
}

/** The first page: open mode asks for an organization name; invite-only explains. */
export function startPage(mode: 'open' | 'invite-only', providers: JoinProvider[]): string {
  if (providers.length === 0) return layout('Sign up', '<h1>Sign up</h1><p>No sign-in provider is configured for this installation yet.</p>');
  if (mode === 'invite-only') {
    return layout(
      'Sign up',
      `<h1>Sign up</h1>
<p>Sign-up here is by invitation. Sign in with your work account: if an organization invited your address, or manages your email domain, you can join it or ask to. Otherwise you can ask the operator for access.</p>
<ul class="providers">${providers.map((p) => `<li><a class="button" href="/signup/start/${p}">Continue with ${PROVIDER_LABELS[p]}</a></li>`).join('')}</ul>`,
    );
  }
  return layout(
    'Sign up',
    `<h1>Create your organization</h1>
<p>Sign in with a verified work address. If your address was invited to an organization, or your company already uses idsync for your email domain, you will be offered to join it instead.</p>
<form method="get" action="/signup/start/${providers[0]}">
<label for="org-name">Organization name</label>
<input type="text" id="org-name" name="name" maxlength="200" autocomplete="organization" aria-describedby="org-name-hint">
<p class="muted" id="org-name-hint">Optional: by default your email domain.</p>
${providers.map((p, i) => `<button type="submit"${i === 0 ? ' class="primary"' : ''} formaction="/signup/start/${p}">Continue with ${PROVIDER_LABELS[p]}</button>`).join('\n')}
</form>`,
  );
}

const hidden = (name: string, value: string) => `<input type="hidden" name="${esc(name)}" value="${esc(value)}">`;

/** What a verified sign-in may do when no new org is created at once. */
export function choicesPage(c: SignupChoices, csrf: string): string {
  const parts: string[] = [`<h1>Welcome, ${esc(c.email)}</h1>`];
  if (c.offers.length) {
    parts.push(`<p>You don't need a new organization: you are invited to join ${c.offers.length === 1 ? 'one' : 'these'}.</p>`);
    for (const o of c.offers) {
      parts.push(`<form method="post" action="/signup/join">${hidden('csrf', csrf)}${hidden('kind', o.kind)}${hidden('orgId', o.orgId)}${hidden('id', o.id)}
<p>${o.kind === 'invitation' ? 'An invitation' : 'An invite link for your domain'} to <strong>${esc(o.orgName)}</strong> as ${esc(o.role)}.</p>
<button type="submit" class="primary">Join ${esc(o.orgName)}</button></form>`);
    }
  } else if (c.captured) {
    parts.push(`<p><strong>${esc(c.captured.orgName)}</strong> manages accounts for <strong>${esc(c.captured.domain)}</strong>, so a new organization is not created for your address. Ask to join it: its administrators approve or decline your request.</p>
<form method="post" action="/signup/request">${hidden('csrf', csrf)}<button type="submit" class="primary">Request to join ${esc(c.captured.orgName)}</button></form>`);
  } else {
    parts.push(`<p>Sign-up here is by invitation, and no organization has invited your address yet. Ask the person who runs your organization's account to invite you, or ask the operator of this installation for access.</p>
<form method="post" action="/signup/access">${hidden('csrf', csrf)}
<label for="note">Message to the operator (optional)</label>
<textarea id="note" name="note" rows="3" maxlength="500"></textarea>
<button type="submit" class="primary">Request access</button></form>`);
  }
  return layout('Sign up', parts.join('\n'));
}

export function requestSentPage(orgName: string, email: string, again: boolean): string {
  return layout(
    'Request sent',
    `<h1>Request sent to ${esc(orgName)}</h1>
<p>${again ? 'Your earlier request is still waiting' : 'Your request to join is waiting'} for an administrator of ${esc(orgName)} to approve it. Once approved, sign in to ${esc(orgName)}'s app with <strong>${esc(email)}</strong>.</p>`,
  );
}

export function accessRequestedPage(email: string): string {
  return layout('Request sent', `<h1>Request sent</h1><p>The operator of this installation was told that <strong>${esc(email)}</strong> asks for access. You will hear from them by email.</p>`);
}

const STEP_LABELS: Record<string, string> = { members: 'Invite your colleagues', scim: 'Set up SCIM provisioning (Okta, Microsoft Entra ID)', directory: 'Connect a directory (Google Workspace, Microsoft, GitHub)' };

/** A first step: a button posting its one-time console link's token (a GET of the link only shows a Continue page, for mail scanners). */
function stepForm(s: { intent: string; url: string }): string {
  const token = new URL(s.url).searchParams.get('token') ?? '';
  return `<form method="post" action="/console/start"><input type="hidden" name="token" value="${esc(token)}"><button type="submit">${esc(STEP_LABELS[s.intent] ?? s.intent)}</button></form>`;
}

export function newOrgPage(orgName: string, email: string, steps: Array<{ intent: string; url: string }>): string {
  return layout(
    `${orgName} is ready`,
    `<h1>${esc(orgName)} is ready</h1>
<p>You are its owner, signed in as <strong>${esc(email)}</strong>.</p>
<h2>First steps</h2>
<ul class="steps">${steps.map((s) => `<li>${stepForm(s)}</li>`).join('')}</ul>
<p class="muted">Each button opens the console once and is valid for five minutes; run <code>idsync console-link</code> or ask the operator for a new one later.</p>`,
  );
}

export function signupProblemPage(p: Problem, retry: boolean): string {
  return layout(p.title, `<h1>${esc(p.title)}</h1>\n<p>${esc(p.detail)}</p>\n${retry ? '<p><a href="/signup">Back to sign-up</a></p>' : ''}`);
}

/** The join pages' problems, with sign-up's own. */
export const SIGNUP_PROBLEMS: Partial<Record<ErrorCode, Problem>> & { internal: Problem } = {
  ...PROBLEMS,
  'join.session_invalid': { status: 400, title: 'Your sign-in could not be verified', detail: 'The sign-in took too long, was started in another browser, or the response was altered. Start again.' },
  'join.cancelled': { status: 400, title: 'Sign-in cancelled', detail: 'You cancelled the sign-in. Start again to sign up.' },
  'signup.closed': { status: 404, title: 'Sign-up is closed', detail: 'Organizations on this installation are created by its operator. If you were invited, open the link in your invitation email.' },
  'domain.taken': { status: 409, title: 'Your domain belongs to an organization', detail: 'An organization manages accounts for your email domain. Start again and ask to join it.' },
  'domain.not_found': { status: 404, title: 'No organization manages your domain', detail: 'Start again to see what you can do.' },
  'invite.already_member': { status: 409, title: 'You are already a member', detail: 'Sign in to the app of your organization.' },
  'internal': { status: 500, title: 'Something went wrong', detail: 'Please try again in a moment.' },
};
