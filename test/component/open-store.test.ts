import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { openBackend, type StoreBackend, type TickRunnerDeps } from '../../src/app/open-store.js';
import { loadConfig } from '../../src/config/load.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { anOrg, draft } from '../../src/store/conformance/fixtures.js';
import { tempDir, testEnv } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';

const tickDeps: TickRunnerDeps = {
  logger: silentLogger,
  holder: 'test-replica',
  run: { reconcile: { run: async () => Promise.reject(new Error('not run in this test')) }, runTimeoutMs: 1000 },
  failureBackoffMs: 1000,
  clock: { now: () => new Date() },
};

/** The backend answers and holds what is written to it. */
async function roundTrip(backend: StoreBackend): Promise<void> {
  const org = anOrg();
  await backend.store.ping();
  await backend.store.createOrg(org, draft(org.id, 'org.created', org.id));
  expect(await backend.store.getOrg(org.id)).toEqual(org);
}

describe('openBackend', () => {
  it('when the store is sqlite, then it brings a working store labelled sqlite, in-process ticks and no shared rate-limit counters', async () => {
    const backend = await openBackend(loadConfig({ env: testEnv(join(tempDir(), 'data')), cwd: tempDir() }), silentLogger);
    try {
      expect(backend.label).toBe('sqlite');
      expect(backend.rateLimitStore).toBeUndefined();
      await roundTrip(backend);
      const runner = await backend.tickRunner(tickDeps);
      expect(runner.kind).toBe('in-process');
      await runner.stop();
    } finally {
      await backend.store.close();
    }
  });

  describe('redis', () => {
    let server: RedisTestServer;
    beforeAll(async () => {
      server = await RedisTestServer.start();
    });
    afterAll(async () => {
      await server.dispose();
    });

    it('when the store is redis, then it brings a working store labelled redis, BullMQ ticks and rate-limit counters on its connection', async () => {
      const env = testEnv(join(tempDir(), 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: server.url, IDSYNC_REDIS_KEY_PREFIX: 'backend', IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') });
      const backend = await openBackend(loadConfig({ env, cwd: tempDir() }), silentLogger);
      try {
        expect(backend.label).toBe('redis');
        await roundTrip(backend);
        const counters = backend.rateLimitStore?.();
        expect(counters?.prefix).toBe('backend:{ratelimit}:');
        const runner = await backend.tickRunner(tickDeps);
        expect(runner.kind).toBe('bullmq');
        await runner.stop();
      } finally {
        await backend.store.close();
      }
    });
  });
});
