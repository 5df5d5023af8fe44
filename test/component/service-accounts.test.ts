import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import type { Actor, AuditEvent, Member } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { MEMBERS, startDirectory, type FaultyDirectory } from '../fakes/directory-faults.js';
import { ApiClient } from '../support/api-client.js';
import { rsaKeys } from '../support/connectors.js';
import { cli } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';
import { scimFixture, STORES } from '../support/scim.js';

const keys = rsaKeys();
const ACTOR: Actor = { kind: 'cli', label: 'service accounts test' };
const OFFBOARDED = [3, 4, 5, 6, 7, 8, 9, 10];

describe.each(STORES)('a service account and the reconciler, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let services: Services;
  let dir: FaultyDirectory;
  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'svc' });
    } else {
      store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-svc-')), 'idsync.db') });
    }
    services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), publicUrl: 'https://idsync.example' });
    dir = await startDirectory('google', keys);
  });
  afterAll(async () => {
    await dir.stop();
    await store.close();
    await redis?.dispose();
  });

  it('when a run deactivates everyone missing from the directory, then the service account is neither matched nor touched, and lists count it apart', async () => {
    const org = await services.orgs.create({ name: 'Influx' }, ACTOR);
    const people: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) people.push(await services.members.create(org.id, { email: dir.emailOf(i), role: i === 0 ? 'owner' : 'member' }, ACTOR));
    const { account, key } = await services.serviceAccounts.create(org.id, { name: 'telegraf' }, ACTOR);
    expect(account).toMatchObject({ kind: 'service', userName: 'service:telegraf', emails: [], identities: [], status: 'active' });
    expect(key).toMatch(/^idsync_ak_/);
    const conn = await services.connections.create(org.id, { provider: 'google', config: dir.config, policy: { maxDeactivations: 100, maxDeactivationPercent: 100, confirmMissingRuns: 1 } }, ACTOR);
    const first = await services.reconcile.run(conn.id);
    expect(first).toMatchObject({ status: 'completed', linked: MEMBERS, deactivated: 0 });

    for (const i of OFFBOARDED) dir.offboard(i);
    const run = await services.reconcile.run(conn.id);
    expect(run).toMatchObject({ status: 'completed', deactivated: OFFBOARDED.length });
    expect(await store.getMember(org.id, account.id)).toMatchObject({ status: 'active', identities: [], version: 1 });
    const touched = (await store.listAudit(org.id, { limit: 10_000 })).filter((e: AuditEvent) => e.target.id === account.id).map((e) => e.action);
    expect(touched).toEqual(['member.created']);

    // People and service accounts are listed and counted apart.
    expect((await services.members.list(org.id, { statuses: ['active', 'inactive'] })).total).toBe(MEMBERS);
    expect((await services.members.list(org.id, { kinds: ['service'] })).items.map((m) => m.id)).toEqual([account.id]);
    expect((await services.serviceAccounts.list(org.id)).map((x) => [x.account.id, x.credential?.serviceAccountId])).toEqual([[account.id, account.id]]);
  });
});

describe.each(STORES)('service accounts through the CLI and the admin API on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  it('when a service account is created, its key used, rotated and revoked, then it acts with its role as actor kind service and each old key is refused', async () => {
    const { org, scim } = await f.newOrg('Telemetry');
    await api.call('post', `/orgs/${org.id}/members`, provider, { email: 'owner@telemetry.test', role: 'owner' });
    const created = await api.call<{ account: Member; key: string }>('post', `/orgs/${org.id}/service-accounts`, provider, { name: 'ingest', role: 'admin' });
    expect(created.status).toBe(201);
    const sa = created.body.account;
    expect(sa).toMatchObject({ kind: 'service', role: 'admin', emails: [] });

    // Its key acts as the account: an admin may add a member; the audit says who.
    const added = await api.call<Member>('post', `/orgs/${org.id}/members`, created.body.key, { email: 'new@telemetry.test' });
    expect(added.status).toBe(201);
    const audit = await api.call<{ items: AuditEvent[] }>('get', `/orgs/${org.id}/audit?action=member.created&limit=100`, provider);
    expect(audit.body.items.find((e) => e.target.id === added.body.id)?.actor).toMatchObject({ kind: 'service', id: sa.id, label: 'ingest' });
    // It is not an owner: credentials stay out of reach.
    expect((await api.call('post', `/orgs/${org.id}/service-accounts`, created.body.key, { name: 'sneaky' })).status).toBe(403);

    // Lists: people by default, service accounts on request.
    const people = await api.call<{ items: Member[]; total: number }>('get', `/orgs/${org.id}/members`, provider);
    expect(people.body.items.map((m) => m.userName).sort()).toEqual(['new@telemetry.test', 'owner@telemetry.test']);
    const services = await api.call<{ items: Member[]; total: number }>('get', `/orgs/${org.id}/members?kind=service`, provider);
    expect(services.body).toMatchObject({ total: 1, items: [{ id: sa.id }] });

    // The IdP never sees it: not listed, not found by userName, not found by id.
    expect((await scim.get<{ totalResults: number }>('/Users')).body.totalResults).toBe(2);
    expect((await scim.get<{ totalResults: number }>(`/Users?filter=${encodeURIComponent('userName eq "service:ingest"')}`)).body.totalResults).toBe(0);
    expect((await scim.get(`/Users/${sa.id}`)).status).toBe(404);

    const rotated = await cli(f.env, f.cwd, 'service-accounts', 'rotate', sa.id, '--org', org.id, '--json');
    expect(rotated.code).toBe(0);
    const newKey = rotated.json<{ key: string; revoked: string[] }>();
    expect(newKey.revoked).toHaveLength(1);
    expect((await api.call('get', `/orgs/${org.id}/members`, created.body.key)).status).toBe(401);
    expect((await api.call('get', `/orgs/${org.id}/members`, newKey.key)).status).toBe(200);

    const listed = await cli(f.env, f.cwd, 'service-accounts', 'list', '--org', org.id);
    expect(listed.stdout).toContain('ingest');
    const revoked = await api.call<{ revoked: string[] }>('delete', `/orgs/${org.id}/service-accounts/${sa.id}/credential`, provider);
    expect(revoked.body.revoked).toHaveLength(1);
    expect((await api.call('get', `/orgs/${org.id}/members`, newKey.key)).status).toBe(401);
    expect((await api.call<{ items: unknown[] }>('get', `/orgs/${org.id}/service-accounts`, provider)).body.items).toEqual([{ account: expect.objectContaining({ id: sa.id }) }]);
  });
});
