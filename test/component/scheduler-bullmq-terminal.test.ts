/**
 * The BullMQ tick runner books failures like the in-process one: a terminal failure (credentials
 * refused) makes every replica's worker skip the connection until it is updated; a retriable one
 * (a 429 storm) backs off in Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import { bullPrefix, RECONCILE_QUEUE, reconcileJobId } from '../../src/runtime/bullmq-redis.js';
import { BullmqTickRunner, type ReconcileJobData } from '../../src/runtime/bullmq-runner.js';
import type { TickOutcome } from '../../src/runtime/tick-runner.js';
import { createServices, type Services } from '../../src/services/index.js';
import { openRedisStore } from '../../src/store/redis/index.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { GRAPH_CLIENT, GRAPH_SECRET, GRAPH_TENANT, installGraphConnection } from '../support/graph-install.js';
import { RedisTestServer } from '../support/redis-server.js';
import { adjustableClock } from '../support/services.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const UNAUTHORIZED = { status: 401, body: { error: { code: 'InvalidAuthenticationToken', message: 'Access token validation failure.' } } };
const THROTTLED = { status: 429, headers: { 'retry-after': '0' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } } };

describe('terminal and retriable failures under the BullMQ tick runner', () => {
  let redis: RedisTestServer;
  let fake: GraphFake;
  let client: Redis;
  let jobs: Queue<ReconcileJobData, TickOutcome>;
  let store: Store;
  let services: Services;
  let runner: BullmqTickRunner;
  let conn: string;
  const clock = adjustableClock();
  let tick = Math.floor(Date.now() / 1000) * 1000;

  /** Fires the next tick and waits for its job's outcome. */
  async function fire(): Promise<TickOutcome> {
    const at = new Date((tick += 1000));
    expect(await runner.fire(conn, at)).toBe('queued');
    const until = Date.now() + 15_000;
    for (;;) {
      const job = await jobs.getJob(reconcileJobId(conn, at));
      if (job?.finishedOn !== undefined) return job.returnvalue;
      if (Date.now() > until) throw new Error('the job did not finish');
      await sleep(30);
    }
  }

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    fake = await new GraphFake({ users: 5, tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET }).start();
    const installed = await installGraphConnection(redis.url, fake, { name: 'Bull terminal', schedule: '0 0 1 1 *' });
    conn = installed.conn;
    const config = loadConfig({ env: installed.env, cwd: installed.cwd });
    store = await openRedisStore(config.redis);
    services = createServices({ store, clock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.from(String(installed.env.IDSYNC_SECRET_KEY), 'base64') });
    runner = new BullmqTickRunner({ store, logger: silentLogger, redis: config.redis, run: { reconcile: services.reconcile, runTimeoutMs: 20_000 }, failureBackoffMs: 60_000, holder: 'a', clock });
    await runner.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    jobs = new Queue<ReconcileJobData, TickOutcome>(RECONCILE_QUEUE, { connection: client, prefix: bullPrefix(config.redis.keyPrefix) });
    // The runner does not wait for Redis; a tick fired before its connection is up is skipped ('error').
    const deadline = Date.now() + 15_000;
    while (!runner.connected && Date.now() < deadline) await sleep(20);
    await sleep(300);
  });
  afterAll(async () => {
    await runner.stop();
    await jobs.close();
    client.disconnect();
    await store.close();
    await fake.stop();
    await redis.dispose();
  });

  it('when the directory answers 401, then later jobs skip the connection until its credentials are updated', async () => {
    fake.server.inject('users.delta', UNAUTHORIZED, 1000);
    fake.server.inject('users.list', UNAUTHORIZED, 1000);
    expect(await fire()).toBe('ran');
    expect(await store.getConnection(conn)).toMatchObject({ health: 'action_required', syncState: { actionRequired: { code: 'connector.auth_failed' } } });
    expect([await fire(), await fire()]).toEqual(['action-required', 'action-required']);
    fake.server.clearFaults();
    await services.connections.update(conn, { config: { clientSecret: GRAPH_SECRET } }, { kind: 'cli', label: 'test' });
    expect(await fire()).toBe('ran');
    expect((await store.getConnection(conn))?.health).toBe('healthy');
  }, 60_000);

  it('when the directory throttles every request, then the connection backs off in Redis and runs again after the wait', async () => {
    fake.server.inject('users.delta', THROTTLED, 1000);
    fake.server.inject('users.list', THROTTLED, 1000);
    expect(await fire()).toBe('ran');
    expect(await fire()).toBe('backoff');
    expect((await store.getConnection(conn))?.health).toBe('degraded');
    clock.advanceHours(1);
    expect(await fire()).toBe('ran');
    fake.server.clearFaults();
  }, 60_000);
});
