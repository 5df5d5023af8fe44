import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MigrateSummary } from '../../src/app/migrate-store.js';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import { exportStore } from '../../src/services/store-transfer/export.js';
import { openPostgresImporter } from '../../src/store/postgres/import.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';
import { randomBytes } from 'node:crypto';

describe('idsync migrate-store from SQLite to PostgreSQL', () => {
  let server: PostgresTestServer;
  const cwd = tempDir();
  const data = join(cwd, 'data');
  const env = testEnv(data);
  let org: Organization;
  beforeAll(async () => {
    server = await PostgresTestServer.start();
    // Arrange: an installation on SQLite with a record of most kinds and a few audit events each.
    org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Moving Co', '--json')).json<Organization>();
    const add = async (email: string, ...more: string[]) => (await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', email, ...more, '--json')).json<Member>();
    await add('owner@moving.example', '--role', 'owner');
    const gone = await add('gone@moving.example');
    const away = await add('away@moving.example');
    await cli(env, cwd, 'members', 'remove', gone.id, '--org', org.id);
    await cli(env, cwd, 'members', 'deactivate', away.id, '--org', org.id, '--reason', 'leave');
    const team = (await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'Movers', '--json')).json<{ id: string }>();
    await cli(env, cwd, 'teams', 'add', team.id, 'owner@moving.example', 'away@moving.example', '--org', org.id);
    await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id);
    await cli(env, cwd, 'admin-keys', 'create');
    await cli(env, cwd, 'admin-keys', 'create', '--org', org.id);
    await cli(env, cwd, 'invites', 'create', '--org', org.id, '--email', 'new@moving.example');
    await cli(env, cwd, 'webhooks', 'create', '--org', org.id, '--url', 'http://127.0.0.1:9/hook');
    await cli(env, cwd, 'webhooks', 'create', '--provider', '--url', 'http://127.0.0.1:9/operator', '--event', 'org.*');
  });
  afterAll(async () => {
    await server?.dispose();
  });

  const migrate = async (schema: string, ...extra: string[]) => {
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', server.url(), '--to-schema', schema, '--json', ...extra);
    return { code: r.code, summary: r.json<MigrateSummary>(), stderr: r.stderr };
  };

  it('when run with --dry-run, then it counts every record and writes nothing', async () => {
    const { code, summary } = await migrate('dry', '--dry-run');
    expect(code).toBe(0);
    expect(summary).toMatchObject({ from: 'sqlite', dryRun: true, written: 0, source: { org: 1, member: 3, team: 1, teamMember: 2, scimToken: 1, adminKey: 2, invitation: 1, webhook: 2 } });
    expect(summary.source.audit).toBeGreaterThanOrEqual(12);
    expect(summary.source.outbox).toBe(summary.source.audit);
    const pg = await import('pg');
    const client = new pg.default.Client({ connectionString: server.url() });
    await client.connect();
    expect((await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'dry'")).rowCount).toBe(0);
    await client.end();
  });

  it('when interrupted part way and run again, then it finishes: every record is in PostgreSQL with its id, version and timestamps, and the audit chains are unchanged', async () => {
    // Arrange: an earlier run that stopped after its first batch of seven records.
    const source = openSqliteStore({ path: join(data, 'idsync.db') });
    const firstSeven = [];
    for await (const r of exportStore(source)) if (firstSeven.push(r) === 7) break;
    const importer = await openPostgresImporter({ url: server.url(), schema: 'moved' });
    await importer.importBatch(firstSeven);
    await importer.close();

    // Act
    const { code, summary } = await migrate('moved');

    // Assert: the summary
    expect(code).toBe(0);
    expect(summary.ok).toBe(true);
    expect(summary.target).toEqual(summary.source);
    const total = Object.values(summary.source).reduce((a, b) => a + b, 0);
    expect(summary.written).toBe(total - 7);
    expect(summary.chains).toEqual([
      { scope: org.id, ok: true, events: summary.source.audit - summary.chains.find((c) => c.scope === 'provider')!.events },
      { scope: 'provider', ok: true, events: 2 },
    ]);

    // Assert: the installation, pointed at PostgreSQL, reads back what SQLite held.
    const pgEnv = testEnv(data, {
      IDSYNC_STORE: 'postgres',
      IDSYNC_POSTGRES_URL: server.url(),
      IDSYNC_POSTGRES_SCHEMA: 'moved',
      IDSYNC_SECRET_KEY: readFileSync(join(data, 'secret.key'), 'utf8').trim(),
    });
    const listed = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>();
    expect(await listed(pgEnv)).toEqual(await listed(env));
    const audit = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    expect(await audit(pgEnv)).toEqual(await audit(env));
    const operatorHooks = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'webhooks', 'list', '--provider', '--json')).json<{ url: string }[]>();
    expect(await operatorHooks(pgEnv)).toEqual(await operatorHooks(env));
    expect((await operatorHooks(pgEnv)).map((h) => h.url)).toEqual(['http://127.0.0.1:9/operator']);
    const verified = await cli(pgEnv, cwd, 'audit', 'verify', '--org', org.id);
    expect(verified.stdout).toMatch(/intact/);
    expect(await source.listAudit(org.id)).toHaveLength(summary.chains[0]!.events);
    await source.close();

    // A third run finds everything there.
    const again = await migrate('moved');
    expect(again.summary).toMatchObject({ ok: true, written: 0 });
  });
});

describe('idsync migrate-store from Redis to PostgreSQL', () => {
  let redis: RedisTestServer;
  let server: PostgresTestServer;
  beforeAll(async () => {
    [redis, server] = await Promise.all([RedisTestServer.start(), PostgresTestServer.start()]);
  });
  afterAll(async () => {
    await Promise.all([redis?.dispose(), server?.dispose()]);
  });

  it('when a Redis installation is moved, then PostgreSQL serves the same members, teams and audit chain', async () => {
    // Arrange
    const cwd = tempDir();
    const secretKey = randomBytes(32).toString('base64');
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secretKey });
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Redis Movers', '--json')).json<Organization>();
    for (let i = 0; i < 30; i++) await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `m${i}@redis.example`, ...(i === 0 ? ['--role', 'owner'] : []));
    await cli(env, cwd, 'members', 'deactivate', 'm7@redis.example', '--org', org.id);
    const team = (await cli(env, cwd, 'teams', 'create', '--org', org.id, '--name', 'Ops', '--json')).json<{ id: string }>();
    await cli(env, cwd, 'teams', 'add', team.id, 'm1@redis.example', 'm2@redis.example', '--org', org.id);

    // Act
    const r = await cli(env, cwd, 'migrate-store', '--to-store', 'postgres', '--to-url', server.url(), '--json');

    // Assert
    expect(r.code).toBe(0);
    expect(r.json<MigrateSummary>()).toMatchObject({ from: 'redis', ok: true, source: { org: 1, member: 30, team: 1, teamMember: 2 } });
    const pgEnv = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: server.url(), IDSYNC_SECRET_KEY: secretKey });
    const members = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>();
    expect(await members(pgEnv)).toEqual(await members(env));
    const audit = async (e: NodeJS.ProcessEnv) => (await cli(e, cwd, 'audit', 'list', '--org', org.id, '--limit', '1000', '--json')).json<AuditEvent[]>();
    expect(await audit(pgEnv)).toEqual(await audit(env));
    expect((await cli(pgEnv, cwd, 'teams', 'list', '--org', org.id, '--json')).json<{ id: string }[]>().map((t) => t.id)).toEqual([team.id]);
  });
});
