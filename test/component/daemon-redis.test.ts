import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Daemon } from '../../src/app/daemon.js';
import type { Member, Organization } from '../../src/domain/model.js';
import { RedisTestServer } from '../support/redis-server.js';
import { cli, startTestDaemon, tempDir, testEnv, type logSink } from '../support/harness.js';

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('daemon on Redis (IDSYNC_STORE=redis), with a Redis that goes away and comes back', () => {
  let redis: RedisTestServer;
  let daemon: Daemon & { logs: ReturnType<typeof logSink> };
  const cwd = tempDir();
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    env = testEnv(join(cwd, 'data'), {
      IDSYNC_STORE: 'redis',
      IDSYNC_REDIS_URL: `${redis.url}/0`,
      IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
      IDSYNC_REDIS_COMMAND_TIMEOUT_MS: '1000',
    });
    daemon = await startTestDaemon(env, cwd);
  });
  afterAll(async () => {
    await daemon?.stop();
    await redis?.dispose();
  });

  it('when Redis is stopped and restarted, then requests answer 503 with a clear body meanwhile and work again without a restart', async () => {
    // Arrange: the CLI and the daemon share the Redis store.
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Redis Co', '--json')).json<Organization>();
    const { key } = (await cli(env, cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>();
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const members = `${daemon.url}/api/v1/orgs/${org.id}/members`;
    expect((await fetch(members, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'before@redis.example' }) })).status).toBe(201);
    expect(await (await fetch(`${daemon.url}/readyz`)).json()).toEqual({ status: 'ready', store: 'redis' });

    // Act: Redis goes away.
    await redis.stop();

    // Assert: not ready, store-bound requests fail fast with 503, the process stays up.
    const started = Date.now();
    const ready = await fetch(`${daemon.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', store: 'redis', error: { code: 'store.unavailable' } });
    const failed = await fetch(members, { headers: auth });
    expect(failed.status).toBe(503);
    expect(await failed.json()).toMatchObject({ error: { code: 'store.unavailable', message: expect.any(String), requestId: expect.any(String) } });
    const write = await fetch(members, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'during@redis.example' }) });
    expect(write.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
    const cliDuring = await cli(env, cwd, 'orgs', 'list', '--json');
    expect(cliDuring.code).toBe(1);
    expect(cliDuring.json()).toMatchObject({ error: { code: 'store.unavailable' } });

    // Act: Redis comes back (same port, AOF data dir).
    await redis.start();

    // Assert: the same daemon serves again; nothing written before was lost, nothing refused was written.
    await eventually(async () => (await fetch(`${daemon.url}/readyz`)).status === 200);
    expect((await fetch(members, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'after@redis.example' }) })).status).toBe(201);
    const list = (await (await fetch(members, { headers: auth })).json()) as { items: Member[] };
    expect(list.items.map((m) => m.userName)).toEqual(['before@redis.example', 'after@redis.example']);
    expect((await cli(env, cwd, 'audit', 'verify', '--org', org.id)).stdout).toMatch(/intact: 4 events/);
    expect(daemon.logs.records().some((r) => r.level === 'warn' && String(r.message).includes('redis connection lost'))).toBe(true);
  });

  it('when the CLI manages members on Redis, then the same commands behave as on SQLite', async () => {
    const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Parity', '--json')).json<Organization>();
    const m = (await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', 'p@parity.example', '--role', 'owner', '--json')).json<Member>();
    const lastOwner = await cli(env, cwd, 'members', 'deactivate', m.id, '--org', org.id);
    expect(lastOwner.code).toBe(1);
    expect(lastOwner.stderr).toContain('member.last_owner');
    const token = (await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id, '--json')).json<{ token: string }>();
    expect(token.token).toMatch(/^idsync_scim_/);
    expect((await cli(env, cwd, 'members', 'list', '--org', org.id, '--json')).json<Member[]>().map((x) => x.status)).toEqual(['active']);
  });
});
