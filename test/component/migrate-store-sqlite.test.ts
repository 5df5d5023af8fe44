import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import { exportStore } from '../../src/services/store-transfer/export.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteImporter } from '../../src/store/sqlite/import.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';

describe('idsync migrate-store from Redis into SQLite', () => {
  let redis: RedisTestServer;
  const cwd = tempDir();
  const secretKey = randomBytes(32).toString('base64');
  let env: NodeJS.ProcessEnv;
  let org: Organization;
  let teamId: string;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secretKey });
    // Arrange: a Redis installation with members in every state, a team, credentials and an invitation.
    org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Into SQLite', '--json')).json<Organization>();
    for (let i = 0; i < 12; i++) await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `m${i}@lite.example`, ...(i === 0 ? ['--role', 'owner'] : []));
    await cli(env, cwd, 'members', 'deactivate', 'm3@lite.example', '--org', org.id);
    await cli(env, cwd, 'members', 'remove', 'm4@lite.example', '--org', org.id);
    teamId = (await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'Lite', '--json')).json<{ id: string }>().id;
    await cli(env, cwd, 'teams', 'add', teamId, 'm1@lite.example', 'm2@lite.example', '--org', org.id);
    await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id);
    await cli(env, cwd, 'admin-keys', 'create', '--org', org.id);
    await cli(env, cwd, 'invites', 'create', '--org', org.id, '--email', 'new@lite.example');
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('when interrupted part way and run again, then it finishes: SQLite serves the same members, team and audit chain, and a third run writes nothing', async () => {
    // Arrange: an earlier run that stopped after its first batch of nine records.
    const path = join(cwd, 'moved', 'idsync.db');
    const source = createRedisStore({ connection: { url: redis.url } });
    const firstNine = [];
    for await (const r of exportStore(source)) if (firstNine.push(r) === 9) break;
    await source.close();
    const importer = openSqliteImporter({ path });
    try {
      expect(await importer.importBatch(firstNine)).toBe(9);
    } finally {
      await importer.close();
    }

    // Act
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--json');

    // Assert: the summary
    expect(r.code).toBe(0);
    const summary = r.json<MigrateSummary>();
    expect(summary).toMatchObject({ from: 'redis', ok: true, source: { org: 1, member: 12, team: 1, teamMember: 2, scimToken: 1, adminKey: 1, invitation: 1 } });
    expect(summary.target).toEqual(summary.source);
    expect(summary.written).toBe(Object.values(summary.source).reduce((a, b) => a + b, 0) - 9);
    expect(summary.chains.every((c) => c.ok)).toBe(true);

    // Assert: the installation, pointed at the SQLite file, reads back what Redis held.
    const liteEnv = testEnv(join(cwd, 'data'), { IDSYNC_SQLITE_PATH: path, IDSYNC_SECRET_KEY: secretKey });
    const members = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>();
    const fromRedis = await members(env);
    expect(fromRedis.length).toBeGreaterThanOrEqual(11);
    expect(await members(liteEnv)).toEqual(fromRedis);
    const audit = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    expect(await audit(liteEnv)).toEqual(await audit(env));
    expect((await cli(liteEnv, cwd, 'audit', 'verify', '--org', org.id)).stdout).toMatch(/intact/);
    expect((await cli(liteEnv, cwd, 'teams', 'list', '--org', org.id, '--json')).json<{ id: string }[]>().map((t) => t.id)).toEqual([teamId]);
    // The SCIM lookups' indexes came along: a member is found by email.
    expect((await cli(liteEnv, cwd, 'members', 'get', 'm2@lite.example', '--org', org.id, '--json')).json<Member>().userName).toBe('m2@lite.example');

    const again = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--json');
    expect(again.json<MigrateSummary>()).toMatchObject({ ok: true, written: 0 });
  });

  it('when --to-store sqlite has no --to-path, then it refuses with a coded error and writes nothing', async () => {
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/request\.invalid/);
    expect(r.stderr).toMatch(/--to-path/);
  });
});

describe('idsync migrate-store from PostgreSQL into SQLite', () => {
  let server: PostgresTestServer;
  beforeAll(async () => {
    server = await PostgresTestServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });

  it('when a PostgreSQL installation is moved, then SQLite serves the same members, team and audit chain', async () => {
    // Arrange
    const cwd = tempDir();
    const secretKey = randomBytes(32).toString('base64');
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: server.url(), IDSYNC_SECRET_KEY: secretKey });
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'From PG', '--json')).json<Organization>();
    for (let i = 0; i < 8; i++) await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `p${i}@pg.example`, ...(i === 0 ? ['--role', 'owner'] : []));
    await cli(env, cwd, 'members', 'deactivate', 'p5@pg.example', '--org', org.id);
    const team = (await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'PG', '--json')).json<{ id: string }>();
    await cli(env, cwd, 'teams', 'add', team.id, 'p1@pg.example', 'p5@pg.example', '--org', org.id);
    const path = join(cwd, 'lite.db');

    // Act
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'sqlite', '--to-path', path, '--json');

    // Assert
    expect(r.code).toBe(0);
    expect(r.json<MigrateSummary>()).toMatchObject({ from: 'postgres', ok: true, source: { org: 1, member: 8, team: 1, teamMember: 2 } });
    const liteEnv = testEnv(join(cwd, 'data'), { IDSYNC_SQLITE_PATH: path, IDSYNC_SECRET_KEY: secretKey });
    const members = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>();
    expect(await members(liteEnv)).toEqual(await members(env));
    const audit = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    expect(await audit(liteEnv)).toEqual(await audit(env));
    expect((await cli(liteEnv, cwd, 'teams', 'list', '--org', org.id, '--json')).json<{ id: string }[]>().map((t) => t.id)).toEqual([team.id]);
  });
});
