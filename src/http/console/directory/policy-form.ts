import type { PublicConnection } from '../../../services/connections/service.js';
import type { ConfigField } from './fields.js';

/** The schedule and the reconcile policy as form fields (names are the policy keys of the README). */
export const POLICY_FIELDS: (ConfigField & { type?: 'text' | 'number' })[] = [
  { name: 'schedule', label: 'Schedule (cron)', help: 'When runs happen, as a cron expression in UTC: */15 * * * * is every 15 minutes, 0 * * * * every hour.' },
  { name: 'domains', label: 'Email domains', help: 'Domains for matching members by email and for invitations, separated by spaces or commas. Blank: the domains of the directory\u2019s own primary emails.' },
  { name: 'maxDeactivations', label: 'Deactivation budget per run', type: 'number', help: 'Above this many deactivations in one run, the rest wait for your approval under Runs.' },
  { name: 'maxDeactivationPercent', label: 'Deactivation budget per run (% of active members)', type: 'number', help: 'Above this share of the organization\u2019s active members (at least one person), the rest wait for your approval.' },
  { name: 'confirmMissingRuns', label: 'Complete listings before someone missing is deactivated', type: 'number', help: 'A person missing from the directory is deactivated once a lookup of that person says deleted, or after this many complete listings in a row without them.' },
  { name: 'exempt', label: 'Never deactivate automatically', multiline: true, help: 'Emails or member IDs, one per line. Owners are always exempt.' },
];

export const POLICY_SWITCHES: { name: string; label: string; help: string }[] = [
  { name: 'matchByEmail', label: 'Match members by email', help: 'Link members to directory users by email when no directory account is linked yet (only within the email domains).' },
  { name: 'deactivateSuspended', label: 'Deactivate suspended users', help: 'Deactivate members whose directory account is suspended or disabled (deleted ones always are).' },
  { name: 'deactivateMissing', label: 'Deactivate people missing from the directory', help: 'Deactivate linked members the complete listing no longer has, after the confirmation above.' },
  { name: 'autoInvite', label: 'Invite directory users who are not members', help: 'Send an invitation to active directory users (within the email domains) who have not joined; never twice, never after you revoked one.' },
  { name: 'inviteLink', label: 'Keep a directory invite link', help: 'An open invite link only people the directory lists as active can join through; its address is shown on this page after the next run.' },
];

const NUMBERS = new Set(['maxDeactivations', 'maxDeactivationPercent', 'confirmMissingRuns']);

/** What the form shows for a connection: its schedule and policy as field values. */
export function policyValues(conn: PublicConnection): Record<string, string | boolean> {
  const p = conn.policy;
  const out: Record<string, string | boolean> = { schedule: conn.schedule, reactivate: String(p.reactivate ?? 'ifDeactivatedByReconciler') };
  out.domains = Array.isArray(p.domains) ? p.domains.join(' ') : '';
  out.exempt = Array.isArray(p.exempt) ? p.exempt.join('\n') : '';
  for (const k of NUMBERS) out[k] = p[k] === undefined ? '' : String(p[k]);
  for (const s of POLICY_SWITCHES) out[s.name] = p[s.name] === true;
  return out;
}

/** What was typed, to show again when the service refused it. */
export function submittedPolicyValues(body: Record<string, unknown>): Record<string, string | boolean> {
  const out: Record<string, string | boolean> = {};
  for (const f of POLICY_FIELDS) out[f.name] = typeof body[f.name] === 'string' ? (body[f.name] as string) : '';
  for (const s of POLICY_SWITCHES) out[s.name] = body[s.name] === 'on';
  out.reactivate = typeof body.reactivate === 'string' ? body.reactivate : 'ifDeactivatedByReconciler';
  return out;
}

/**
 * The schedule and policy change a submitted form stands for. Every switch is on the form, so an
 * unticked one is off; a number is sent as typed (the service's schema says what is wrong with it),
 * and a blank one keeps the current value.
 */
export function formToPolicy(body: Record<string, unknown>): { schedule?: string; policy: Record<string, unknown> } {
  const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string).trim() : '');
  const list = (k: string) => str(k).split(/[\s,]+/).map((x) => x.trim()).filter(Boolean);
  const policy: Record<string, unknown> = { domains: list('domains'), exempt: list('exempt') };
  for (const k of NUMBERS) if (str(k)) policy[k] = Number(str(k));
  for (const s of POLICY_SWITCHES) policy[s.name] = body[s.name] === 'on';
  if (str('reactivate')) policy.reactivate = str('reactivate');
  return { ...(str('schedule') ? { schedule: str('schedule') } : {}), policy };
}
