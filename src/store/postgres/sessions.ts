import type { ConsoleSession, PortalLink, PortalLinkOutcome } from '../../domain/console.js';
import type { SessionStore } from '../../ports/store.js';
import { epochMs } from '../shared/record-errors.js';
import type { PostgresContext } from './context.js';

/** How long a link is kept past its expiry, so opening it late says "expired" rather than "not valid". */
const LINK_KEEP_MS = 24 * 3_600_000;

type SessionFixed = Omit<ConsoleSession, 'lastSeenAt' | 'idleExpiresAt' | 'revokedAt'>;
type LinkFixed = Omit<PortalLink, 'usedAt'>;
type LinkRow = { expires_at: number; used_at: number | null; data: string };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Console sessions and portal links in two tables keyed by the hash of their secret. Bookkeeping:
 * no org lock, no audit. Touching, revoking and consuming are each one conditional UPDATE, so
 * racing replicas serialise on the row and exactly one wins what only one may win.
 */
export class PostgresSessions implements SessionStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createConsoleSession(s: ConsoleSession): Promise<void> {
    const { lastSeenAt: _l, idleExpiresAt: _i, revokedAt: _r, ...fixed } = s;
    const revoked = s.revokedAt === undefined ? null : epochMs(s.revokedAt, 'revokedAt');
    const params = [s.idHash, s.orgId, epochMs(s.expiresAt, 'expiresAt'), epochMs(s.idleExpiresAt, 'idleExpiresAt'), epochMs(s.lastSeenAt, 'lastSeenAt'), revoked, JSON.stringify(fixed)];
    await this.ctx.read((sql) =>
      sql.exec('INSERT INTO console_sessions (id_hash, org_id, expires_at, idle_expires_at, last_seen_at, revoked_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7)', params).catch((err: unknown) => {
        throw this.ctx.duplicateRow(err, 'console session', s.publicId);
      }),
    );
  }

  async touchConsoleSession(idHash: string, now: Date, idleMs: number): Promise<ConsoleSession | undefined> {
    const t = now.getTime();
    const row = await this.ctx.read((sql) =>
      sql.one<{ idle_expires_at: number; data: string }>(
        `UPDATE console_sessions SET last_seen_at = $2::bigint, idle_expires_at = LEAST($2::bigint + $3::bigint, expires_at)
         WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2::bigint AND idle_expires_at > $2::bigint
         RETURNING idle_expires_at, data`,
        [idHash, t, Math.max(0, Math.trunc(idleMs))],
      ),
    );
    if (!row) return undefined;
    return { ...(JSON.parse(row.data) as SessionFixed), lastSeenAt: iso(t), idleExpiresAt: iso(row.idle_expires_at) };
  }

  async revokeConsoleSession(idHash: string, now: Date): Promise<boolean> {
    const t = now.getTime();
    const n = await this.ctx.read((sql) =>
      sql.exec('UPDATE console_sessions SET revoked_at = $2::bigint WHERE id_hash = $1 AND revoked_at IS NULL AND expires_at > $2::bigint AND idle_expires_at > $2::bigint', [idHash, t]),
    );
    return n === 1;
  }

  async revokeMemberConsoleSessions(orgId: string, memberId: string, now: Date): Promise<number> {
    const t = now.getTime();
    return this.ctx.read((sql) =>
      sql.exec(
        "UPDATE console_sessions SET revoked_at = $3::bigint WHERE org_id = $1 AND (data::jsonb ->> 'memberId') = $2 AND revoked_at IS NULL AND expires_at > $3::bigint AND idle_expires_at > $3::bigint",
        [orgId, memberId, t],
      ),
    );
  }

  async createPortalLink(link: PortalLink): Promise<void> {
    const { usedAt: _u, ...fixed } = link;
    const used = link.usedAt === undefined ? null : epochMs(link.usedAt, 'usedAt');
    await this.ctx.read((sql) =>
      sql
        .exec('INSERT INTO portal_links (token_hash, org_id, expires_at, used_at, data) VALUES ($1, $2, $3, $4, $5)', [link.tokenHash, link.orgId, epochMs(link.expiresAt, 'expiresAt'), used, JSON.stringify(fixed)])
        .catch((err: unknown) => {
          throw this.ctx.duplicateRow(err, 'portal link', link.tokenHash.slice(0, 8));
        }),
    );
  }

  /**
   * The conditional UPDATE is the consumption: a racing caller waits on the row and, when the
   * winner commits, finds it used. Only a caller that did not consume reads the row to say why.
   */
  async consumePortalLink(tokenHash: string, now: Date): Promise<PortalLinkOutcome> {
    const t = now.getTime();
    return this.ctx.read(async (sql) => {
      const won = await sql.one<{ data: string }>('UPDATE portal_links SET used_at = $2::bigint WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2::bigint RETURNING data', [tokenHash, t]);
      if (won) return { outcome: 'consumed', link: { ...(JSON.parse(won.data) as LinkFixed), usedAt: iso(t) } };
      const row = await sql.one<LinkRow>('SELECT expires_at, used_at, data FROM portal_links WHERE token_hash = $1', [tokenHash]);
      if (!row) return { outcome: 'not_found' };
      const link = JSON.parse(row.data) as LinkFixed;
      if (row.used_at !== null) return { outcome: 'used', link: { ...link, usedAt: iso(row.used_at) } };
      return { outcome: 'expired', link };
    });
  }

  async sweepConsoleSessions(now: Date): Promise<number> {
    const t = now.getTime();
    return this.ctx.write(null, async (tx) => {
      const sessions = await tx.exec('DELETE FROM console_sessions WHERE idle_expires_at <= $1 OR expires_at <= $1 OR revoked_at IS NOT NULL', [t]);
      const links = await tx.exec('DELETE FROM portal_links WHERE expires_at <= $1', [t - LINK_KEEP_MS]);
      return sessions + links;
    });
  }
}
