/**
 * Held deactivations are released strongest evidence first. A scripted directory (registered like
 * a real connector) puts four kinds of evidence against four members at once, a budget of zero
 * holds them all, and an approval with max 2 must release the two strongest: the deletion a point
 * lookup confirmed, then the deletion the listing states; the suspension and the bare absence stay held.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_CONNECTORS } from '../../src/connectors/index.js';
import { createConnectorRegistry } from '../../src/connectors/registry.js';
import type { Actor, Member } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock } from '../../src/ports/clock.js';
import type { ConnectorCounters, DirectoryConnector, DirectoryListing, DirectoryTombstone, DirectoryUser, ListingResult } from '../../src/ports/directory.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import type { RecordedAction } from '../../src/services/reconcile/service.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { rsaKeys } from '../support/connectors.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';

const ACTOR: Actor = { kind: 'cli', label: 'approval test' };
const MEMBERS = 30;
const COUNTERS: ConnectorCounters = { apiCalls: 1, authCalls: 0, retries: 0, throttled: 0, byStatus: { '2xx': 1 } };

/** What the scripted directory says: each user's listed state (absent: not listed) and its point lookup. */
class ScriptedDirectory {
  readonly listed = new Map<string, DirectoryUser['state']>();
  readonly lookups = new Map<string, 'deleted' | 'error'>();

  constructor() {
    for (let i = 0; i < MEMBERS; i++) this.listed.set(`g${i}`, 'active');
  }

  static email(i: number): string {
    return `user${i}@scripted.example`;
  }

  private user(id: string, state: DirectoryUser['state']): DirectoryUser {
    const email = ScriptedDirectory.email(Number(id.slice(1)));
    return { provider: 'google', id, login: email, primaryEmail: email, emails: [email], name: { given: null, family: null, display: null }, state, isAdmin: false, raw: {} };
  }

  connector(): DirectoryConnector {
    const users = [...this.listed].map(([id, state]) => this.user(id, state));
    const result: ListingResult = { complete: true, users: users.length, pages: 1, restarts: 0, counters: COUNTERS, durationMs: 0 };
    const listing: DirectoryListing = {
      async *[Symbol.asyncIterator]() {
        yield* users;
      },
      result: () => result,
      done: Promise.resolve(result),
    };
    return {
      provider: 'google',
      listUsers: () => listing,
      getUser: async (id: string): Promise<DirectoryUser | DirectoryTombstone> => {
        const answer = this.lookups.get(id);
        if (answer === 'error') throw new Error('lookup failed');
        if (answer === 'deleted') return { provider: 'google', id, deleted: true, reason: '404 from the scripted directory' };
        return this.user(id, this.listed.get(id) ?? 'active');
      },
      counters: () => COUNTERS,
    };
  }
}

