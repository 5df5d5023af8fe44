/**
 * A Graph `missed` lifecycle notification starts a run of the connection, and that run never
 * overlaps another: with a scheduler it goes through the tick runner (a scheduled run in flight
 * makes it `busy`, not a second run); without one it takes the runner's `reconcile-running` lease,
 * so a run another replica's worker holds keeps it out. On both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { Actor } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import { ReconcileScheduler } from '../../src/runtime/reconcile-scheduler.js';
import { InProcessTickRunner } from '../../src/runtime/in-process-runner.js';
import { MemoryBackoff } from '../../src/runtime/tick-runner.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { tempDir } from '../support/harness.js';
import { startHookApp, type HookApp } from '../support/hooks.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';

const ACTOR: Actor = { kind: 'cli', label: 'missed test' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = '99999999-8888-4777-8666-555555555555';

describe.each(STORES)('a Graph missed notification runs once, never beside another run, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let app: HookApp;
  let fake: GraphFake;
  let scheduler: ReconcileScheduler | undefined;
  const conns: string[] = [];

  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'hooks-missed' });
    } else store = openSqliteStore({ path: join(tempDir('idsync-hooks-missed-'), 'idsync.db') });
    fake = await new GraphFake({ users: 5, tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret' }).start();
    app = await startHookApp(store);
    const orgId = (await app.services.orgs.create({ name: 'Missed' }, ACTOR)).id;
    const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret', graphBaseUrl: fake.url, authorityHost: fake.url };
    for (const name of ['scheduled', 'leased', 'free']) {
      const id = (await app.services.connections.create(orgId, { provider: 'microsoft', name, config, policy: { realtime: true } }, ACTOR)).id;
      await app.services.reconcile.run(id);
      conns.push(id);
    }
    expect(Object.values(await app.services.notifications.keeper.keepAll())).toEqual(['created', 'created', 'created']);
  });
  afterAll(async () => {
    await scheduler?.stop();
    await app.close();
    await fake.stop();
    await store.close();
    await redis?.dispose();
  });

  const runs = async (connId: string) => (await store.listRuns(connId, { limit: 50 })).items;
  /** Graph's `missed` for the subscription of one connection, sent the documented way. */
  const missed = async (connId: string) => {
    const sub = [...fake.subscriptions.subs.values()].find((s) => s.notificationUrl.endsWith(`/hooks/microsoft/${connId}`))!;
    const item = { subscriptionId: sub.id, subscriptionExpirationDateTime: sub.expirationDateTime, tenantId: TENANT, clientState: sub.clientState, lifecycleEvent: 'missed', id: `m-${connId}` };
    return fake.subscriptions.send([item], sub.lifecycleNotificationUrl);
  };

  it('when a scheduled run of the connection is in flight, then the missed run is skipped as busy, not run beside it', async () => {
    const connId = conns[0]!;
    const runner = new InProcessTickRunner({ store, logger: silentLogger, holder: 'test', run: { reconcile: app.services.reconcile, runTimeoutMs: 20_000, backoff: new MemoryBackoff(1000) } });
    scheduler = new ReconcileScheduler({ store, logger: silentLogger, runner, resyncMs: 60_000 });
    const asked: string[] = [];
    app.services.notifications.useRunner(async (id, trigger) => {
      const outcome = await scheduler!.runNow(id, trigger);
      asked.push(outcome);
      return outcome;
    });
    const before = (await runs(connId)).length;
    // The scheduled run's delta read stalls long enough for the lifecycle message to arrive meanwhile.
    fake.server.inject('users.delta', { delayMs: 1500, rewrite: (r) => r });
    const tick = scheduler.tick(connId, new Date());
    await new Promise((r) => setTimeout(r, 300));
    expect(await missed(connId)).toBe(202);
    await app.services.notifications.idle();
    expect(await tick).toBe('ran');
    expect(asked).toEqual(['busy']);
    const after = (await runs(connId)).slice(0, (await runs(connId)).length - before);
    expect(after.map((r) => r.trigger)).toEqual(['schedule']);
  });

  it('when no run is in flight, then the missed run goes through the runner with trigger notification', async () => {
    const connId = conns[2]!;
    expect(await missed(connId)).toBe(202);
    await app.services.notifications.idle();
    expect((await runs(connId))[0]).toMatchObject({ trigger: 'notification', status: 'completed' });
  });

  it('when there is no scheduler in the process and another replica holds the run lease, then no run is made', async () => {
    const connId = conns[1]!;
    app.services.notifications.useRunner(undefined);
    const before = (await runs(connId)).length;
    expect(await store.tryAcquireLease(`reconcile-running:${connId}`, 'other-replica-job', 60_000)).toBe(true);
    expect(await missed(connId)).toBe(202);
    await app.services.notifications.idle();
    expect((await runs(connId)).length).toBe(before);
  });

  it('when two runs of one connection are asked for in the same turn (a tick and a missed notification), then one runs and the other is busy', async () => {
    const connId = conns[2]!;
    const runner = new InProcessTickRunner({ store, logger: silentLogger, holder: 'test-race', run: { reconcile: app.services.reconcile, runTimeoutMs: 20_000, backoff: new MemoryBackoff(1000) } });
    const before = (await runs(connId)).length;
    const t = Date.now();
    const outcomes = await Promise.all([runner.fire(connId, new Date(t)), runner.fire(connId, new Date(t + 1), 'notification')]);
    expect([...outcomes].sort()).toEqual(['busy', 'ran']);
    expect((await runs(connId)).length).toBe(before + 1);
  });
});
