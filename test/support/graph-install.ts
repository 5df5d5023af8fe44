/**
 * A Redis-mode installation for scheduler tests: its own data directory and secret key on a test
 * Redis, one organization and one Microsoft connection to a local Graph fake on `schedule`.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Organization } from '../../src/domain/model.js';
import type { GraphFake } from '../fakes/graph-fake.js';
import { cli, tempDir, testEnv } from './harness.js';

export const GRAPH_TENANT = '11111111-2222-4333-8444-555555555555';
export const GRAPH_CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
export const GRAPH_SECRET = 's';

export async function installGraphConnection(redisUrl: string, fake: GraphFake, opts: { name: string; schedule: string }) {
  const cwd = tempDir();
  const env = testEnv(join(cwd, 'data'), {
    IDSYNC_STORE: 'redis',
    IDSYNC_REDIS_URL: redisUrl,
    IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
    IDSYNC_RECONCILE_RESYNC_MS: '200',
  });
  const org = (await cli(env, cwd, 'orgs', 'create', '--name', opts.name, '--json')).json<Organization>();
  const config = join(cwd, 'graph.json');
  writeFileSync(config, JSON.stringify({ tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET, graphBaseUrl: fake.url, authorityHost: fake.url }));
  const conn = (await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--schedule', opts.schedule, '--json')).json<{ id: string }>().id;
  return { cwd, env, org, conn };
}
