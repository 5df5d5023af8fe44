import type { ConsoleSession, PortalLink, PortalLinkOutcome } from '../../domain/console.js';

/**
 * Console sessions and one-time portal links: bookkeeping records (no audit event, no outbox
 * record: the changes made in a session are audited, signing in is logged). Found only by the hash
 * of their secret, so any replica serves them and revoking one works everywhere at once.
 */
export interface SessionStore {
  /** Stores a new session; a second one with the same hash is `internal`. */
  createConsoleSession(session: ConsoleSession): Promise<void>;
  /**
   * The session when it is live at `now` (not revoked, before its idle and its absolute expiry),
   * after atomically moving `lastSeenAt` to now and the idle expiry to `now + idleMs` (capped at the
   * absolute expiry); undefined otherwise.
   */
  touchConsoleSession(idHash: string, now: Date, idleMs: number): Promise<ConsoleSession | undefined>;
  /** Revokes (sign-out): every later touch finds nothing. False when there was no such live session. */
  revokeConsoleSession(idHash: string, now: Date): Promise<boolean>;
  /**
   * Revokes every live session of the org that belongs to the member (`memberId`), as a sign-out of
   * each: every later touch finds nothing, on any replica. Returns how many were live.
   */
  revokeMemberConsoleSessions(orgId: string, memberId: string, now: Date): Promise<number>;

  /** Stores a new portal link; a second one with the same hash is `internal`. */
  createPortalLink(link: PortalLink): Promise<void>;
  /**
   * Consumes the link atomically: of any number of racing callers exactly one gets `consumed` (and
   * the link is marked used at `now`); later ones get `used`. A link past its expiry is `expired`
   * and stays unused. Links and sessions are kept long enough after expiry to be told apart from
   * unknown ones (at least a day for links).
   */
  consumePortalLink(tokenHash: string, now: Date): Promise<PortalLinkOutcome>;
  /**
   * Forgets sessions past their expiry (or revoked) and links more than a day past theirs. Returns
   * how many went; a backend whose records expire by themselves returns 0.
   */
  sweepConsoleSessions(now: Date): Promise<number>;
}
