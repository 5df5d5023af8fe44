import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import { PROVIDER_SCOPE } from '../../src/ports/store.js';
import { exportStore } from '../../src/services/store-transfer/export.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { aConnection, aDelivery, anOrg, aRun, aWebhook, draft, hoursFrom, NOW } from '../../src/store/conformance/fixtures.js';
import { openRedisImporter } from '../../src/store/redis/import.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';

describe('idsync migrate-store from PostgreSQL into Redis', () => {
  let server: PostgresTestServer;
  let redis: RedisTestServer;
  beforeAll(async () => {
    [server, redis] = await Promise.all([PostgresTestServer.start(), RedisTestServer.start()]);
  });
  afterAll(async () => {
    await Promise.all([server?.dispose(), redis?.dispose()]);
  });

  it('when interrupted part way and run again, then it finishes: Redis serves the same records and audit chain, and the daemon carries on writing there', async () => {
    // Arrange: a PostgreSQL installation with members in every state, a team, credentials and an invitation.
    const cwd = tempDir();
    const secretKey = randomBytes(32).toString('base64');
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: server.url(), IDSYNC_SECRET_KEY: secretKey });
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Into Redis', '--json')).json<Organization>();
    for (let i = 0; i < 10; i++) await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `r${i}@red.example`, ...(i === 0 ? ['--role', 'owner'] : []));
    await cli(env, cwd, 'members', 'deactivate', 'r3@red.example', '--org', org.id);
    await cli(env, cwd, 'members', 'remove', 'r4@red.example', '--org', org.id);
    const team = (await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'Red', '--json')).json<{ id: string }>();
    await cli(env, cwd, 'teams', 'add', team.id, 'r1@red.example', 'r2@red.example', '--org', org.id);
    await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id);
    await cli(env, cwd, 'admin-keys', 'create');
    await cli(env, cwd, 'invites', 'create', '--org', org.id, '--email', 'new@red.example');
    expect((await cli(env, cwd, 'links', 'create', '--org', org.id)).code).toBe(0);
    expect((await cli(env, cwd, 'webhooks', 'create', '--org', org.id, '--url', 'http://127.0.0.1:9/hook')).code).toBe(0);
    expect((await cli(env, cwd, 'scim-clients', 'create', '--org', org.id)).code).toBe(0);
    // An earlier run that stopped after its first batch of eight records.
    const source = await openPostgresStore({ url: server.url() });
    const firstEight = [];
    for await (const r of exportStore(source)) if (firstEight.push(r) === 8) break;
    await source.close();
    const importer = openRedisImporter({ url: redis.url });
    try {
      expect(await importer.importBatch(firstEight)).toBe(8);
    } finally {
      await importer.close();
    }

    // Act
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'redis', '--to-url', redis.url, '--json');

    // Assert: the summary
    expect(r.code).toBe(0);
    const summary = r.json<MigrateSummary>();
    expect(summary).toMatchObject({ from: 'postgres', ok: true, source: { org: 1, member: 10, team: 1, teamMember: 2, scimToken: 1, adminKey: 1, invitation: 1, inviteLink: 1, webhook: 1, scimClient: 1 } });
    expect(summary.target).toEqual(summary.source);
    expect(summary.written).toBe(Object.values(summary.source).reduce((a, b) => a + b, 0) - 8);

    // Assert: the installation, pointed at Redis, reads back what PostgreSQL held.
    const redisEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secretKey });
    const members = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>();
    expect(await members(redisEnv)).toEqual(await members(env));
    const audit = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    expect(await audit(redisEnv)).toEqual(await audit(env));
    expect((await cli(redisEnv, cwd, 'teams', 'list', '--org', org.id, '--json')).json<{ id: string }[]>().map((t) => t.id)).toEqual([team.id]);
    expect((await cli(redisEnv, cwd, 'members', 'get', 'r2@red.example', '--org', org.id, '--json')).json<Member>().userName).toBe('r2@red.example');
    const listed = async (e: NodeJS.ProcessEnv, ...args: string[]) => (await cli(e, cwd, ...args, '--json')).json<unknown[]>();
    expect(await listed(redisEnv, 'scim-tokens', 'list', '--org', org.id)).toEqual(await listed(env, 'scim-tokens', 'list', '--org', org.id));
    expect(await listed(redisEnv, 'admin-keys', 'list')).toEqual(await listed(env, 'admin-keys', 'list'));
    expect(await listed(redisEnv, 'admin-keys', 'list')).toHaveLength(1);
    for (const area of ['links', 'webhooks', 'scim-clients']) {
      const there = await listed(redisEnv, area, 'list', '--org', org.id);
      expect(there).toHaveLength(1);
      expect(there).toEqual(await listed(env, area, 'list', '--org', org.id));
    }
    expect((await cli(redisEnv, cwd, 'invites', 'list', '--org', org.id, '--json')).json<{ email: string }[]>().map((i) => i.email)).toEqual(['new@red.example']);

    // The daemon writes on after the imported records: a new member is listed last and extends the chain intact.
    const added = await cli(redisEnv, cwd, 'members', 'add', '--org', org.id, '--email', 'after@red.example', '--json');
    expect(added.code).toBe(0);
    expect((await members(redisEnv)).at(-1)!.userName).toBe('after@red.example');
    expect((await cli(redisEnv, cwd, 'members', 'add', '--org', org.id, '--email', 'r5@red.example')).code).not.toBe(0);
    expect((await cli(redisEnv, cwd, 'audit', 'verify', '--org', org.id)).stdout).toMatch(/intact/);

    // A third run finds every source record there.
    const again = (await cli(env, cwd, 'migrate-store', '--to-store', 'redis', '--to-url', redis.url, '--json')).json<MigrateSummary>();
    expect(again).toMatchObject({ written: 0 });
    expect(again.target!.member).toBe(11);
  });
});