describe.each(STORES)('approving held deactivations by evidence strength, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let services: Services;
  const dir = new ScriptedDirectory();

  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'approval' });
    } else {
      store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-approval-')), 'idsync.db') });
    }
    const google = BUILTIN_CONNECTORS.find((f) => f.provider === 'google')!;
    const connectors = createConnectorRegistry([{ ...google, open: () => dir.connector() }]);
    services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors, secretKey: Buffer.alloc(32, 3) });
  });
  afterAll(async () => {
    await store.close();
    await redis?.dispose();
  });

  it('when an approval with max 2 meets missing, suspended, lookup-confirmed and listed deletions, then the two deletions are applied and the rest stay held', async () => {
    const org = await services.orgs.create({ name: 'Scripted' }, ACTOR);
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) members.push(await services.members.create(org.id, { email: ScriptedDirectory.email(i), role: i === 0 ? 'owner' : 'member' }, ACTOR));
    const keys = rsaKeys();
    const config = { adminEmail: 'admin@scripted.example', serviceAccountKey: { client_email: 'sa@scripted.iam.gserviceaccount.com', private_key: keys.pkcs8 } };
    const conn = await services.connections.create(org.id, { provider: 'google', config, policy: { maxDeactivations: 0, maxDeactivationPercent: 100, confirmMissingRuns: 2 } }, ACTOR);
    expect(await services.reconcile.run(conn.id)).toMatchObject({ status: 'completed', linked: MEMBERS });

    // Member 1 is missing and its lookup fails (absence only); 2 is suspended; 3 is missing and a
    // lookup says deleted; 4 is listed as deleted.
    dir.listed.delete('g1');
    dir.lookups.set('g1', 'error');
    dir.listed.set('g2', 'suspended');
    dir.listed.delete('g3');
    dir.lookups.set('g3', 'deleted');
    dir.listed.set('g4', 'deleted');
    await services.reconcile.run(conn.id);
    const held = await services.reconcile.run(conn.id);
    expect(held).toMatchObject({ status: 'held', deactivated: 0, held: 4 });
    const heldPlan = (await store.getRun(held.runId))!.plan as RecordedAction[];
    expect(heldPlan.filter((a) => a.kind === 'deactivate').map((a) => [a.memberId, a.evidence.kind, a.outcome])).toEqual([
      [members[1]!.id, 'missingRuns', { status: 'held', by: 'deactivation_budget' }],
      [members[2]!.id, 'suspended', { status: 'held', by: 'deactivation_budget' }],
      [members[3]!.id, 'confirmedByLookup', { status: 'held', by: 'deactivation_budget' }],
      [members[4]!.id, 'deleted', { status: 'held', by: 'deactivation_budget' }],
    ]);

    const approval = await services.reconcile.approve(held.runId, ACTOR, 2);
    expect(approval).toMatchObject({ status: 'held', deactivated: 2, held: 2 });
    const status = async (i: number) => (await store.getMember(org.id, members[i]!.id))?.status;
    expect([await status(1), await status(2), await status(3), await status(4)]).toEqual(['active', 'active', 'inactive', 'inactive']);
    const recorded = (await store.getRun(approval.runId))!.plan as RecordedAction[];
    expect(recorded.filter((a) => a.kind === 'deactivate').map((a) => [a.memberId, a.outcome.status])).toEqual([
      [members[1]!.id, 'held'],
      [members[2]!.id, 'held'],
      [members[3]!.id, 'applied'],
      [members[4]!.id, 'applied'],
    ]);
    expect(recorded.find((a) => a.memberId === members[3]!.id)).toMatchObject({ releasedByApproval: true });
    const audit = (await store.listAudit(org.id, { limit: 1000 })).filter((e) => e.action === 'member.deactivated');
    expect(audit.map((e) => [e.target.id, (e.evidence as { kind?: string } | undefined)?.kind])).toEqual(expect.arrayContaining([[members[3]!.id, 'confirmedByLookup'], [members[4]!.id, 'deleted']]));
    expect(await store.getRun(held.runId)).toMatchObject({ status: 'approved' });
  });

  it('when the approval run cannot start (the connection was deleted meanwhile), then the claim is given back: the run is held again, unaudited, and can still be rejected', async () => {
    // Arrange: a new org on the same directory; its first run holds what the directory now says.
    const org = await services.orgs.create({ name: 'Gone' }, ACTOR);
    for (let i = 0; i < MEMBERS; i++) await services.members.create(org.id, { email: ScriptedDirectory.email(i), role: i === 0 ? 'owner' : 'member' }, ACTOR);
    const keys = rsaKeys();
    const config = { adminEmail: 'admin@scripted.example', serviceAccountKey: { client_email: 'sa@scripted.iam.gserviceaccount.com', private_key: keys.pkcs8 } };
    const conn = await services.connections.create(org.id, { provider: 'google', config, policy: { maxDeactivations: 0, maxDeactivationPercent: 100 } }, ACTOR);
    const held = await services.reconcile.run(conn.id);
    expect(held).toMatchObject({ status: 'held' });
    await services.connections.delete(conn.id, ACTOR);

    // Act
    const refused = await services.reconcile.approve(held.runId, ACTOR).then(() => 'approved', (err: { code?: string }) => err.code);

    // Assert
    expect(refused).toBe('connection.not_found');
    expect(await store.getRun(held.runId)).toMatchObject({ status: 'held' });
    const decisions = async () => (await store.listAudit(org.id, { limit: 1000 })).filter((e) => e.action.startsWith('reconcile.')).map((e) => e.action);
    expect(await decisions()).toEqual([]);
    expect(await services.reconcile.reject(held.runId, ACTOR)).toMatchObject({ status: 'rejected' });
    expect(await decisions()).toEqual(['reconcile.rejected']);
  });
});
