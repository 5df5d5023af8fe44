import type { Identity, Role } from './model.js';

/**
 * Domain capture and sign-up: the records and the pure rules (names, the DNS proof, where a
 * continue URL points). Nothing here does I/O.
 */

/**
 * An org's claim on an email domain. Any number of orgs may hold a pending claim on one domain
 * (each with its own token, so nobody can block a domain by claiming it first); once verified the
 * domain is the org's alone: the store refuses a second verified claim on it (`domain.taken`).
 */
export interface DomainClaim {
  orgId: string;
  /** Lower-case, no trailing dot; the claim's id within the org. */
  domain: string;
  /** The value the DNS proof carries: `idsync-verification=<token>` at `_idsync.<domain>`. */
  token: string;
  status: 'pending' | 'verified';
  /** How it was verified. */
  method?: 'dns' | 'owner_sign_in';
  verifiedAt?: string;
  /** Owner sign-in proof: the member whose linked identity proved the domain. */
  verifiedByMemberId?: string;
  /** Sign-ups with this domain are offered to request to join this org (only while verified). */
  routeSignups: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** config signup.mode: what the /signup page does. */
export type SignupMode = 'off' | 'open' | 'invite-only';

export type JoinRequestStatus = 'pending' | 'approved' | 'declined';

/** A person's request, from the sign-up page, to join the org that captured their email's domain. */
export interface JoinRequest {
  id: string;
  orgId: string;
  email: string;
  givenName?: string;
  familyName?: string;
  /** The verified sign-in the request was made with; linked to the member on approval. */
  identity: Identity;
  status: JoinRequestStatus;
  /** The role an approval gives (default member). */
  role?: Role;
  memberId?: string;
  decidedBy?: string;
  decidedAt?: string;
  reason?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** Where the DNS proof lives: its own label, so the apex's TXT set (SPF, other proofs) is untouched and it can be delegated. */
export const VERIFICATION_LABEL = '_idsync';
export const VERIFICATION_PREFIX = 'idsync-verification=';

export function verificationRecordName(domain: string): string {
  return `${VERIFICATION_LABEL}.${domain}`;
}

export function verificationValue(token: string): string {
  return `${VERIFICATION_PREFIX}${token}`;
}

/** True when one TXT record (its character strings joined, as RFC 7208 does) is exactly the proof. */
export function txtProves(records: readonly (readonly string[])[], token: string): boolean {
  const want = verificationValue(token);
  return records.some((chunks) => chunks.join('').trim() === want);
}

const DOMAIN = /^(?=.{1,253}$)([a-z0-9](-?[a-z0-9])*\.)+[a-z]{2,}$/;

/** Lower-cased, trailing dot dropped; undefined when it is not a domain name. */
export function normalizeDomain(input: string): string | undefined {
  const d = input.trim().toLowerCase().replace(/\.$/, '');
  return DOMAIN.test(d) ? d : undefined;
}

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).trim().toLowerCase();
}

/**
 * Mail providers whose addresses anyone can get: no org may capture them, whatever the proof (an
 * owner signed in with gmail.com proves nothing about gmail.com). Not exhaustive; the DNS proof
 * cannot be passed for these anyway.
 */
export const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  'gmail.com', 'googlemail.com', 'outlook.com', 'hotmail.com', 'live.com', 'msn.com', 'yahoo.com', 'icloud.com', 'me.com', 'mac.com',
  'aol.com', 'proton.me', 'protonmail.com', 'gmx.com', 'gmx.de', 'web.de', 'mail.com', 'yandex.com', 'yandex.ru', 'zoho.com', 'fastmail.com', 'hey.com',
  'users.noreply.github.com',
]);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A continue URL is absolute https, or http on a loopback host (local development); no credentials, no fragment. */
export function continueUrlProblem(value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return 'expected an absolute URL';
  }
  if (u.username || u.password) return 'must not carry credentials';
  if (u.hash) return 'must not have a fragment';
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && LOOPBACK_HOSTS.has(u.hostname)) return undefined;
  return 'expected an https URL (http only for localhost)';
}

/** Where a person goes after joining: the URL with `orgId` and `memberId` set (other parameters kept). */
export function continueTarget(base: string, orgId: string, memberId: string): string {
  const u = new URL(base);
  u.searchParams.set('orgId', orgId);
  u.searchParams.set('memberId', memberId);
  return u.href;
}
