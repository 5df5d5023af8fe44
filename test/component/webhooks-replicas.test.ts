import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Organization } from '../../src/domain/model.js';
import { cli, startTestDaemon, tempDir, testEnv } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';

describe('webhooks with two daemons on one Redis', () => {
  let redis: RedisTestServer;
  let receiver: Server;
  const received: { id: string; delivery: string }[] = [];

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ id: (JSON.parse(body) as { id: string }).id, delivery: String(req.headers['x-idsync-delivery']) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    receiver.close();
    await redis.dispose();
  });

  it('when both replicas poll the same outbox, then every event is sent once', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), {
      IDSYNC_STORE: 'redis',
      IDSYNC_REDIS_URL: redis.url,
      IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
      IDSYNC_WEBHOOK_POLL_MS: '25',
    });
    const a = await startTestDaemon(env, cwd);
    const b = await startTestDaemon(env, cwd);
    try {
      const key = (await cli(env, cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
      const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
      const org = (await (await fetch(`${a.url}/api/v1/orgs`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'Hooks' }) })).json()) as Organization;
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      expect((await fetch(`${a.url}/api/v1/orgs/${org.id}/webhooks`, { method: 'POST', headers: auth, body: JSON.stringify({ url, events: ['member.created'] }) })).status).toBe(201);
      for (let i = 0; i < 10; i++) {
        const via = i % 2 ? a : b;
        expect((await fetch(`${via.url}/api/v1/orgs/${org.id}/members`, { method: 'POST', headers: auth, body: JSON.stringify({ email: `m${i}@hooks.example` }) })).status).toBe(201);
      }
      const deadline = Date.now() + 10_000;
      while (new Set(received.map((r) => r.id)).size < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 500));
      expect(new Set(received.map((r) => r.id)).size).toBe(10);
      expect(received).toHaveLength(10);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }, 30_000);
});
