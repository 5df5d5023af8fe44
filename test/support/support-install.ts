/** A daemon with a clock the test moves (support grants expire, deleted orgs are purged), on SQLite or its own Redis or PostgreSQL. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Organization } from '../../src/domain/model.js';
import { captureLogger } from './connectors.js';
import { ShiftedClock } from './console.js';
import { cli, tempDir, testEnv } from './harness.js';
import { PostgresTestServer } from './postgres-server.js';
import { RedisTestServer } from './redis-server.js';
import type { StoreKind } from './scim.js';

export interface ClockedInstall {
  daemon: Daemon;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: ShiftedClock;
  /** A new org with an owner, the org's admin key and a SCIM token. */
  newOrg(name: string): Promise<{ org: Organization; orgKey: string; scimToken: string }>;
  dispose(): Promise<void>;
}

export async function startClockedInstall(kind: StoreKind): Promise<ClockedInstall> {
  const cwd = tempDir('idsync-support-');
  const redis = kind === 'redis' ? await RedisTestServer.start() : undefined;
  const postgres = kind === 'postgres' ? await PostgresTestServer.start() : undefined;
  const env = testEnv(join(cwd, 'data'), {
    IDSYNC_RECONCILE_SCHEDULER: 'false',
    IDSYNC_WEBHOOK_POLL_MS: '50',
    ...(redis ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
    ...(postgres ? { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: postgres.url(), IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
  });
  const clock = new ShiftedClock();
  const daemon = await startDaemon(loadConfig({ env, cwd }), { logger: captureLogger(), clock });
  return {
    daemon,
    env,
    cwd,
    clock,
    async newOrg(name) {
      const org = (await cli(env, cwd, 'orgs', 'create', '--name', name, '--json')).json<Organization>();
      await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `owner@${name.toLowerCase()}.test`, '--role', 'owner');
      const orgKey = (await cli(env, cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>().key;
      const scimToken = (await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id, '--json')).json<{ token: string }>().token;
      return { org, orgKey, scimToken };
    },
    async dispose() {
      await daemon.stop();
      await redis?.dispose();
      await postgres?.dispose();
    },
  };
}
