import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { Organization } from '../../src/domain/model.js';
import type { JoinRequest } from '../../src/domain/signup.js';
import type { Store } from '../../src/ports/store.js';
import { draft } from '../../src/store/conformance/fixtures.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';

async function signupRecords(store: Store, orgIds: string[]) {
  return {
    claims: await Promise.all(orgIds.map((id) => store.listDomainClaims(id))),
    requests: await Promise.all(orgIds.map((id) => store.listJoinRequests(id))),
    verified: (await store.findVerifiedDomain('keeps.example'))?.orgId,
  };
}

const verify = (orgId: string) => (c: Parameters<Parameters<Store['updateDomainClaim']>[2]>[0]) => ({ next: { ...c, status: 'verified' as const, method: 'dns' as const }, audit: draft(orgId, 'domain.verified', c.domain) });

describe('idsync migrate-store with domain claims and join requests', () => {
  let pg: PostgresTestServer;
  let redis: RedisTestServer;
  const cwd = tempDir();
  const env = testEnv(join(cwd, 'data'));
  let orgIds: string[];

  beforeAll(async () => {
    [pg, redis] = await Promise.all([PostgresTestServer.start(), RedisTestServer.start()]);
    // Arrange, on SQLite: two orgs claiming keeps.example, the first verified; a pending and a declined request.
    const a = (await cli(env, cwd, 'orgs', 'create', '--name', 'Keeps', '--json')).json<Organization>();
    const b = (await cli(env, cwd, 'orgs', 'create', '--name', 'Hopes', '--json')).json<Organization>();
    orgIds = [a.id, b.id];
    for (const id of orgIds) expect((await cli(env, cwd, 'domains', 'add', 'keeps.example', '--org', id)).code).toBe(0);
    expect((await cli(env, cwd, 'domains', 'add', 'other.example', '--org', a.id, '--no-route-signups')).code).toBe(0);
    const store = openSqliteStore({ path: join(cwd, 'data', 'idsync.db') });
    try {
      await store.updateDomainClaim(a.id, 'keeps.example', verify(a.id));
      const at = '2026-01-01T00:00:00.000Z';
      const req = (id: string, status: JoinRequest['status']): JoinRequest => ({ id, orgId: a.id, email: `${id}@keeps.example`, identity: { provider: 'google', subject: id, email: `${id}@keeps.example` }, status, createdAt: at, updatedAt: at, version: 1 });
      await store.createJoinRequest(req('ann', 'pending'), draft(a.id, 'join_request.created', 'ann'));
      await store.createJoinRequest(req('bob', 'declined'), draft(a.id, 'join_request.created', 'bob'));
    } finally {
      await store.close();
    }
  });
  afterAll(async () => {
    await Promise.all([pg?.dispose(), redis?.dispose()]);
  });

  it('when moved SQLite → Redis → PostgreSQL, then claims, the verified domain and requests arrive as they were, and the target still refuses a second org verifying the domain', async () => {
    const secretKey = readFileSync(join(cwd, 'data', 'secret.key'), 'utf8').trim();
    const sqlite = openSqliteStore({ path: join(cwd, 'data', 'idsync.db') });
    const before = await signupRecords(sqlite, orgIds);
    await sqlite.close();
    expect(before.claims.map((c) => c.map((x) => `${x.domain}:${x.status}`))).toEqual([['keeps.example:verified', 'other.example:pending'], ['keeps.example:pending']]);
    expect(before.verified).toBe(orgIds[0]);

    const toRedis = await cli(env, cwd, 'migrate-store', '--to-store', 'redis', '--to-url', redis.url, '--json');
    expect(toRedis.stderr).toBe('');
    expect(toRedis.json<MigrateSummary>()).toMatchObject({ ok: true, source: { domainClaim: 3, joinRequest: 2 }, target: { domainClaim: 3, joinRequest: 2 } });
    const onRedis = createRedisStore({ connection: { url: redis.url } });
    try {
      expect(await signupRecords(onRedis, orgIds)).toEqual(before);
      await expect(onRedis.updateDomainClaim(orgIds[1]!, 'keeps.example', verify(orgIds[1]!))).rejects.toMatchObject({ code: 'domain.taken' });
    } finally {
      await onRedis.close();
    }

    const redisEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secretKey });
    const toPg = await cli(redisEnv, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', pg.url(), '--json');
    expect(toPg.stderr).toBe('');
    expect(toPg.json<MigrateSummary>()).toMatchObject({ ok: true, target: { domainClaim: 3, joinRequest: 2 } });
    expect((await cli(redisEnv, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', pg.url(), '--json')).json<MigrateSummary>()).toMatchObject({ ok: true, written: 0 });
    const postgres = await openPostgresStore({ url: pg.url() });
    try {
      expect(await signupRecords(postgres, orgIds)).toEqual(before);
      await expect(postgres.updateDomainClaim(orgIds[1]!, 'keeps.example', verify(orgIds[1]!))).rejects.toMatchObject({ code: 'domain.taken' });
    } finally {
      await postgres.close();
    }
  });
});
