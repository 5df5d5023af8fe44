import { afterEach, describe, expect, it } from '@jest/globals';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { join } from 'node:path';
import pg from 'pg';
import { redisKeys } from '../../src/store/redis/keys.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES, USER, type StoreKind } from '../support/scim.js';

type Fixture = Awaited<ReturnType<typeof scimFixture>>;
const FAILED = 'SCIM request log cannot be written; holding entries and retrying (SCIM requests are unaffected)';

async function metric(f: Fixture, name: string): Promise<number> {
  const text = await (await fetch(`${f.daemon.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

/** Makes the store refuse log writes (and only those) until the returned function is called. */
async function breakTheLog(kind: StoreKind, f: Fixture, orgId: string): Promise<() => Promise<void>> {
  if (kind === 'sqlite') {
    // The request log has a file of its own beside the store's.
    const db = new Database(join(f.env.IDSYNC_DATA_DIR!, 'idsync.db-scimlog'));
    db.exec('ALTER TABLE scim_log_pages RENAME TO scim_log_away');
    return async () => {
      db.exec('ALTER TABLE scim_log_away RENAME TO scim_log_pages');
      db.close();
    };
  }
  if (kind === 'postgres') {
    const client = new pg.Client({ connectionString: f.env.IDSYNC_POSTGRES_URL });
    await client.connect();
    await client.query('ALTER TABLE scim_log RENAME TO scim_log_away');
    return async () => {
      await client.query('ALTER TABLE scim_log_away RENAME TO scim_log');
      await client.end();
    };
  }
  // A string where the stream should be: every XADD to it answers WRONGTYPE.
  const redis = new Redis(f.env.IDSYNC_REDIS_URL!);
  const key = redisKeys().forOrg(orgId).scimLog;
  await redis.set(key, 'not a stream');
  return async () => {
    await redis.del(key);
    redis.disconnect();
  };
}

describe.each(STORES)('SCIM request log faults on %s', (kind) => {
  let f: Fixture | undefined;
  afterEach(async () => {
    await f?.dispose();
    f = undefined;
  });

  it('when the store refuses the log while SCIM requests are served, then every request succeeds, the failure is logged once and counted, and the held entries are written once it accepts them again', async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    const { org, scim } = await f.newOrg('Acme');
    const repair = await breakTheLog(kind, f, org.id);

    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await scim.post('/Users', { schemas: [USER], userName: `u${i}@acme.example` })).status);
      await f.daemon.scimLog!.flush();
      statuses.push((await scim.get('/Users?count=1')).status);
    }
    expect(statuses).toEqual(Array(20).fill(0).map((_, i) => (i % 2 === 0 ? 201 : 200)));
    expect(f.daemon.logs.records().filter((r) => r.message === FAILED)).toHaveLength(1);
    expect(await metric(f, 'idsync_scim_log_flush_failures_total')).toBeGreaterThanOrEqual(10);
    expect(f.daemon.scimLog!.pending).toBe(20);

    await repair();
    await f.daemon.scimLog!.flush();
    expect(f.daemon.scimLog!.pending).toBe(0);
    const page = await f.daemon.services.scimLog.list(org.id, { limit: 100 });
    expect(page.items).toHaveLength(20);
    expect(f.daemon.logs.records().filter((r) => r.message === 'SCIM request log is written again')).toHaveLength(1);
  }, 60_000);

  it('when the daemon stops with entries buffered, then they are flushed before the store closes', async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    const { org, scim } = await f.newOrg('Acme');
    for (let i = 0; i < 5; i++) expect((await scim.get('/Users')).status).toBe(200);
    // The flush timer may have taken some already; the last request's entry is still held.
    expect(f.daemon.scimLog!.pending).toBeGreaterThan(0);
    const { env, cwd } = f;
    await f.daemon.stop();
    // The same data (SQLite file, or the Redis server the fixture still runs) read by the CLI.
    const out = await cli(env, cwd, 'scim-log', '--org', org.id, '--json');
    expect(out.code).toBe(0);
    expect((out.json<{ items: unknown[] }>()).items).toHaveLength(5);
  }, 60_000);
});
