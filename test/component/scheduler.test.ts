import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ReconcileRun } from '../../src/domain/model.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { GRAPH_CLIENT, GRAPH_SECRET, GRAPH_TENANT, installGraphConnection } from '../support/graph-install.js';
import { startTestDaemon } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';

describe('scheduled reconciles with two daemons on one Redis', () => {
  let redis: RedisTestServer;
  let fake: GraphFake;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    fake = await new GraphFake({ users: 5, tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET }).start();
  });
  afterAll(async () => {
    await fake.stop();
    await redis.dispose();
  });

  it('when a connection runs every second on two replicas, then each tick runs exactly once', async () => {
    const { cwd, env, org, conn } = await installGraphConnection(redis.url, fake, { name: 'Ticks', schedule: '* * * * * *' });
    const a = await startTestDaemon(env, cwd);
    const b = await startTestDaemon(env, cwd);
    try {
      await new Promise((r) => setTimeout(r, 4500));
      const scraped = await Promise.all([a, b].map(async (d) => (await fetch(`${d.url}/metrics`)).text()));
      const completed = scraped.map((t) => Number(/idsync_reconcile_runs_total\{provider="microsoft",status="completed"\} (\d+)/.exec(t)?.[1] ?? 0));
      expect(completed[0]! + completed[1]!).toBeGreaterThanOrEqual(2);
      expect(scraped.some((t) => t.includes(`idsync_reconcile_connection_status{connection="${conn}",org="${org.id}",provider="microsoft",status="completed"} 1`))).toBe(true);
      expect(scraped.some((t) => /idsync_directory_api_calls_total\{provider="microsoft",status="2xx"\} [1-9]/.test(t))).toBe(true);
      await Promise.all([a.stop(), b.stop()]);
      const b2 = await startTestDaemon({ ...env, IDSYNC_RECONCILE_SCHEDULER: 'false' }, cwd);
      const runs = (await b2.store.listRuns(conn, { limit: 100 })).items as ReconcileRun[];
      await b2.stop();
      const seconds = runs.map((r) => r.startedAt.slice(0, 19));
      expect(runs.length).toBeGreaterThanOrEqual(2);
      expect(new Set(seconds).size).toBe(runs.length);
      expect(runs.every((r) => r.trigger === 'schedule')).toBe(true);
      // A tick still running when the daemons stop is aborted (its listing incomplete); every other one completed.
      const cut = runs.filter((r) => r.status !== 'completed');
      expect(cut.length).toBeLessThanOrEqual(2);
      expect(cut.every((r) => r.error?.code === 'connector.aborted' || /shutting down/.test(r.error?.message ?? ''))).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 30_000);
});
