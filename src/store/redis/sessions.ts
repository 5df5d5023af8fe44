import { IdsyncError } from '../../domain/errors.js';
import { NO_ORG, type ConsoleSession, type PortalLink, type PortalLinkOutcome } from '../../domain/console.js';
import type { SessionStore } from '../../ports/store.js';
import { unexpectedReply, type RedisContext } from './context.js';

/** How long a record is kept past its expiry: a session a minute (a late touch finds it expired), a link a day (opening it late says "expired"). */
const SESSION_GRACE_MS = 60_000;
const LINK_KEEP_MS = 24 * 3_600_000;

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Console sessions and portal links as one hash each under `{console}`: the fixed part as JSON in
 * `data`, the changing parts (expiry, last use, revocation, use) as fields a script compares and
 * sets atomically. Each key carries a TTL past its expiry, so Redis forgets them unasked.
 */
export class RedisSessions implements SessionStore {
  constructor(private readonly ctx: RedisContext) {}

  async createConsoleSession(s: ConsoleSession): Promise<void> {
    const { lastSeenAt: _l, idleExpiresAt: _i, revokedAt: _r, ...fixed } = s;
    const idle = Date.parse(s.idleExpiresAt);
    // Relative to the record's own times, so a caller's clock (virtual in tests) decides nothing here.
    const ttl = Math.max(1, idle - Date.parse(s.lastSeenAt) + SESSION_GRACE_MS);
    const fields = ['data', JSON.stringify(fixed), 'exp', String(Date.parse(s.expiresAt)), 'idle', String(idle), 'seen', String(Date.parse(s.lastSeenAt))];
    if (s.revokedAt) fields.push('revoked', String(Date.parse(s.revokedAt)));
    await this.create(this.ctx.keys.console.session(s.idHash), ttl, fields, `console session ${s.publicId}`);
    // The indexes outlive every session in them: the newest session has the latest absolute expiry.
    const keep = Math.max(1, Date.parse(s.expiresAt) - Date.parse(s.lastSeenAt) + SESSION_GRACE_MS);
    const indexes = [...(s.memberId ? [this.ctx.keys.console.memberSessions(s.memberId)] : []), ...(s.orgId !== NO_ORG ? [this.ctx.keys.console.orgSessions(s.orgId)] : [])];
    for (const index of indexes) await this.ctx.call((c) => c.multi().sadd(index, s.idHash).pexpire(index, keep).exec());
  }

  async touchConsoleSession(idHash: string, now: Date, idleMs: number): Promise<ConsoleSession | undefined> {
    const reply = await this.ctx.script('touchConsoleSession', [this.ctx.keys.console.session(idHash)], [now.getTime(), Math.max(1, Math.round(idleMs)), SESSION_GRACE_MS]);
    if (reply[0] === 'gone') return undefined;
    if (reply[0] !== 'ok') throw unexpectedReply('touchConsoleSession', reply);
    const fixed = JSON.parse(String(reply[1])) as Omit<ConsoleSession, 'lastSeenAt' | 'idleExpiresAt'>;
    return { ...fixed, lastSeenAt: iso(Number(reply[2])), idleExpiresAt: iso(Number(reply[3])) };
  }

  async revokeConsoleSession(idHash: string, now: Date): Promise<boolean> {
    const reply = await this.ctx.script('revokeConsoleSession', [this.ctx.keys.console.session(idHash)], [now.getTime()]);
    return reply[1] === 1;
  }

  /** Each indexed session is revoked by the same script as a sign-out; hashes whose session is gone leave the index. */
  async revokeMemberConsoleSessions(orgId: string, memberId: string, now: Date): Promise<number> {
    const index = this.ctx.keys.console.memberSessions(memberId);
    const hashes = await this.ctx.call((c) => c.smembers(index));
    let revoked = 0;
    for (const h of hashes) {
      const key = this.ctx.keys.console.session(h);
      const data = await this.ctx.call((c) => c.hget(key, 'data'));
      if (data === null) {
        await this.ctx.call((c) => c.srem(index, h));
        continue;
      }
      if ((JSON.parse(data) as { orgId?: string }).orgId !== orgId) continue;
      const reply = await this.ctx.script('revokeConsoleSession', [key], [now.getTime()]);
      if (reply[1] === 1) revoked++;
    }
    return revoked;
  }

  async createPortalLink(link: PortalLink): Promise<void> {
    const { usedAt: _u, ...fixed } = link;
    const exp = Date.parse(link.expiresAt);
    const ttl = Math.max(1, exp - Date.parse(link.createdAt) + LINK_KEEP_MS);
    const fields = ['data', JSON.stringify(fixed), 'exp', String(exp)];
    if (link.usedAt) fields.push('used', String(Date.parse(link.usedAt)));
    await this.create(this.ctx.keys.console.portalLink(link.tokenHash), ttl, fields, `portal link ${link.tokenHash.slice(0, 8)}`);
  }

  async consumePortalLink(tokenHash: string, now: Date): Promise<PortalLinkOutcome> {
    const reply = await this.ctx.script('consumePortalLink', [this.ctx.keys.console.portalLink(tokenHash)], [now.getTime()]);
    const [status, data, at] = reply;
    if (status === 'not_found') return { outcome: 'not_found' };
    const link = JSON.parse(String(data)) as PortalLink;
    if (status === 'consumed' || status === 'used') return { outcome: status, link: { ...link, usedAt: iso(Number(at)) } };
    if (status === 'expired') return { outcome: 'expired', link };
    throw unexpectedReply('consumePortalLink', reply);
  }

  /** Keys carry their own TTL: Redis forgets them. */
  async sweepConsoleSessions(): Promise<number> {
    return 0;
  }

  private async create(key: string, ttlMs: number, fields: string[], what: string): Promise<void> {
    const reply = await this.ctx.script('createExpiring', [key], [ttlMs, ...fields]);
    if (reply[0] === 'exists') throw new IdsyncError('internal', `${what} already exists`);
    if (reply[0] !== 'ok') throw unexpectedReply('createExpiring', reply);
  }
}

/**
 * Ends every session opened on a purged org at once (SQLite and PostgreSQL delete their rows with
 * the org's): the session keys and the org's index go. Sessions of a person who opened several orgs
 * are listed under the first one only, as the SQL stores' `org_id` column holds that one too.
 */
export async function endOrgConsoleSessions(ctx: RedisContext, orgId: string): Promise<void> {
  const index = ctx.keys.console.orgSessions(orgId);
  const hashes = await ctx.call((c) => c.smembers(index));
  // The keys share the {console} hash tag, so one UNLINK may take many of them on a Cluster too.
  for (let i = 0; i < hashes.length; i += 500) await ctx.call((c) => c.unlink(...hashes.slice(i, i + 500).map((h) => ctx.keys.console.session(h))));
  await ctx.call((c) => c.unlink(index));
}
