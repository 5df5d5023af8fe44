import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { apiHelmet } from '../../src/http/middleware/security-headers.js';
import type { AddressInfo } from 'node:net';
import { ScimClient, scimFixture, USER } from '../support/scim.js';

/** The headers helmet itself sets, configured as the daemon means them: the oracle for what SCIM must carry. */
async function helmetHeaders(): Promise<[string, string][]> {
  const app = express();
  app.disable('x-powered-by');
  app.use(apiHelmet({ https: true }));
  app.get('/', (_req, res) => {
    res.end();
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  try {
    const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    const bare = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);
    return [...res.headers].filter(([k]) => !bare.has(k));
  } finally {
    await new Promise((r) => server.close(r));
  }
}

describe('SCIM over HTTP', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let token: string;
  let expected: [string, string][];

  beforeAll(async () => {
    f = await scimFixture('sqlite');
    ({ scim, token } = await f.newOrg('Headers Inc'));
    await scim.post('/Users', { schemas: [USER], userName: 'ada@headers.example' });
    expected = await helmetHeaders();
  });
  afterAll(async () => f.dispose());

  it('when any SCIM endpoint answers, then every header helmet sets is there with its value, and they agree with each other', async () => {
    expect(expected.map(([k]) => k)).toEqual(expect.arrayContaining(['content-security-policy', 'strict-transport-security', 'x-content-type-options', 'x-frame-options']));
    const headers = new Map(expected);
    // JSON only: nothing may load or frame it, and X-Frame-Options does not contradict the CSP.
    expect(headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(headers.get('x-frame-options')).toBe('DENY');
    const answers = [
      await scim.get(`/Users?filter=${encodeURIComponent('userName eq "ada@headers.example"')}`),
      await scim.get('/Users/no-such-user'),
      await scim.get('/ServiceProviderConfig'),
      await scim.post('/Users', { schemas: [USER], userName: 'bob@headers.example' }),
      await new ScimClient(scim.base, 'idsync_scim_wrong').get('/Users'),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 404, 200, 201, 401]);
    for (const a of answers) {
      for (const [k, v] of expected) expect([k, a.headers.get(k)]).toEqual([k, v]);
      expect(a.headers.get('x-powered-by')).toBeNull();
      expect(a.headers.get('x-request-id')).toMatch(/^[A-Za-z0-9._:-]+$/);
    }
  });

  it('when a list or a resource is sent, then it is SCIM JSON in UTF-8 with an exact Content-Length, and HEAD has no body', async () => {
    const path = `/Users?filter=${encodeURIComponent('userName eq "ada@headers.example"')}`;
    const res = await fetch(`${scim.base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = Buffer.from(await res.arrayBuffer());
    expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(Number(res.headers.get('content-length'))).toBe(body.length);
    expect(JSON.parse(body.toString('utf8'))).toMatchObject({ totalResults: 1 });
    const head = await fetch(`${scim.base}${path}`, { method: 'HEAD', headers: { authorization: `Bearer ${token}` } });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String(body.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const one = await scim.get(`/Users/${String((JSON.parse(body.toString('utf8')) as { Resources: { id: string }[] }).Resources[0]!.id)}`);
    expect(one.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
    expect(one.headers.get('etag')).toBe('W/"1"');
  });

  it('when /Schemas and /ResourceTypes are listed, then itemsPerPage is the number of resources sent, in SCIM JSON', async () => {
    for (const [path, names] of [
      ['/Schemas', ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:core:2.0:Group', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User', 'urn:okta:scim:schemas:core:1.0:Role', 'urn:okta:scim:schemas:core:1.0:Entitlement']],
      ['/ResourceTypes', ['User', 'Group', 'Role', 'Entitlement']],
    ] as const) {
      const res = await scim.get<{ itemsPerPage: number; totalResults: number; startIndex: number; Resources: { id: string }[] }>(path);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
      expect(res.body.Resources.map((r) => r.id).sort()).toEqual([...names].sort());
      expect(res.body.itemsPerPage).toBe(res.body.Resources.length);
      expect(res.body.totalResults).toBe(res.body.Resources.length);
      expect(res.body.startIndex).toBe(1);
    }
    expect((await scim.get('/Schemas/urn:ietf:params:scim:schemas:core:2.0:User')).status).toBe(200);
  });
});
