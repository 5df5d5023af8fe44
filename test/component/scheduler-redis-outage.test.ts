import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { bullPrefix, RECONCILE_QUEUE } from '../../src/runtime/bullmq-redis.js';
import type { ReconcileJobData } from '../../src/runtime/bullmq-runner.js';
import type { TickOutcome } from '../../src/runtime/tick-runner.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { startTestDaemon } from '../support/harness.js';
import { GRAPH_CLIENT, GRAPH_SECRET, GRAPH_TENANT, installGraphConnection } from '../support/graph-install.js';
import { RedisTestServer } from '../support/redis-server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('scheduled reconciles through a Redis outage', () => {
  let redis: RedisTestServer;
  let fake: GraphFake;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    fake = await new GraphFake({ users: 3, tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET }).start();
  });
  afterAll(async () => {
    await fake.stop();
    await redis.dispose();
  });

  /** An installation with one Graph connection firing every second. */
  async function install() {
    return installGraphConnection(redis.url, fake, { name: 'Outage', schedule: '* * * * * *' });
  }

  async function completedTicks(conn: string): Promise<string[]> {
    const client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    const queue = new Queue<ReconcileJobData, TickOutcome>(RECONCILE_QUEUE, { connection: client, prefix: bullPrefix('idsync') });
    try {
      const jobs = await queue.getJobs(['completed']);
      return jobs.filter((j) => j.data.connectionId === conn && j.returnvalue === 'ran').map((j) => j.data.tick);
    } finally {
      await queue.close();
      client.disconnect();
    }
  }

  async function waitFor(what: string, ok: () => Promise<boolean>, ms: number): Promise<void> {
    const until = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
      await sleep(200);
    }
  }

  it('when Redis crashes and comes back under a running scheduler, then the daemon keeps serving, logs the outage, and ticks resume', async () => {
    const { cwd, env, conn } = await install();
    const d = await startTestDaemon(env, cwd);
    try {
      await waitFor('a first completed tick', async () => (await completedTicks(conn)).length >= 1, 10_000);

      await redis.stop('SIGKILL');
      await sleep(2500);
      expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
      const warned = d.logs.records().filter((r) => r.message === 'redis unavailable for scheduled reconciles; ticks are skipped until it is back');
      expect(warned.length).toBe(1);

      await redis.start();
      const back = new Date().toISOString();
      await waitFor('a tick completed after the restart', async () => (await completedTicks(conn)).some((t) => t > back), 15_000);
      expect(d.logs.records().some((r) => r.message === 'redis connection restored; scheduled reconciles resume')).toBe(true);
      expect((await fetch(`${d.url}/readyz`)).status).toBe(200);
    } finally {
      await d.stop();
    }
  }, 30_000);

  it('when the daemon starts while Redis is down, then it serves, and scheduled ticks run once Redis is up', async () => {
    const { cwd, env, conn } = await install();
    await redis.stop();
    const d = await startTestDaemon(env, cwd);
    try {
      await sleep(1500);
      expect((await fetch(`${d.url}/healthz`)).status).toBe(200);
      await redis.start();
      const up = new Date().toISOString();
      await waitFor('a tick completed once Redis is up', async () => (await completedTicks(conn)).some((t) => t > up), 15_000);
    } finally {
      await d.stop();
    }
  }, 30_000);

  it('when Redis is down at shutdown, then the daemon still stops promptly', async () => {
    const { cwd, env, conn } = await install();
    const d = await startTestDaemon(env, cwd);
    try {
      await waitFor('a first completed tick', async () => (await completedTicks(conn)).length >= 1, 10_000);
      await redis.stop('SIGKILL');
      await sleep(1200);
      const t0 = Date.now();
      expect(await Promise.race([d.stop().then(() => 'stopped'), sleep(10_000).then(() => 'hung')])).toBe('stopped');
      expect(Date.now() - t0).toBeLessThan(10_000);
    } finally {
      await redis.start();
      await d.stop();
    }
  }, 30_000);
});
