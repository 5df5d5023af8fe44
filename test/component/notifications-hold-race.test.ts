/**
 * A notification that holds a deactivation adds it to the open held notification run. When that run
 * is approved or rejected between the moment it is read and the moment it is written (another
 * replica, the console), the new held action must open a new held run, not disappear into a
 * decided one. The interleaving is made deterministic by deciding the run right after the real
 * store answered the read; everything else is the real service over HTTP from a local GitHub.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { Actor } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import type { RecordedAction } from '../../src/services/reconcile/service.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { GithubFake } from '../fakes/github-fake.js';
import { GithubWebhookSender } from '../fakes/github-webhooks.js';
import { rsaKeys } from '../support/connectors.js';
import { tempDir } from '../support/harness.js';
import { startHookApp, type HookApp } from '../support/hooks.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';

const ACTOR: Actor = { kind: 'cli', label: 'hold race test' };
const SECRET = 'whsec-0123456789abcdef';
const MEMBERS = 12;

describe.each(STORES)('a held notification run decided while a new hold is written, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let real: Store;
  let app: HookApp;
  let fake: GithubFake;
  let hooks: GithubWebhookSender;
  let orgId: string;
  let connId: string;
  let memberIds: string[];
  /** Armed: the next read of the newest run is followed at once by a rejection of that run. */
  let rejectAfterRead = false;

  const listRunsThenReject = async (...args: Parameters<Store['listRuns']>) => {
    const page = await real.listRuns(...args);
    const newest = page.items[0];
    if (rejectAfterRead && newest?.status === 'held') {
      rejectAfterRead = false;
      await real.updateRun(newest.orgId, newest.id, (cur) => ({ next: { ...cur, status: 'rejected' } }));
    }
    return page;
  };

  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      real = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'hold-race' });
    } else real = openSqliteStore({ path: join(tempDir('idsync-hold-race-'), 'idsync.db') });
    const store = new Proxy({} as Store, {
      has: (_target, prop) => prop in real,
      get(_target, prop) {
        if (prop === 'listRuns') return listRunsThenReject;
        const value = Reflect.get(real, prop) as unknown;
        // Methods run on the store itself (its private state is not on the proxy).
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real) : value;
      },
    });
    const keys = rsaKeys();
    fake = await new GithubFake({ org: 'acme', members: MEMBERS, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, saml: true }).start();
    app = await startHookApp(store);
    const { services } = app;
    orgId = (await services.orgs.create({ name: 'Acme' }, ACTOR)).id;
    memberIds = [];
    for (let i = 0; i < MEMBERS - 1; i++) memberIds.push((await services.members.create(orgId, { email: `person${i}@corp.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
    const config = { org: 'acme', appId: 4242, installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: fake.url, graphqlUrl: `${fake.url}/graphql`, webhookSecret: SECRET };
    connId = (await services.connections.create(orgId, { provider: 'github', config, policy: { realtime: true, maxDeactivations: 1, maxDeactivationPercent: 100 } }, ACTOR)).id;
    expect(await services.reconcile.run(connId)).toMatchObject({ status: 'completed', linked: MEMBERS - 1 });
    hooks = new GithubWebhookSender(fake, `${app.url}/hooks/github/${connId}`, SECRET);
  });
  afterAll(async () => {
    await app?.close();
    await fake?.stop();
    await real?.close();
    await redis?.dispose();
  });

  const remove = async (i: number) => {
    fake.removeMember(i);
    expect(await hooks.send(hooks.organization(i, 'member_removed'))).toBe(202);
    await app.services.notifications.idle();
  };
  const heldMembers = (plan: unknown[]) => (plan as RecordedAction[]).map((a) => a.memberId);

  it('when the open held run is rejected between its read and its write, then the new held deactivation opens a new held run', async () => {
    // Arrange: a budget of 1 applies the first removal and holds the second in a notification run.
    await remove(2);
    await remove(3);
    const [first] = (await real.listRuns(connId, { limit: 10 })).items.filter((r) => r.trigger === 'notification');
    expect(first).toMatchObject({ status: 'held' });
    expect(heldMembers(first!.plan)).toEqual([memberIds[3]]);

    // Act: the next hold reads that run as held, and it is rejected before the hold writes.
    rejectAfterRead = true;
    await remove(4);

    // Assert
    const runs = (await real.listRuns(connId, { limit: 10 })).items.filter((r) => r.trigger === 'notification');
    expect(rejectAfterRead).toBe(false);
    expect(runs).toHaveLength(2);
    const [opened, decided] = runs;
    expect(decided).toMatchObject({ id: first!.id, status: 'rejected' });
    expect(heldMembers(decided!.plan)).toEqual([memberIds[3]]);
    expect(opened).toMatchObject({ status: 'held', summary: { held: 1 } });
    expect(heldMembers(opened!.plan)).toEqual([memberIds[4]]);
    expect((await real.getMember(orgId, memberIds[4]!))?.status).toBe('active');
  });
});
