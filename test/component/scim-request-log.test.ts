import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StoredScimLogEntry } from '../../src/domain/scim-log.js';
import { cli } from '../support/harness.js';
import { GROUP, PATCH, ScimClient, scimFixture, STORES, USER } from '../support/scim.js';

type Fixture = Awaited<ReturnType<typeof scimFixture>>;
type Page = { items: StoredScimLogEntry[]; next: string | null };

const OKTA = { 'user-agent': 'Okta SCIM Client 1.0.0' };
const ENTRA = { 'user-agent': 'Microsoft.Identity.Provisioning.Scim/1.0' };

describe.each(STORES)('SCIM request log on %s', (kind) => {
  let f: Fixture;
  let orgId: string;
  let token: string;
  let scim: ScimClient;
  let adminKey: string;
  let userId: string;

  const api = async (path: string) => {
    const res = await fetch(`${f.daemon.url}/api/v1${path}`, { headers: { authorization: `Bearer ${adminKey}` } });
    return { status: res.status, body: (await res.json()) as Page & { error?: { code: string } } };
  };
  const flushed = async () => {
    await f.daemon.scimLog!.flush();
  };

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    const { org } = await f.newOrg('Acme');
    orgId = org.id;
    // A labelled token, as an admin names the one they hand to Okta.
    token = (await cli(f.env, f.cwd, 'scim-tokens', 'create', '--org', orgId, '--label', 'okta-prod', '--json')).json<{ token: string }>().token;
    scim = new ScimClient(`${f.daemon.url}/scim/v2`, token);
    adminKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;

    // Arrange: one request of each kind, as the IdPs send them.
    const created = await scim.post('/Users', { schemas: [USER], userName: 'ann@acme.example', password: 'Hunter2-secret!', name: { givenName: 'Ann' }, active: true }, OKTA);
    expect(created.status).toBe(201);
    userId = String(created.body.id);
    expect((await scim.get(`/Users?filter=${encodeURIComponent('userName eq "ann@acme.example"')}`, OKTA)).status).toBe(200);
    expect((await scim.get(`/Users/${userId}`, OKTA)).status).toBe(200);
    expect((await scim.patch(`/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'password', value: 'Other-secret-9' }, { op: 'replace', path: 'displayName', value: 'Ann A' }] }, OKTA)).status).toBe(200);
    expect((await scim.post('/Users', { schemas: [USER], userName: 'ann@acme.example' }, ENTRA)).status).toBe(409);
    expect((await scim.post('/Groups', { schemas: [GROUP], displayName: 'Eng', members: [{ value: userId }] }, ENTRA)).status).toBe(201);
    expect((await scim.get(`/Users/does-not-exist?access_token=${token}`, ENTRA)).status).toBe(404);
    expect((await scim.delete(`/Users/${userId}`, OKTA)).status).toBe(204);
    await flushed();
  }, 60_000);
  afterAll(async () => f.dispose());

  it('when an IdP sends requests of each kind, then each appears newest first with method, path, status, latency, IdP, token and resource', async () => {
    const { status, body } = await api(`/orgs/${orgId}/scim-log?limit=100`);
    expect(status).toBe(200);
    const rows = body.items.map((e) => `${e.method} ${e.path.replace(userId, ':id')} ${e.status} ${e.idp} ${e.resource?.type}:${e.resource?.id === userId ? ':id' : (e.resource?.id ?? '')}`);
    expect(rows).toEqual([
      'DELETE /Users/:id 204 okta Users::id',
      'GET /Users/does-not-exist?access_token=[redacted] 404 entra Users:does-not-exist',
      `POST /Groups 201 entra Groups:${body.items[2]!.resource?.id}`,
      'POST /Users 409 entra Users:',
      'PATCH /Users/:id 200 okta Users::id',
      'GET /Users/:id 200 okta Users::id',
      'GET /Users?filter=userName%20eq%20%22ann%40acme.example%22 200 okta Users:',
      'POST /Users 201 okta Users::id',
    ]);
    expect(body.items[2]!.resource?.id).toMatch(/.+/);
    for (const e of body.items) {
      expect(e.orgId).toBe(orgId);
      expect(e.credential?.label).toBe('okta-prod');
      expect(e.latencyMs).toBeGreaterThan(0);
      expect(Date.parse(e.at)).toBeLessThanOrEqual(Date.now());
    }
    expect(body.items[0]!.userAgent).toBe('Okta SCIM Client 1.0.0');
    expect(body.items.at(-1)!.requestBody).toContain('"userName":"ann@acme.example"');
    expect(body.items[0]!.requestBody).toBeUndefined();
  });

  it('when a request carried a token, password or Authorization header, then none of it is in any stored record', async () => {
    const { body } = await api(`/orgs/${orgId}/scim-log?limit=100`);
    const stored = JSON.stringify(body.items);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain(token.slice(-16));
    expect(stored).not.toContain('Hunter2-secret!');
    expect(stored).not.toContain('Other-secret-9');
    expect(stored.toLowerCase()).not.toContain('bearer');
    const create = JSON.parse(body.items.at(-1)!.requestBody!) as Record<string, unknown>;
    expect(create).toEqual({ schemas: [USER], userName: 'ann@acme.example', name: { givenName: 'Ann' }, active: true });
    const patch = JSON.parse(body.items[4]!.requestBody!) as { Operations: unknown[] };
    expect(patch.Operations).toEqual([{ op: 'replace', path: 'password' }, { op: 'replace', path: 'displayName', value: 'Ann A' }]);
  });

  it('when a request failed, then its entry carries the SCIM error it answered', async () => {
    const { body } = await api(`/orgs/${orgId}/scim-log?status=409`);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]!.error).toEqual({ status: '409', scimType: 'uniqueness', detail: expect.stringContaining('ann@acme.example') });
    const missing = await api(`/orgs/${orgId}/scim-log?status=404`);
    expect(missing.body.items[0]!.error).toMatchObject({ status: '404' });
    expect((await api(`/orgs/${orgId}/scim-log?status=2xx`)).body.items.every((e) => e.error === undefined)).toBe(true);
  });

  it('when the admin API is asked with filters and a cursor, then it pages through exactly the matching entries', async () => {
    const okta: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/orgs/${orgId}/scim-log?resource=Users&method=get&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const { status, body } = await api(q);
      expect(status).toBe(200);
      okta.push(...body.items.map((e) => `${e.method} ${e.status}`));
      cursor = body.next;
    } while (cursor);
    expect(okta).toEqual(['GET 404', 'GET 200', 'GET 200']);
    expect((await api(`/orgs/${orgId}/scim-log?since=1h&status=4xx`)).body.items.map((e) => e.status)).toEqual([404, 409]);
    expect((await api(`/orgs/${orgId}/scim-log?since=2000-01-01T00:00:00Z&resource=Groups`)).body.items).toHaveLength(1);
    const bad = await api(`/orgs/${orgId}/scim-log?status=600`);
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('request.invalid');
    expect((await api(`/orgs/${orgId}/scim-log?cursor=not-a-cursor`)).status).toBe(400);
  });

  it('when a key scoped to another org asks for the log, then it is not found; an org key of this org reads it', async () => {
    const other = await f.newOrg('Other');
    const otherKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', other.org.id, '--json')).json<{ key: string }>().key;
    const res = await fetch(`${f.daemon.url}/api/v1/orgs/${orgId}/scim-log`, { headers: { authorization: `Bearer ${otherKey}` } });
    expect(res.status).toBe(404);
    const ownKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', orgId, '--json')).json<{ key: string }>().key;
    expect((await fetch(`${f.daemon.url}/api/v1/orgs/${orgId}/scim-log`, { headers: { authorization: `Bearer ${ownKey}` } })).status).toBe(200);
  });

  it('when the CLI reads the log, then it prints the filtered entries newest first as a table or as JSON', async () => {
    const json = await cli(f.env, f.cwd, 'scim-log', '--org', orgId, '--status', '4xx', '--json');
    expect(json.code).toBe(0);
    expect(json.json<Page>().items.map((e) => e.status)).toEqual([404, 409]);
    const table = await cli(f.env, f.cwd, 'scim-log', '--org', orgId, '--method', 'POST', '--limit', '2');
    expect(table.code).toBe(0);
    const lines = table.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^AT\s+METHOD\s+PATH\s+STATUS/);
    expect(lines[1]).toContain('/Groups');
    expect(lines[2]).toMatch(/409.*uniqueness: /);
    expect(lines[3]).toMatch(/^more: idsync scim-log --org \S+ --cursor \S+$/);
    const bad = await cli(f.env, f.cwd, 'scim-log', '--org', orgId, '--since', 'yesterday');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('since');
  });
  it('when a Bulk answers 200 with failed operations in it, then its entry carries the SCIM error of each failed operation and where it was', async () => {
    const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
    const res = await scim.post(
      '/Bulk',
      {
        schemas: [BULK],
        Operations: [
          { method: 'POST', path: '/Users', bulkId: 'ok', data: { schemas: [USER], userName: 'bea@acme.example' } },
          { method: 'POST', path: '/Users', bulkId: 'dup', data: { schemas: [USER], userName: 'bea@acme.example' } },
          { method: 'PATCH', path: '/Users/no-such-user', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] } },
          { method: 'POST', path: '/Devices', bulkId: 'x', data: {} },
        ],
      },
      ENTRA,
    );
    expect(res.status).toBe(200);
    await flushed();
    const { body } = await api(`/orgs/${orgId}/scim-log?resource=Bulk`);
    expect(body.items).toHaveLength(1);
    const entry = body.items[0]!;
    expect(entry.status).toBe(200);
    expect(entry.error).toBeUndefined();
    expect(entry.operationErrors).toEqual([
      { operation: 2, method: 'POST', path: '/Users', bulkId: 'dup', status: '409', scimType: 'uniqueness', detail: expect.stringContaining('bea@acme.example') },
      { operation: 3, method: 'PATCH', path: '/Users/no-such-user', status: '404', detail: expect.stringContaining('no-such-user') },
      { operation: 4, method: 'POST', path: '/Devices', bulkId: 'x', status: '400', scimType: 'invalidPath', detail: expect.any(String) },
    ]);
    const table = await cli(f.env, f.cwd, 'scim-log', '--org', orgId, '--resource', 'Bulk');
    expect(table.stdout).toMatch(/3 operation\(s\) failed; #2 POST \/Users: 409 uniqueness /);
  });
});
