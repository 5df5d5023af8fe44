import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { Organization } from '../../src/domain/model.js';
import { PROVIDER_SCOPE, type Store } from '../../src/ports/store.js';
import { draft } from '../../src/store/conformance/fixtures.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';

const at = '2026-01-01T00:00:00.000Z';

async function kept(store: Store, orgId: string) {
  return { grants: await store.listSupportGrants(orgId), receipts: await store.listPurgeReceipts() };
}

describe('idsync migrate-store with support grants and purge receipts', () => {
  let pg: PostgresTestServer;
  let redis: RedisTestServer;
  const cwd = tempDir();
  const env = testEnv(join(cwd, 'data'));
  let org: Organization;
  beforeAll(async () => {
    [pg, redis] = await Promise.all([PostgresTestServer.start(), RedisTestServer.start()]);
    // Arrange: on SQLite, an org with two grants (one revoked), and a purged org's receipt.
    org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Keeps', '--json')).json<Organization>();
    const doomed = (await cli(env, cwd, 'orgs', 'create', '--name', 'Doomed', '--json')).json<Organization>();
    const store = openSqliteStore({ path: join(cwd, 'data', 'idsync.db') });
    try {
      for (const id of ['g1', 'g2']) {
        const grant = { id, orgId: org.id, reason: `ticket ${id}`, grantedBy: { kind: 'admin' as const, id: 'k1' }, createdAt: at, expiresAt: '2026-01-02T00:00:00.000Z', updatedAt: at, version: 1 };
        await store.createSupportGrant(grant, draft(org.id, 'support.granted', id));
      }
      await store.updateSupportGrant(org.id, 'g1', (g) => ({ next: { ...g, revokedAt: at }, audit: draft(org.id, 'support.revoked', 'g1') }));
      const base = { orgId: doomed.id, name: doomed.name, deletionRequestedAt: at, purgeAt: at, purgedAt: at };
      await store.purgeOrg(base, draft(PROVIDER_SCOPE, 'org.purged', doomed.id));
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });

  it('when moved SQLite → PostgreSQL → Redis → SQLite, then each store holds the same grants (newest first) and receipts, and counts match', async () => {
    const secretKey = readFileSync(join(cwd, 'data', 'secret.key'), 'utf8').trim();
    const sqlite = openSqliteStore({ path: join(cwd, 'data', 'idsync.db') });
    const before = await kept(sqlite, org.id);
    await sqlite.close();
    expect(before.grants.map((g) => [g.id, g.version])).toEqual([
      ['g2', 1],
      ['g1', 2],
    ]);
    expect(before.receipts).toHaveLength(1);

    const s1 = (await cli(env, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', pg.url(), '--json')).json<MigrateSummary>();
    expect(s1).toMatchObject({ ok: true, source: { supportGrant: 2, purgeReceipt: 1 } });
    expect(s1.target).toEqual(s1.source);
    const postgres = await openPostgresStore({ url: pg.url() });
    try {
      expect(await kept(postgres, org.id)).toEqual(before);
    } finally {
      await postgres.close();
    }

    const pgEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: pg.url(), IDSYNC_SECRET_KEY: secretKey });
    const s2 = (await cli(pgEnv, cwd, 'migrate-store', '--to-store', 'redis', '--to-url', redis.url, '--json')).json<MigrateSummary>();
    expect(s2).toMatchObject({ ok: true, source: s1.source, target: s1.source });
    const onRedis = createRedisStore({ connection: { url: redis.url } });
    try {
      expect(await kept(onRedis, org.id)).toEqual(before);
    } finally {
      await onRedis.close();
    }

    const redisEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secretKey });
    const path = join(cwd, 'back', 'idsync.db');
    const s3 = (await cli(redisEnv, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--json')).json<MigrateSummary>();
    expect(s3).toMatchObject({ ok: true, source: s1.source, target: s1.source });
    const back = openSqliteStore({ path });
    try {
      expect(await kept(back, org.id)).toEqual(before);
    } finally {
      await back.close();
    }
  });
});
