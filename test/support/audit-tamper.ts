import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { AuditEvent } from '../../src/domain/model.js';
import { chainHash } from '../../src/ports/audit-chain.js';
import { redisKeys } from '../../src/store/redis/keys.js';

/**
 * What someone with access to the store's database (not to idsync) can do to an org's trail,
 * done the way they would: straight in the SQLite file, the PostgreSQL tables, the Redis keys.
 */
export interface Tamper {
  /** Deletes the events (and outbox records) after `keep`, and sets the chain's head to `keep` where a store keeps one. */
  cutAfter(orgId: string, keep: number): Promise<void>;
  /** Deletes the one event at `seq`. */
  remove(orgId: string, seq: number): Promise<void>;
  /** Replaces events whole (same seq), as given. */
  overwrite(orgId: string, events: AuditEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** A consistent rewrite from `from` on: event `from` gets other content, and it and every event after it are re-hashed and re-linked. */
export function rewriteFrom(events: AuditEvent[], from: number, change: (e: AuditEvent) => AuditEvent): AuditEvent[] {
  const out: AuditEvent[] = [];
  let prev = events.find((e) => e.seq === from - 1)?.hash;
  for (const e of events.filter((x) => x.seq >= from)) {
    const base = e.seq === from ? change(e) : e;
    const unhashed = { ...base, prevHash: prev ?? base.prevHash };
    const next = { ...unhashed, hash: chainHash(unhashed) };
    out.push(next);
    prev = next.hash;
  }
  return out;
}

export async function openTamper(env: NodeJS.ProcessEnv): Promise<Tamper> {
  if (env.IDSYNC_STORE === 'redis') {
    const redis = new Redis(env.IDSYNC_REDIS_URL!);
    const keys = redisKeys(env.IDSYNC_REDIS_KEY_PREFIX ?? undefined);
    const seqsAfter = async (key: string, keep: number) => (await redis.hkeys(key)).filter((s) => Number(s) > keep);
    return {
      async cutAfter(orgId, keep) {
        const k = keys.forOrg(orgId);
        const events = await seqsAfter(k.auditEvents, keep);
        const outbox = await seqsAfter(k.outbox, keep);
        const last = JSON.parse((await redis.hget(k.auditEvents, String(keep)))!) as AuditEvent;
        if (events.length) await redis.hdel(k.auditEvents, ...events);
        if (outbox.length) await redis.hdel(k.outbox, ...outbox);
        await redis.hset(k.auditHead, 'seq', String(keep), 'hash', last.hash);
      },
      async remove(orgId, seq) {
        await redis.hdel(keys.forOrg(orgId).auditEvents, String(seq));
      },
      async overwrite(orgId, events) {
        const k = keys.forOrg(orgId);
        for (const e of events) await redis.hset(k.auditEvents, String(e.seq), JSON.stringify(e));
        const head = JSON.parse((await redis.hget(k.auditEvents, (await redis.hget(k.auditHead, 'seq'))!))!) as AuditEvent;
        await redis.hset(k.auditHead, 'hash', head.hash);
      },
      close: async () => void (await redis.quit()),
    };
  }
  if (env.IDSYNC_STORE === 'postgres') {
    const client = new pg.Client({ connectionString: env.IDSYNC_POSTGRES_URL! });
    await client.connect();
    return {
      async cutAfter(orgId, keep) {
        await client.query('DELETE FROM audit_events WHERE org_id = $1 AND seq > $2', [orgId, keep]);
        await client.query('DELETE FROM outbox WHERE org_id = $1 AND seq > $2', [orgId, keep]);
      },
      async remove(orgId, seq) {
        await client.query('DELETE FROM audit_events WHERE org_id = $1 AND seq = $2', [orgId, seq]);
      },
      async overwrite(orgId, events) {
        for (const e of events) await client.query('UPDATE audit_events SET hash = $3, data = $4 WHERE org_id = $1 AND seq = $2', [orgId, e.seq, e.hash, JSON.stringify(e)]);
      },
      close: () => client.end(),
    };
  }
  const db = new Database(join(env.IDSYNC_DATA_DIR!, 'idsync.db'));
  db.pragma('busy_timeout = 5000');
  return {
    async cutAfter(orgId, keep) {
      db.prepare('DELETE FROM audit_events WHERE org_id = ? AND seq > ?').run(orgId, keep);
      db.prepare('DELETE FROM outbox WHERE org_id = ? AND seq > ?').run(orgId, keep);
    },
    async remove(orgId, seq) {
      db.prepare('DELETE FROM audit_events WHERE org_id = ? AND seq = ?').run(orgId, seq);
    },
    async overwrite(orgId, events) {
      const update = db.prepare('UPDATE audit_events SET hash = ?, data = ? WHERE org_id = ? AND seq = ?');
      db.transaction(() => events.forEach((e) => update.run(e.hash, JSON.stringify(e), orgId, e.seq)))();
    },
    close: async () => void db.close(),
  };
}
