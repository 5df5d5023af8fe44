import type { ConsoleSession, PortalLink, PortalLinkOutcome } from '../../domain/console.js';
import type { SessionStore } from '../../ports/store.js';
import type { SqliteContext } from './context.js';

/** How long a link is kept past its expiry, so opening it late says "expired" rather than "not valid". */
export const LINK_KEEP_MS = 24 * 3_600_000;

type Fixed<T, K extends keyof T> = Omit<T, K>;
type SessionRow = { expires_at: number; idle_expires_at: number; last_seen_at: number; revoked_at: number | null; data: string };
type LinkRow = { expires_at: number; used_at: number | null; data: string };

const iso = (ms: number) => new Date(ms).toISOString();

/** Console sessions and portal links in two tables keyed by the hash of their secret. */
export class SqliteSessions implements SessionStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createConsoleSession(s: ConsoleSession): Promise<void> {
    const { lastSeenAt: _l, idleExpiresAt: _i, revokedAt: _r, ...fixed } = s;
    this.ctx.write(() => {
      try {
        this.ctx
          .stmt('INSERT INTO console_sessions (id_hash, org_id, expires_at, idle_expires_at, last_seen_at, revoked_at, data) VALUES (?, ?, ?, ?, ?, ?, ?)')
          .run(s.idHash, s.orgId, Date.parse(s.expiresAt), Date.parse(s.idleExpiresAt), Date.parse(s.lastSeenAt), s.revokedAt ? Date.parse(s.revokedAt) : null, JSON.stringify(fixed));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'console session', s.publicId);
      }
    });
  }

  async touchConsoleSession(idHash: string, now: Date, idleMs: number): Promise<ConsoleSession | undefined> {
    const t = now.getTime();
    return this.ctx.write(() => {
      const row = this.ctx.stmt('SELECT expires_at, idle_expires_at, last_seen_at, revoked_at, data FROM console_sessions WHERE id_hash = ?').get(idHash) as SessionRow | undefined;
      if (!row || row.revoked_at !== null || t >= row.expires_at || t >= row.idle_expires_at) return undefined;
      const idle = Math.min(t + idleMs, row.expires_at);
      this.ctx.stmt('UPDATE console_sessions SET last_seen_at = ?, idle_expires_at = ? WHERE id_hash = ?').run(t, idle, idHash);
      return { ...(JSON.parse(row.data) as Fixed<ConsoleSession, 'lastSeenAt' | 'idleExpiresAt'>), lastSeenAt: iso(t), idleExpiresAt: iso(idle) };
    });
  }

  async revokeConsoleSession(idHash: string, now: Date): Promise<boolean> {
    const t = now.getTime();
    return this.ctx.write(
      () => this.ctx.stmt('UPDATE console_sessions SET revoked_at = ? WHERE id_hash = ? AND revoked_at IS NULL AND expires_at > ? AND idle_expires_at > ?').run(t, idHash, t, t).changes === 1,
    );
  }

  async revokeMemberConsoleSessions(orgId: string, memberId: string, now: Date): Promise<number> {
    const t = now.getTime();
    return this.ctx.write(
      () =>
        this.ctx
          .stmt("UPDATE console_sessions SET revoked_at = ? WHERE org_id = ? AND json_extract(data, '$.memberId') = ? AND revoked_at IS NULL AND expires_at > ? AND idle_expires_at > ?")
          .run(t, orgId, memberId, t, t).changes,
    );
  }

  async createPortalLink(link: PortalLink): Promise<void> {
    const { usedAt: _u, ...fixed } = link;
    this.ctx.write(() => {
      try {
        this.ctx.stmt('INSERT INTO portal_links (token_hash, org_id, expires_at, used_at, data) VALUES (?, ?, ?, ?, ?)').run(link.tokenHash, link.orgId, Date.parse(link.expiresAt), link.usedAt ? Date.parse(link.usedAt) : null, JSON.stringify(fixed));
      } catch (err) {
        throw this.ctx.duplicateRow(err, 'portal link', link.tokenHash.slice(0, 8));
      }
    });
  }

  async consumePortalLink(tokenHash: string, now: Date): Promise<PortalLinkOutcome> {
    const t = now.getTime();
    return this.ctx.write(() => {
      const row = this.ctx.stmt('SELECT expires_at, used_at, data FROM portal_links WHERE token_hash = ?').get(tokenHash) as LinkRow | undefined;
      if (!row) return { outcome: 'not_found' };
      const link = JSON.parse(row.data) as PortalLink;
      if (row.used_at !== null) return { outcome: 'used', link: { ...link, usedAt: iso(row.used_at) } };
      if (t >= row.expires_at) return { outcome: 'expired', link };
      this.ctx.stmt('UPDATE portal_links SET used_at = ? WHERE token_hash = ?').run(t, tokenHash);
      return { outcome: 'consumed', link: { ...link, usedAt: iso(t) } };
    });
  }

  async sweepConsoleSessions(now: Date): Promise<number> {
    const t = now.getTime();
    return this.ctx.write(() => {
      const sessions = this.ctx.stmt('DELETE FROM console_sessions WHERE idle_expires_at <= ? OR expires_at <= ? OR revoked_at IS NOT NULL').run(t, t).changes;
      const links = this.ctx.stmt('DELETE FROM portal_links WHERE expires_at <= ?').run(t - LINK_KEEP_MS).changes;
      return sessions + links;
    });
  }
}