describe('the Redis importer, on the records the CLI cannot make', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('when connections, runs, webhook endpoints and deliveries are imported, then the Redis store lists, finds and schedules them as the source did', async () => {
    // Arrange: a SQLite store with two connections and their runs, an endpoint and deliveries in two states.
    const source = openSqliteStore({ path: join(tempDir(), 'src.db') });
    const org = await source.createOrg(anOrg(), draft('x', 'org.created', 'x'));
    const conns = [aConnection(org.id), aConnection(org.id)];
    for (const c of conns) await source.createConnection(c, draft(org.id, 'connection.created', c.id));
    for (const c of conns) for (let i = 0; i < 2; i++) await source.createRun(aRun(c));
    const ep = await source.createWebhook(aWebhook(org.id), draft(org.id, 'webhook.created', 'w'));
    await source.saveDelivery(aDelivery(org.id, ep.id));
    await source.saveDelivery(aDelivery(org.id, ep.id, { status: 'delivered', nextAttemptAt: undefined }));
    // The operator's endpoint and a delivery of an org event to it (kept with its body) live in the provider scope.
    const op = await source.createWebhook(aWebhook(PROVIDER_SCOPE), draft(PROVIDER_SCOPE, 'webhook.created', 'op'));
    await source.saveDelivery(aDelivery(PROVIDER_SCOPE, op.id, { eventType: 'org.deleted', event: { type: 'org.deleted', time: NOW, orgId: org.id, data: { action: 'org.deleted' } } }));
    const records = [];
    for await (const r of exportStore(source)) records.push(r);

    // Act
    const importer = openRedisImporter({ url: redis.url });
    try {
      await importer.importBatch(records);
      expect(await importer.counts()).toMatchObject({ connection: 2, run: 4, webhook: 2, delivery: 3 });
    } finally {
      await importer.close();
    }

    // Assert
    const target = createRedisStore({ connection: { url: redis.url } });
    try {
      expect(await target.listConnections(org.id)).toEqual(await source.listConnections(org.id));
      for (const c of conns) expect(await target.listRuns(c.id)).toEqual(await source.listRuns(c.id));
      expect(await target.listConnections()).toEqual(conns);
      expect(await target.getConnection(conns[1]!.id)).toEqual(conns[1]);
      const run = (await source.listRuns(conns[0]!.id)).items[0]!;
      expect(await target.getRun(run.id)).toEqual(run);
      expect(await target.listDeliveries(org.id)).toEqual(await source.listDeliveries(org.id));
      expect(await target.listDeliveries(org.id, { status: 'pending' })).toEqual(await source.listDeliveries(org.id, { status: 'pending' }));
      expect(await target.listDueDeliveries(hoursFrom(NOW, 1), 10)).toEqual(await source.listDueDeliveries(hoursFrom(NOW, 1), 10));
      expect(await target.listDueDeliveries(hoursFrom(NOW, 1), 10)).toHaveLength(2);
      expect(await target.listWebhooks(PROVIDER_SCOPE)).toEqual([op]);
      expect(await target.listDeliveries(PROVIDER_SCOPE)).toEqual(await source.listDeliveries(PROVIDER_SCOPE));
    } finally {
      await target.close();
      await source.close();
    }
  });
});
