import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { Organization } from '../../src/domain/model.js';
import { POLL_METHOD } from '../../src/domain/signals.js';
import { PROVIDER_SCOPE, type Store } from '../../src/ports/store.js';
import { draft } from '../../src/store/conformance/fixtures.js';
import { aQueuedSet, aStream } from '../../src/store/conformance/suite-signals.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';

/** What a store holds of the kinds added after migrate-store was first written. */
async function later(store: Store, orgIds: string[]) {
  const streams = await store.listSignalStreams();
  return {
    roleMappings: await Promise.all(orgIds.map((id) => store.listRoleMappings(id))),
    merges: await Promise.all(orgIds.map((id) => store.getMerge(id))),
    streams,
    pending: await Promise.all(streams.map((s) => store.listPendingSets(s.id, 100))),
    keys: await store.listSigningKeys(),
  };
}

describe('idsync migrate-store with role mappings, a merge journal and Shared Signals', () => {
  let pg: PostgresTestServer;
  let redis: RedisTestServer;
  const cwd = tempDir();
  const env = testEnv(join(cwd, 'data'));
  let orgIds: string[];
  let sent: string;
  beforeAll(async () => {
    [pg, redis] = await Promise.all([PostgresTestServer.start(), RedisTestServer.start()]);
    // Arrange: on SQLite, two orgs (the first merged into the second), role mappings, two signing keys,
    const into = (await cli(env, cwd, 'orgs', 'create', '--name', 'Keeps', '--json')).json<Organization>();
    const gone = (await cli(env, cwd, 'orgs', 'create', '--name', 'Merged Away', '--json')).json<Organization>();
    orgIds = [into.id, gone.id];
    await cli(env, cwd, 'members', 'add', '--org', into.id, '--email', 'owner@keeps.example', '--role', 'owner');
    await cli(env, cwd, 'members', 'add', '--org', gone.id, '--email', 'owner@gone.example', '--role', 'owner');
    for (const [group, role] of [['admins', 'admin'], ['staff', 'member']]) {
      expect((await cli(env, cwd, 'role-mappings', 'set', '--org', into.id, '--source', 'scim', '--group', group, '--role', role)).code).toBe(0);
    }
    expect((await cli(env, cwd, 'orgs', 'merge', gone.id, '--into', into.id)).code).toBe(0);
    for (let i = 0; i < 2; i++) expect((await cli(env, cwd, 'ssf', 'rotate-key')).code).toBe(0);
    // ... a push stream of the org with two SETs queued (one already delivered), and a poll stream of the provider.
    const store = openSqliteStore({ path: join(cwd, 'data', 'idsync.db') });
    try {
      const push = aStream(into.id);
      const poll = aStream(PROVIDER_SCOPE, { delivery: { method: POLL_METHOD } });
      await store.createSignalStream(push, draft(into.id, 'signals.stream_created', push.id));
      await store.createSignalStream(poll, draft(PROVIDER_SCOPE, 'signals.stream_created', poll.id));
      const done = aQueuedSet(push.id, { orgId: into.id });
      sent = done.jti;
      for (const set of [done, aQueuedSet(push.id, { orgId: into.id }), aQueuedSet(push.id, { orgId: into.id, nextAttemptAt: '2026-01-10T01:00:00.000Z' })]) await store.enqueueSet(set);
      await store.ackSets(push.id, [done.jti]);
      await store.enqueueSet(aQueuedSet(poll.id, { orgId: PROVIDER_SCOPE, nextAttemptAt: undefined }));
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });

  it('when moved SQLite → PostgreSQL → Redis and on into SQLite, then each store holds the same mappings, journal, streams, pending SETs and keys, and reruns write nothing', async () => {
    const secretKey = readFileSync(join(cwd, 'data', 'secret.key'), 'utf8').trim();
    const sqlite = openSqliteStore({ path: join(cwd, 'data', 'idsync.db') });
    const before = await later(sqlite, orgIds);
    await sqlite.close();
    expect(before.roleMappings[0]).toHaveLength(2);
    expect(before.merges[1]).toMatchObject({ sourceOrgId: orgIds[1], targetOrgId: orgIds[0], status: 'completed' });
    expect(before.streams).toHaveLength(2);
    expect(before.pending.map((p) => p.length)).toEqual([2, 1]);
    expect(before.pending.flat().map((s) => s.jti)).not.toContain(sent);
    expect(before.keys).toHaveLength(2);

    // Act 1: SQLite → PostgreSQL.
    const toPg = await cli(env, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', pg.url(), '--json');

    // Assert 1
    expect(toPg.stderr).toBe('');
    const s1 = toPg.json<MigrateSummary>();
    expect(s1).toMatchObject({ ok: true, source: { roleMapping: 2, merge: 1, signalStream: 2, signalSet: 3, signalKey: 2 } });
    expect(s1.target).toEqual(s1.source);
    expect(s1.notMoved).toEqual(expect.arrayContaining(['console sessions', 'portal links']));
    const postgres = await openPostgresStore({ url: pg.url() });
    try {
      expect(await later(postgres, orgIds)).toEqual(before);
    } finally {
      await postgres.close();
    }
    expect((await cli(env, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', pg.url(), '--json')).json<MigrateSummary>()).toMatchObject({ ok: true, written: 0 });

    // Act 2: PostgreSQL → Redis.
    const pgEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: pg.url(), IDSYNC_SECRET_KEY: secretKey });
    const toRedis = await cli(pgEnv, cwd, 'migrate-store', '--to-store', 'redis', '--to-url', redis.url, '--json');

    // Assert 2: the Redis store reads them back, finds the due push SET, and queues after the imported ones.
    expect(toRedis.stderr).toBe('');
    const s2 = toRedis.json<MigrateSummary>();
    expect(s2).toMatchObject({ ok: true, source: s1.source, target: s1.source });
    expect((await cli(pgEnv, cwd, 'migrate-store', '--to-store', 'redis', '--to-url', redis.url, '--json')).json<MigrateSummary>()).toMatchObject({ ok: true, written: 0 });
    const onRedis = createRedisStore({ connection: { url: redis.url } });
    try {
      expect(await later(onRedis, orgIds)).toEqual(before);
      expect((await onRedis.listDueSets('2026-01-10T00:30:00.000Z', 10)).map((s) => s.jti)).toEqual([before.pending[0]![0]!.jti]);
      const push = before.streams[0]!;
      const next = aQueuedSet(push.id, { orgId: orgIds[0]! });
      expect(await onRedis.enqueueSet(next)).toBe(true);
      expect((await onRedis.listPendingSets(push.id, 10)).map((s) => s.jti)).toEqual([...before.pending[0]!.map((s) => s.jti), next.jti]);
      expect(await onRedis.enqueueSet({ ...before.pending[0]![0]! })).toBe(false);
    } finally {
      await onRedis.close();
    }

    // Act 3: Redis (with the SET queued there since) → a new SQLite file.
    const redisEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secretKey });
    const path = join(cwd, 'back', 'idsync.db');
    const toLite = await cli(redisEnv, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--json');

    // Assert 3
    expect(toLite.stderr).toBe('');
    const s3 = toLite.json<MigrateSummary>();
    expect(s3).toMatchObject({ ok: true, source: { ...s1.source, signalSet: 4 } });
    expect(s3.target).toEqual(s3.source);
    const fromRedis = createRedisStore({ connection: { url: redis.url } });
    const back = openSqliteStore({ path });
    try {
      expect(await later(back, orgIds)).toEqual(await later(fromRedis, orgIds));
    } finally {
      await Promise.all([fromRedis.close(), back.close()]);
    }
  });
});
