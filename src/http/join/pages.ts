import type { ErrorCode } from '../../domain/errors.js';
import { PROVIDER_LABELS, type JoinProvider } from './providers.js';

/** The join pages' only stylesheet, served from /join/assets/join.css (the CSP allows nothing else). */
export const JOIN_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#f4f5f7}
main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:12px;box-shadow:0 1px 3px rgba(0,0,0,.12)}
@media (max-width:30rem){main{margin:0;border-radius:0;min-height:100vh}}
.brand{font-weight:700;color:#3b4cca;letter-spacing:.02em;margin:0 0 1rem}
h1{font-size:1.4rem;line-height:1.3;margin:0 0 .75rem}
p{margin:.5rem 0}
dl{margin:1rem 0;display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem}
dt{font-weight:600}dd{margin:0}
ul.providers{list-style:none;padding:0;margin:1.5rem 0 0;display:grid;gap:.75rem}
a.button{display:block;text-align:center;padding:.85rem 1rem;border-radius:8px;border:1px solid #8a8f98;color:#1a1a1a;text-decoration:none;font-weight:600;min-height:44px}
a.button:hover{background:#eef0ff}
a.button:focus-visible,a:focus-visible{outline:3px solid #3b4cca;outline-offset:2px}
.muted{color:#555;font-size:.9rem}
`;

export const JOIN_CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";

export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function layout(title: string, body: string): string {
  return page(title, body, '/join/assets/join.css');
}

/** The frame of the join and sign-up pages (they differ only in their stylesheet's path). */
export function page(title: string, body: string, stylesheet: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${esc(title)} · idsync</title>
<link rel="stylesheet" href="${esc(stylesheet)}">
</head>
<body>
<main>
<p class="brand">idsync</p>
${body}
</main>
</body>
</html>
`;
}

export interface LandingView {
  orgName: string;
  role: string;
  /** "Ada Lovelace invited you (ada@example.com)" or "You have an open invite link". */
  reason: string;
  /** Personal invitation: the address to sign in with. */
  invitedEmail?: string;
  teamNames: string[];
  expiresAt?: string;
  providers: Array<{ id: JoinProvider; href: string }>;
}

export function landingPage(v: LandingView): string {
  const buttons = v.providers.length
    ? `<ul class="providers">${v.providers.map((p) => `<li><a class="button" href="${esc(p.href)}">Continue with ${PROVIDER_LABELS[p.id]}</a></li>`).join('')}</ul>`
    : '<p>No sign-in provider is configured for this installation yet. Please tell the person who invited you.</p>';
  return layout(
    `Join ${v.orgName}`,
    `<h1>Join ${esc(v.orgName)}</h1>
<p>${esc(v.reason)}</p>
<dl>
<dt>Organization</dt><dd>${esc(v.orgName)}</dd>
<dt>Role</dt><dd>${esc(v.role)}</dd>
${v.teamNames.length ? `<dt>Teams</dt><dd>${esc(v.teamNames.join(', '))}</dd>` : ''}
${v.invitedEmail ? `<dt>Email</dt><dd>${esc(v.invitedEmail)}</dd>` : ''}
${v.expiresAt ? `<dt>Expires</dt><dd><time datetime="${esc(v.expiresAt)}">${esc(v.expiresAt.replace('T', ' ').slice(0, 16))} UTC</time></dd>` : ''}
</dl>
${v.invitedEmail ? `<p class="muted">Sign in with the account for ${esc(v.invitedEmail)}.</p>` : ''}
${buttons}`,
  );
}

export function successPage(orgName: string, role: string, email: string): string {
  return layout(
    `You're in`,
    `<h1>You're in: ${esc(orgName)} as ${esc(role)}</h1>
<p>You joined as <strong>${esc(email)}</strong>. Your sign-in is linked to this membership.</p>
<h2>Where to go next</h2>
<p>Open ${esc(orgName)}'s app the way you usually do and sign in with <strong>${esc(email)}</strong>: your membership is ready there. If you do not know where that is, ask the person who invited you.</p>`,
  );
}

export interface Problem {
  status: number;
  title: string;
  detail: string;
}

export function problemPage(p: Problem, retryHref?: string): string {
  return layout(
    p.title,
    `<h1>${esc(p.title)}</h1>
<p>${esc(p.detail)}</p>
${retryHref ? `<p><a href="${esc(retryHref)}">Back to the invitation</a></p>` : ''}`,
  );
}

/** The page for each refusal the join flow can meet, keyed by error code (a join.* page has its code's status). */
export const PROBLEMS: Partial<Record<ErrorCode, Problem>> & { internal: Problem } = {
  'invite.not_found': { status: 404, title: 'This invitation link is not valid', detail: 'The link may be incomplete, or it was replaced by a newer invitation. Ask the person who invited you to send it again.' },
  'link.not_found': { status: 404, title: 'This invitation link is not valid', detail: 'The link may be incomplete, or it was replaced by a new one. Ask for the current link.' },
  'invite.expired': { status: 410, title: 'This invitation has expired', detail: 'Ask the person who invited you to resend it.' },
  'link.expired': { status: 410, title: 'This invite link has expired', detail: 'Ask an administrator of the organization for a new link.' },
  'invite.revoked': { status: 410, title: 'This invitation was revoked', detail: 'It can no longer be used. Ask an administrator of the organization if you think this is a mistake.' },
  'link.revoked': { status: 410, title: 'This invite link was revoked', detail: 'It can no longer be used. Ask an administrator of the organization for a new link.' },
  'org.deleting': { status: 409, title: 'This organization is being deleted', detail: 'Its invitations and invite links no longer work. If this is a mistake, an owner of the organization can restore it.' },
  'invite.used': { status: 409, title: 'This invitation was already used', detail: 'An invitation can be accepted once. If that was you, you are already a member.' },
  'link.used_up': { status: 409, title: 'This invite link is used up', detail: 'It has been used as many times as it allows. Ask an administrator of the organization for a new link.' },
  'invite.wrong_email': { status: 403, title: 'This invitation is for a different email address', detail: 'Sign in with the account of the invited address (its email must be verified), or ask for an invitation to the address you used.' },
  'link.domain_not_allowed': { status: 403, title: 'Your email domain is not allowed', detail: 'This invite link only accepts addresses from certain domains. Sign in with your work account.' },
  'member.domain_not_allowed': { status: 403, title: 'Your email domain is not allowed', detail: 'This organization only accepts addresses from its own domains. Sign in with your work account.' },
  'join.not_in_directory': { status: 403, title: 'You are not in the directory', detail: "This invite link is only for people the organization's directory lists as active. Sign in with your directory account, or ask an administrator." },
  'join.email_unverified': { status: 403, title: 'Your email address is not verified', detail: 'Verify the email address of your account with the provider, then try again.' },
  'member.removed': { status: 409, title: 'Your membership was removed', detail: 'An administrator removed you from this organization. Ask them to invite you again.' },
  'join.provider_unavailable': { status: 404, title: 'This sign-in option is not available', detail: 'Go back and choose another way to sign in.' },
  'join.session_invalid': { status: 400, title: 'Your sign-in could not be verified', detail: 'The sign-in took too long, was started in another browser, or the response was altered. Open the invitation link and start again.' },
  'join.cancelled': { status: 400, title: 'Sign-in cancelled', detail: 'You cancelled the sign-in. Open the invitation link to try again.' },
  'join.failed': { status: 502, title: 'Sign-in failed', detail: 'The sign-in provider could not confirm who you are. Please try again in a moment.' },
  'internal': { status: 500, title: 'Something went wrong', detail: 'Please try again in a moment. If it keeps happening, tell the person who invited you.' },
};
