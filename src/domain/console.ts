import type { Actor, Identity } from './model.js';

/**
 * The console's sign-in records: server-side sessions and one-time portal links. Plain data; the
 * secrets they stand for (the cookie's session token, the link's token) are never stored, only
 * their SHA-256.
 */

/** What a portal link (and the session it starts) opens: one area of the console, or all of it. */
export type ConsoleIntent = 'members' | 'scim' | 'directory' | 'all';
export const CONSOLE_INTENTS: readonly ConsoleIntent[] = ['members', 'scim', 'directory', 'all'];

export const INTENT_LABELS: Record<ConsoleIntent, string> = {
  members: 'managing members',
  scim: 'SCIM setup',
  directory: 'directory sync setup',
  all: 'the whole console',
};

/** Whether a session of `intent` may open an area of the console. */
export function intentCovers(intent: ConsoleIntent, area: Exclude<ConsoleIntent, 'all'>): boolean {
  return intent === 'all' || intent === area;
}

/** A person who signed in with a join-page provider: what the provider proved. */
export interface ConsolePerson {
  kind: 'person';
  provider: Identity['provider'];
  subject: string;
  email: string;
  emailVerified: boolean;
}

/** The operator (a provider-wide key or the CLI asked for the link): every organization opens. */
export interface ConsoleOperator {
  kind: 'operator';
}

/** `orgId` of a session that has not opened an organization yet (a person with several, the operator). */
export const NO_ORG = '';

export interface ConsoleSession {
  /** SHA-256 (hex) of the session token the browser's cookie carries. */
  idHash: string;
  /** A short public id for logs and the audit trail (never the token). */
  publicId: string;
  /** The organization the session opened with (a portal link's, the only one of a person), or NO_ORG. */
  orgId: string;
  /**
   * Who signed in; absent: a portal link's session (its org only, acting as the org's owner). A
   * person's standing is read again on every request: each org they open must list them as an
   * active owner or admin at that moment.
   */
  who?: ConsolePerson | ConsoleOperator;
  intent: ConsoleIntent;
  /** The audited actor of every change made in the session. */
  actor: Actor;
  /**
   * The person the session belongs to, when it is one member's: a portal link asked for on behalf
   * of that member (X-Idsync-Acting-Member). Universal Logout of the person ends it.
   */
  memberId?: string;
  /** The synchronizer token every state-changing request of the session must carry. */
  csrfSecret: string;
  createdAt: string;
  lastSeenAt: string;
  /** Idle expiry: moved forward on each use, never past `expiresAt`. */
  idleExpiresAt: string;
  /** Absolute expiry. */
  expiresAt: string;
  revokedAt?: string;
}

export interface PortalLink {
  /** SHA-256 (hex) of the one-time token in the link's URL. */
  tokenHash: string;
  /** NO_ORG for an operator link. */
  orgId: string;
  /** An operator link (provider-wide): its session lists and opens every organization. */
  operator?: boolean;
  intent: ConsoleIntent;
  /** Who asked for the link (an admin key, the CLI); the session's actor names it. */
  createdBy: Actor;
  createdAt: string;
  expiresAt: string;
  usedAt?: string;
}

/** What consuming a portal link found; exactly one caller ever gets `consumed` for a link. */
export type PortalLinkOutcome =
  | { outcome: 'consumed'; link: PortalLink }
  | { outcome: 'used'; link: PortalLink }
  | { outcome: 'expired'; link: PortalLink }
  | { outcome: 'not_found' };
