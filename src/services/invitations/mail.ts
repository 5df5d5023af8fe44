import type { Role } from '../../domain/model.js';
import type { MailMessage } from '../../ports/mailer.js';

export interface InvitationMailFacts {
  to: string;
  givenName?: string;
  orgName: string;
  inviter: string;
  role: Role;
  /** ISO timestamp. */
  expiresAt: string;
  url: string;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Human expiry in UTC, e.g. "4 March 2026, 00:00 UTC". */
function formatExpiry(iso: string): string {
  const d = new Date(iso);
  const date = d.toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
  const time = d.toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false, timeZone: 'UTC' });
  return `${date}, ${time} UTC`;
}

/** The invitation email: the same facts in plain text and in HTML (no external assets). */
export function invitationMail(f: InvitationMailFacts): MailMessage {
  const expiry = formatExpiry(f.expiresAt);
  const greeting = f.givenName ? `Hello ${f.givenName},` : 'Hello,';
  const text = [
    greeting,
    '',
    `${f.inviter} invited you to join ${f.orgName} as ${f.role}.`,
    '',
    'Accept the invitation by opening this link and signing in with Google, Microsoft or GitHub',
    `using the address ${f.to}:`,
    '',
    f.url,
    '',
    `The invitation expires on ${expiry}.`,
    'If you did not expect it, you can ignore this email.',
    '',
    '-- idsync',
  ].join('\n');
  const h = escapeHtml;
  const html = [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>Invitation to ${h(f.orgName)}</title></head>`,
    '<body style="font-family: system-ui, sans-serif; line-height: 1.5; color: #1a1a1a; max-width: 36rem; margin: 0 auto; padding: 1rem;">',
    `<p>${h(greeting)}</p>`,
    `<p><strong>${h(f.inviter)}</strong> invited you to join <strong>${h(f.orgName)}</strong> as <strong>${h(f.role)}</strong>.</p>`,
    `<p>Sign in with Google, Microsoft or GitHub using the address ${h(f.to)}.</p>`,
    `<p><a href="${h(f.url)}" style="display: inline-block; padding: 0.6rem 1.2rem; background: #1f4fd1; color: #ffffff; text-decoration: none; border-radius: 4px;">Accept the invitation</a></p>`,
    `<p>Or copy this link into your browser:<br>${h(f.url)}</p>`,
    `<p>The invitation expires on ${h(expiry)}. If you did not expect it, you can ignore this email.</p>`,
    '<p>-- idsync</p>',
    '</body></html>',
  ].join('\n');
  return { to: f.to, subject: `${f.inviter} invited you to join ${f.orgName}`, text, html };
}
