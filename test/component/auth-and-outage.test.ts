import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { cli, startTestDaemon, tempDir, testEnv } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';
import { ScimClient, USER } from '../support/scim.js';

type Daemon = Awaited<ReturnType<typeof startTestDaemon>>;

async function setUp(env: NodeJS.ProcessEnv, cwd: string) {
  const daemon = await startTestDaemon(env, cwd);
  const org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Acme', '--json')).json<Organization>();
  const { token } = (await cli(env, cwd, 'scim-tokens', 'create', '--org', org.id, '--json')).json<{ token: string }>();
  const { key } = (await cli(env, cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>();
  return { daemon, org, scim: new ScimClient(`${daemon.url}/scim/v2`, token), adminKey: key };
}

async function api(daemon: Daemon, key: string, path: string) {
  const res = await fetch(`${daemon.url}/api/v1${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: res.status, headers: res.headers, body: (await res.json()) as { error?: { code: string } } };
}

async function metric(daemon: Daemon, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('failed authentication is throttled per client address', () => {
  let daemon: Daemon;
  let scim: ScimClient;
  let adminKey: string;

  beforeAll(async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), { IDSYNC_SCIM_RATE_LIMIT: '0', IDSYNC_API_RATE_LIMIT: '0' });
    ({ daemon, scim, adminKey } = await setUp(env, cwd));
  }, 60_000);
  afterAll(async () => daemon.stop());

  it('when 400 bad SCIM tokens and 300 bad admin keys come in a burst, then past 30 failures they answer 429 with Retry-After, and valid credentials from the same address still work', async () => {
    const started = Date.now();
    const bad = new ScimClient(scim.base, `idsync_scim_${randomBytes(24).toString('base64url')}`);
    const scimStatuses: number[] = [];
    for (let i = 0; i < 400; i++) scimStatuses.push((await bad.get('/Users')).status);
    // The same address's bucket covers the admin API.
    const apiStatuses: number[] = [];
    for (let i = 0; i < 300; i++) apiStatuses.push((await api(daemon, 'idsync_ak_wrong', '/orgs')).status);
    // 30 failures, plus what the bucket refilled (30 a minute) while the burst ran.
    const refilled = Math.ceil(((Date.now() - started) / 60_000) * 30);
    const told401 = [...scimStatuses, ...apiStatuses].filter((s) => s === 401).length;
    expect(told401).toBeGreaterThanOrEqual(30);
    expect(told401).toBeLessThanOrEqual(30 + refilled);
    expect(scimStatuses.slice(0, 30)).toEqual(Array(30).fill(401));
    expect([...scimStatuses, ...apiStatuses].filter((s) => s !== 401 && s !== 429)).toEqual([]);

    const throttled = await bad.get('/Users');
    expect(throttled.status).toBe(429);
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(throttled.body.schemas).toEqual(['urn:ietf:params:scim:api:messages:2.0:Error']);
    // No bearer at all is a failed attempt too.
    expect((await fetch(`${scim.base}/Users`)).status).toBe(429);
    const refused = await api(daemon, 'idsync_ak_wrong', '/orgs');
    expect(refused.status).toBe(429);
    expect(refused.body.error?.code).toBe('auth.throttled');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    // Valid credentials are never throttled.
    expect((await scim.post('/Users', { schemas: [USER], userName: 'ann@acme.example' })).status).toBe(201);
    expect((await api(daemon, adminKey, '/orgs')).status).toBe(200);
    const scim429 = scimStatuses.filter((s) => s === 429).length + 2;
    const api429 = apiStatuses.filter((s) => s === 429).length + 1;
    expect(await metric(daemon, 'idsync_auth_failures_throttled_total', 'surface="scim"')).toBe(scim429);
    expect(await metric(daemon, 'idsync_auth_failures_throttled_total', 'surface="api"')).toBe(api429);
  }, 120_000);
});

describe('a store outage is one clear story', () => {
  let redis: RedisTestServer;
  let daemon: Daemon;
  let scim: ScimClient;
  let adminKey: string;
  let org: Organization;
  let client: { clientId: string; clientSecret: string };

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), {
      IDSYNC_STORE: 'redis',
      IDSYNC_REDIS_URL: redis.url,
      IDSYNC_REDIS_COMMAND_TIMEOUT_MS: '300',
      IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
      IDSYNC_RECONCILE_SCHEDULER: 'false',
    });
    ({ daemon, scim, adminKey, org } = await setUp(env, cwd));
    client = (await cli(env, cwd, 'scim-clients', 'create', '--org', org.id, '--json')).json<{ clientId: string; clientSecret: string }>();
  }, 60_000);
  afterAll(async () => {
    await daemon.stop();
    await redis.dispose();
  });

  const tokenRequest = () =>
    fetch(`${daemon.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: client.clientId, client_secret: client.clientSecret }).toString(),
    });

  it('when Redis goes away, then every SCIM, admin API and OAuth token request answers 503 with Retry-After, the log says so once, a metric counts them, and the recovery is logged once', async () => {
    expect((await scim.get('/Users')).status).toBe(200);
    expect((await tokenRequest()).status).toBe(200);
    await redis.stop('SIGKILL');
    const answers = [];
    for (let i = 0; i < 20; i++) answers.push(await scim.get('/Users'));
    for (let i = 0; i < 10; i++) answers.push(await api(daemon, adminKey, `/orgs/${org.id}/members`));
    expect(answers.map((a) => a.status)).toEqual(Array(30).fill(503));
    expect(answers.every((a) => a.headers.get('retry-after') === '5')).toBe(true);
    expect(await metric(daemon, 'idsync_store_unavailable_responses_total', 'surface="scim"')).toBe(20);
    expect(await metric(daemon, 'idsync_store_unavailable_responses_total', 'surface="api"')).toBe(10);
    // The token endpoint answers in RFC 6749's shape, never the app's JSON error nor a 401 that
    // would make an IdP give up on a client whose secret is fine.
    for (let i = 0; i < 3; i++) {
      const res = await tokenRequest();
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual({ error: 'temporarily_unavailable', error_description: expect.any(String) });
    }
    expect(await metric(daemon, 'idsync_store_unavailable_responses_total', 'surface="oauth"')).toBe(3);

    await redis.start();
    let back = 0;
    for (let i = 0; i < 100 && back !== 200; i++) {
      back = (await scim.get('/Users')).status;
      if (back !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(back).toBe(200);
    expect((await tokenRequest()).status).toBe(200);
    const records = daemon.logs.records();
    const errors = records.filter((r) => r.level === 'error');
    expect(errors.filter((r) => r.message === 'store unavailable: answering 503 with Retry-After until it is back')).toHaveLength(1);
    expect(errors.filter((r) => r.message === 'SCIM request failed' || r.message === 'request failed')).toEqual([]);
    const recovered = records.filter((r) => r.message === 'store available again');
    expect(recovered).toHaveLength(1);
    expect(recovered[0]!.refusedRequests).toBeGreaterThanOrEqual(33);
  }, 60_000);
});
