/**
 * Deleting a directory connection hands what it manages to admins, on every store: its live
 * members become admin-managed (one `member.released` event each, who and why), its teams lose
 * their group link (`team.released`), other writers' members are untouched; a delete cut off half
 * way leaves the connection in place and the same delete finishes it, releasing nobody twice; a
 * run in progress makes the delete wait its turn.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import type { Actor, AuditEvent, ManagedBy, Member } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import { takeRunSlot } from '../../src/services/reconcile/single-flight.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { tempDir } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';
import { code, steppingClock } from '../support/services.js';

const ADMIN: Actor = { kind: 'admin', id: 'key-ops', label: 'ops admin key' };
const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe.each(STORES)('deleting a directory connection releases its members and teams (%s)', (kind) => {
  let redis: RedisTestServer | undefined;
  let pg: PostgresTestServer | undefined;
  let real: Store;
  let services: Services;
  /** Armed: the store fails this many more updateMembers calls from now on, after letting `pass` through (a process dying half way). */
  const fault = { pass: 0, fail: 0 };

  beforeAll(async () => {
    if (kind === 'redis') {
      redis = await RedisTestServer.start();
      real = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'conn-release' });
    } else if (kind === 'postgres') {
      pg = await PostgresTestServer.start();
      real = await openPostgresStore({ url: pg.url() });
    } else real = openSqliteStore({ path: join(tempDir('idsync-conn-release-'), 'idsync.db') });
    const updateMembers: Store['updateMembers'] = async (...args) => {
      if (fault.fail > 0) {
        if (fault.pass > 0) fault.pass -= 1;
        else {
          fault.fail -= 1;
          throw new Error('the process died here');
        }
      }
      return real.updateMembers(...args);
    };
    const store = new Proxy({} as Store, {
      has: (_t, prop) => prop in real,
      get(_t, prop) {
        if (prop === 'updateMembers') return updateMembers;
        const value = Reflect.get(real, prop) as unknown;
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
      },
    });
    services = createServices({ store, clock: steppingClock(), logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 4) });
  }, 60_000);
  afterAll(async () => {
    await real?.close();
    await redis?.dispose();
    await pg?.dispose();
  });

  const github = (orgId: string, name: string) => services.connections.create(orgId, { provider: 'github', name, config: { org: 'acme', token: 'ghp_release_test_token_0123456789' } }, SETUP);
  /** Members straight into the store (1,100 through the services would take most of the test's time). */
  async function seed(orgId: string, n: number, managedBy: ManagedBy, status: Member['status'] = 'active'): Promise<Member[]> {
    const at = new Date().toISOString();
    const out: Member[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const userName = `${id.slice(0, 8)}@acme.example`;
      const m: Member = { id, orgId, userName, name: {}, emails: [{ value: userName, primary: true }], role: 'member', status, managedBy, identities: [], attributes: {}, createdAt: at, updatedAt: at, version: 1 };
      await real.createMember(m, { orgId, actor: SETUP, action: 'member.created', target: { type: 'member', id } });
      out.push(m);
    }
    return out;
  }
  async function audit(orgId: string): Promise<AuditEvent[]> {
    const out: AuditEvent[] = [];
    for (;;) {
      const page = await real.listAudit(orgId, { limit: 1000, ...(out.length ? { afterSeq: out[out.length - 1]!.seq } : {}) });
      out.push(...page);
      if (page.length < 1000) return out;
    }
  }

  it('when an admin deletes a connection, then its live members become admin-managed, each audited with who and why, its teams lose their group link, and nobody else changes', async () => {
    const org = await services.orgs.create({ name: 'Release' }, SETUP);
    const conn = await github(org.id, 'GitHub acme');
    const other = await github(org.id, 'GitHub other');
    const mine = { kind: 'directory' as const, connectionId: conn.id };
    const [active, inactive] = [await seed(org.id, 3, mine), await seed(org.id, 2, mine, 'inactive')];
    const removed = await seed(org.id, 1, mine, 'removed');
    const [scim, theirs, admin] = [await seed(org.id, 2, { kind: 'scim' }), await seed(org.id, 2, { kind: 'directory', connectionId: other.id }), await seed(org.id, 1, { kind: 'admin' })];
    const team = await services.teams.create(org.id, { displayName: 'Platform', directoryGroup: { connectionId: conn.id, provider: 'github', groupId: '42', key: 'platform' } }, SETUP);
    const theirTeam = await services.teams.create(org.id, { displayName: 'Ops', directoryGroup: { connectionId: other.id, provider: 'github', groupId: '43', key: 'ops' } }, SETUP);
    await services.teams.addMembers(org.id, team.id, [active[0]!.id], { kind: 'directory', id: conn.id });

    expect(await services.connections.delete(conn.id, ADMIN, org.id)).toEqual({ members: 5, teams: 1 });

    expect(await real.getConnection(conn.id)).toBeUndefined();
    for (const m of [...active, ...inactive]) expect(await real.getMember(org.id, m.id)).toMatchObject({ managedBy: { kind: 'admin' }, status: m.status, role: 'member', version: 2 });
    for (const m of [...removed, ...scim, ...theirs, ...admin]) expect(await real.getMember(org.id, m.id)).toMatchObject({ managedBy: m.managedBy, version: 1 });
    expect(await real.getTeam(org.id, team.id)).not.toHaveProperty('directoryGroup');
    expect(await services.teams.memberIds(org.id, team.id)).toEqual([active[0]!.id]);
    expect((await real.getTeam(org.id, theirTeam.id))?.directoryGroup?.connectionId).toBe(other.id);

    const events = await audit(org.id);
    const released = events.filter((e) => e.action === 'member.released');
    expect(released.map((e) => e.target.id).sort()).toEqual([...active, ...inactive].map((m) => m.id).sort());
    for (const e of released) {
      expect(e).toMatchObject({ actor: ADMIN, source: 'admin', reason: `directory connection GitHub acme (${conn.id}) was deleted: admins manage what it managed` });
      expect(e.before).toMatchObject({ managedBy: mine });
      expect(e.after).toMatchObject({ managedBy: { kind: 'admin' }, releasedFrom: conn.id });
    }
    expect(events.filter((e) => e.action === 'team.released').map((e) => [e.target.id, e.actor])).toEqual([[team.id, ADMIN]]);
    const deleted = events.find((e) => e.action === 'connection.deleted')!;
    expect(deleted.after).toEqual({ releasedMembers: 5, releasedTeams: 1 });
    // The trail reads in order: what it managed was released before the connection went.
    expect(deleted.seq).toBeGreaterThan(Math.max(...released.map((e) => e.seq)));
  });

  it('when a delete dies half way through its members, then the connection is still there and the same delete finishes, releasing each member once', async () => {
    const org = await services.orgs.create({ name: 'Resume' }, SETUP);
    const conn = await github(org.id, 'GitHub resume');
    const members = await seed(org.id, 1100, { kind: 'directory', connectionId: conn.id });
    Object.assign(fault, { pass: 1, fail: 1 });

    await expect(services.connections.delete(conn.id, ADMIN, org.id)).rejects.toThrow('the process died here');
    expect(await real.getConnection(conn.id)).toBeDefined();
    const half = (await audit(org.id)).filter((e) => e.action === 'member.released').length;
    expect(half).toBe(500);

    expect(await services.connections.delete(conn.id, ADMIN, org.id)).toEqual({ members: 600, teams: 0 });
    expect(await real.getConnection(conn.id)).toBeUndefined();
    const released = (await audit(org.id)).filter((e) => e.action === 'member.released').map((e) => e.target.id);
    expect(released.sort()).toEqual(members.map((m) => m.id).sort());
    for (const m of members.slice(0, 3).concat(members.slice(-3))) expect((await real.getMember(org.id, m.id))?.managedBy).toEqual({ kind: 'admin' });
    // Deleted: a third call has nothing to finish.
    expect(await code(services.connections.delete(conn.id, ADMIN, org.id))).toBe('connection.not_found');
  }, 60_000);

  it('when a run of the connection is in progress, then the delete is refused with run.in_progress and releases nobody', async () => {
    const org = await services.orgs.create({ name: 'Busy' }, SETUP);
    const conn = await github(org.id, 'GitHub busy');
    const [m] = await seed(org.id, 1, { kind: 'directory', connectionId: conn.id });
    const slot = await takeRunSlot(real, conn.id, 'a-run', silentLogger);
    try {
      expect(await code(services.connections.delete(conn.id, ADMIN, org.id))).toBe('run.in_progress');
    } finally {
      await slot.release();
    }
    expect((await real.getMember(org.id, m!.id))?.managedBy).toEqual({ kind: 'directory', connectionId: conn.id });
    expect(await services.connections.delete(conn.id, ADMIN, org.id)).toEqual({ members: 1, teams: 0 });
  });
});
