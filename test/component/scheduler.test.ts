import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Organization, ReconcileRun } from '../../src/domain/model.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { cli, startTestDaemon, tempDir, testEnv } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('scheduled reconciles with two daemons on one Redis', () => {
  let redis: RedisTestServer;
  let fake: GraphFake;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    fake = await new GraphFake({ users: 5, tenantId: TENANT, clientId: CLIENT, clientSecret: 's' }).start();
  });
  afterAll(async () => {
    await fake.stop();
    await redis.dispose();
  });

  it('when a connection runs every second on two replicas, then each tick runs exactly once', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), {
      IDSYNC_STORE: 'redis',
      IDSYNC_REDIS_URL: redis.url,
      IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
      IDSYNC_RECONCILE_RESYNC_MS: '200',
    });
    const a = await startTestDaemon(env, cwd);
    const b = await startTestDaemon(env, cwd);
    try {
      const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Ticks', '--json')).json<Organization>();
      const config = join(cwd, 'graph.json');
      writeFileSync(config, JSON.stringify({ tenantId: TENANT, clientId: CLIENT, clientSecret: 's', graphBaseUrl: fake.url, authorityHost: fake.url }));
      const conn = (await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--schedule', '* * * * * *', '--json')).json<{ id: string }>().id;
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
      expect(runs.every((r) => r.trigger === 'schedule' && r.status === 'completed')).toBe(true);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 30_000);
});
