import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import type { Daemon } from '../../src/app/daemon.js';
import type { Organization } from '../../src/domain/model.js';
import { cli, startTestDaemon, tempDir, testEnv, type logSink } from '../support/harness.js';

describe('HTTP surface of the daemon', () => {
  let daemon: Daemon & { logs: ReturnType<typeof logSink> };
  let providerKey: string;
  let orgKey: string;
  let orgA: Organization;
  let orgB: Organization;
  const cwd = tempDir();
  const env = testEnv(join(cwd, 'data'));

  beforeAll(async () => {
    orgA = (await cli(env, cwd, 'orgs', 'create', '--name', 'A', '--json')).json<Organization>();
    orgB = (await cli(env, cwd, 'orgs', 'create', '--name', 'B', '--json')).json<Organization>();
    providerKey = (await cli(env, cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    orgKey = (await cli(env, cwd, 'admin-keys', 'create', '--org', orgA.id, '--json')).json<{ key: string }>().key;
    daemon = await startTestDaemon(env, cwd);
  });
  afterAll(async () => {
    await daemon.stop();
  });

  const get = (path: string, key?: string, headers: Record<string, string> = {}) =>
    fetch(`${daemon.url}${path}`, { headers: { ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers } });
  const post = (path: string, key: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${daemon.url}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers } });

  it('when probes are called, then healthz and readyz answer and metrics expose request durations by route', async () => {
    expect(await (await get('/healthz')).json()).toEqual({ status: 'ok' });
    expect(await (await get('/readyz')).json()).toEqual({ status: 'ready', store: 'sqlite' });
    await get('/api/v1/orgs', providerKey);
    const text = await (await get('/metrics')).text();
    expect(text).toMatch(/idsync_http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/orgs",status="200"\} 1/);
    expect(text).toContain('idsync_process_cpu_user_seconds_total');
  });

  it('when a request carries an X-Request-Id, then it is echoed and logged; otherwise one is made', async () => {
    const res = await get('/healthz', undefined, { 'x-request-id': 'trace-123' });
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    const made = await get('/healthz', undefined, { 'x-request-id': 'bad id with spaces' });
    expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(daemon.logs.records().some((r) => r.requestId === 'trace-123' && r.path === '/healthz')).toBe(true);
  });

  it('when credentials are missing or wrong, then 401 with a coded body, and the key never reaches the logs', async () => {
    const none = await get('/api/v1/orgs');
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ error: { code: 'auth.unauthorized' } });
    expect((await get('/api/v1/orgs', 'idsync_ak_wrong')).status).toBe(401);
    expect(daemon.logs.lines.join('\n')).not.toContain(providerKey);
  });

  it('when an org-scoped key asks for another org, then it is 404 as if the org did not exist', async () => {
    const own = await get(`/api/v1/orgs/${orgA.id}`, orgKey);
    expect(own.status).toBe(200);
    const other = await get(`/api/v1/orgs/${orgB.id}`, orgKey);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ error: { code: 'org.not_found' } });
    expect((await get(`/api/v1/orgs/${orgB.id}/members`, orgKey)).status).toBe(404);
    const list = (await (await get('/api/v1/orgs', orgKey)).json()) as { items: Organization[] };
    expect(list.items.map((o) => o.id)).toEqual([orgA.id]);
    expect((await post('/api/v1/orgs', orgKey, '{"name":"X"}')).status).toBe(403);
  });

  it('when members are created over the API, then 201 with Location, and bad bodies get precise errors', async () => {
    const created = await post(`/api/v1/orgs/${orgA.id}/members`, orgKey, JSON.stringify({ email: 'api@a.example', givenName: 'Api' }));
    expect(created.status).toBe(201);
    const m = (await created.json()) as { id: string };
    expect(created.headers.get('location')).toBe(`/api/v1/orgs/${orgA.id}/members/${m.id}`);
    const dup = await post(`/api/v1/orgs/${orgA.id}/members`, orgKey, JSON.stringify({ email: 'API@a.example' }));
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: { code: 'member.user_name_taken' } });
    const invalid = await post(`/api/v1/orgs/${orgA.id}/members`, orgKey, JSON.stringify({ email: 'nope' }));
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toMatchObject({ error: { code: 'request.invalid', details: { problems: [{ field: 'email' }] } } });
    const malformed = await post(`/api/v1/orgs/${orgA.id}/members`, orgKey, '{"email": ');
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({ error: { code: 'request.invalid', message: 'request body is not valid JSON' } });
    const huge = await post(`/api/v1/orgs/${orgA.id}/members`, orgKey, JSON.stringify({ email: 'x@a.example', pad: 'x'.repeat(1_100_000) }));
    expect(huge.status).toBe(413);
    expect(await huge.json()).toMatchObject({ error: { code: 'request.too_large' } });
    const members = (await (await get(`/api/v1/orgs/${orgA.id}/members?status=active`, orgKey)).json()) as { total: number };
    expect(members.total).toBe(1);
    expect((await get(`/api/v1/orgs/${orgA.id}/members?status=zombie`, orgKey)).status).toBe(400);
  });

  it('when a route does not exist, then a coded 404 comes back', async () => {
    const res = await get('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'route.not_found', requestId: expect.any(String) } });
  });

  it('when a request is in flight during shutdown, then it completes, and new connections are refused', async () => {
    const d = await startTestDaemon(env, cwd);
    const body = JSON.stringify({ email: 'late@a.example' });
    // One kept-alive connection, proven accepted by a first request: stopping can then not catch the
    // POST's connection still in the listen backlog (a reset, not the case tested) on a loaded machine.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    await new Promise<void>((resolve, reject) => {
      const warm = request({ host: '127.0.0.1', port: d.port, path: '/healthz', agent }, (res) => res.resume().on('end', resolve));
      warm.on('error', reject);
      warm.end();
    });
    const response = new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: d.port, agent, method: 'POST', path: `/api/v1/orgs/${orgA.id}/members`, headers: { authorization: `Bearer ${orgKey}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          let text = '';
          res.on('data', (c) => (text += c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.write(body.slice(0, 10));
      setTimeout(() => req.end(body.slice(10)), 300);
    });
    await new Promise((r) => setTimeout(r, 100));
    const stopped = d.stop();
    await expect(fetch(`${d.url}/healthz`)).rejects.toThrow();
    expect((await response).status).toBe(201);
    await stopped;
    agent.destroy();
  });
});

describe('HTTP failures inside the daemon', () => {
  it('when the store fails unexpectedly, then a 500 with a request id comes back without a stack, and the error is logged', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));
    const key = (await cli(env, cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    const d = await startTestDaemon(env, cwd);
    try {
      await d.store.close(); // a real fault: the database handle is gone under the running app
      const res = await fetch(`${d.url}/api/v1/orgs`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { code: string; message: string; requestId: string } };
      expect(body).toEqual({ error: { code: 'internal', message: 'internal error', requestId: res.headers.get('x-request-id') } });
      expect(JSON.stringify(body)).not.toMatch(/at .*\.ts/);
      expect(d.logs.records().some((r) => r.level === 'error' && r.requestId === body.error.requestId)).toBe(true);
    } finally {
      await d.stop();
    }
  });
});
