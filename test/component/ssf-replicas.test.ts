import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Organization } from '../../src/domain/model.js';
import { cli, startTestDaemon, tempDir, testEnv } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';
import { pushReceiver, SetVerifier } from '../support/ssf-receiver.js';

describe('Shared Signals with two daemons on one Redis', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
  });
  afterAll(async () => {
    await redis.dispose();
  });

  it('when both replicas read the same outbox and push, then every SET reaches the receiver once', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), {
      IDSYNC_STORE: 'redis',
      IDSYNC_REDIS_URL: redis.url,
      IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
      IDSYNC_PUBLIC_URL: 'https://idsync.example.com',
      IDSYNC_WEBHOOK_POLL_MS: '25',
    });
    const a = await startTestDaemon(env, cwd);
    const b = await startTestDaemon(env, cwd);
    const verifier = new SetVerifier(`${a.url}/ssf/jwks.json`, 'https://idsync.example.com', 'urn:host');
    const rx = await pushReceiver(() => verifier, 'Bearer twice');
    try {
      const key = (await cli(env, cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
      const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const post = (base: string, path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: auth, body: JSON.stringify(body) });
      const org = (await (await post(a.url, '/api/v1/orgs', { name: 'Replicas' })).json()) as Organization;
      expect((await post(b.url, '/ssf/stream', { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rx.url, authorization_header: 'Bearer twice' }, aud: 'urn:host' })).status).toBe(201);
      for (let i = 0; i < 10; i++) {
        const via = i % 2 ? a : b;
        const m = (await (await post(via.url, `/api/v1/orgs/${org.id}/members`, { email: `r${i}@replicas.example` })).json()) as { id: string };
        expect((await post(via.url, `/api/v1/orgs/${org.id}/members/${m.id}/deactivate`, {})).status).toBe(200);
      }
      const deadline = Date.now() + 15_000;
      while (rx.got.length < 20 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      expect(rx.got).toHaveLength(20);
      expect(new Set(rx.got.map((s) => s.claims.jti)).size).toBe(20);
      expect(rx.refused).toEqual([]);
      expect(verifier.problems).toEqual([]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await rx.close();
    }
  }, 40_000);
});
