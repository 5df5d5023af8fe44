import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { isPlainLookup } from '../../src/http/lean-lookup.js';
import type { IncomingMessage } from 'node:http';
import { cli, startTestDaemon } from '../support/harness.js';
import { GROUP, scimFixture, STORES, USER } from '../support/scim.js';

type Answer = { status: number; headers: Record<string, string>; body: string };

/** Headers that differ between any two answers (time, request id, connection), left out of the comparison. */
const VARYING = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

/**
 * Plain SCIM lookups skip the router (src/http/lean-lookup.ts). Two daemons on one store, one with
 * the lean path and one without (scim.leanLookups false), must answer every lookup alike: status,
 * headers, body, errors, the request log and the metrics.
 */
describe.each(STORES)('plain SCIM lookups without the router answer as the router does, on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let routed: Awaited<ReturnType<typeof startTestDaemon>>;
  let token: string;
  let orgId: string;

  beforeAll(async () => {
    f = await scimFixture(kind);
    routed = await startTestDaemon({ ...f.env, IDSYNC_SCIM_LEAN_LOOKUPS: 'false' }, f.cwd);
    const o = await f.newOrg('Lean');
    token = o.token;
    orgId = o.org.id;
    for (const n of [1, 2, 3]) {
      expect((await o.scim.post('/Users', { schemas: [USER], userName: `ann${n}@lean.example`, name: { givenName: 'Ann', familyName: `N${n}` }, emails: [{ value: `ann${n}@lean.example`, type: 'work', primary: true }], externalId: `ext-${n}` })).status).toBe(201);
    }
    const ann1 = (await o.scim.get(`/Users?filter=${encodeURIComponent('userName eq "ann1@lean.example"')}`)).body as { Resources: Array<{ id: string }> };
    expect((await o.scim.post('/Groups', { schemas: [GROUP], displayName: 'Engineering', members: [{ value: ann1.Resources[0]!.id }] })).status).toBe(201);
  });
  afterAll(async () => {
    await routed.stop();
    await f.dispose();
  });

  const ask = async (base: string, path: string, headers: Record<string, string>): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, { headers });
    const kept: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!VARYING.has(k)) kept[k] = v;
    });
    return { status: res.status, headers: kept, body: await res.text() };
  };
  const bearer = () => ({ authorization: `Bearer ${token}`, 'user-agent': 'Okta SCIM Client 1.0.0' });
  const q = (filter: string) => `/scim/v2/Users?filter=${encodeURIComponent(filter)}`;

  const cases: Array<[string, string, () => Record<string, string>]> = [
    ['a userName lookup that finds one (with its groups)', q('userName eq "ann1@lean.example"'), bearer],
    ['a lookup that finds no one', q('userName eq "nobody@lean.example"'), bearer],
    ['an externalId and email lookup with a projection', `${q('externalId eq "ext-2" and emails[type eq "work"].value eq "ann2@lean.example"')}&attributes=userName,emails`, bearer],
    ['a page without a filter', '/scim/v2/Users?startIndex=2&count=1', bearer],
    ['the whole list', '/scim/v2/Users', bearer],
    ['count=0', '/scim/v2/Users?count=0', bearer],
    ['a filter that does not parse', q('userName eq'), bearer],
    ['an unknown operator', q('userName zz "a"'), bearer],
    ['a bad token', q('userName eq "ann1@lean.example"'), () => ({ authorization: 'Bearer idsync_scim_not-a-token' })],
    ['no token', q('userName eq "ann1@lean.example"'), () => ({})],
  ];

  it.each(cases)('when asked %s, then both paths give the same status, headers and body', async (_what, path, headers) => {
    const lean = await ask(f.daemon.url, path, headers());
    const viaRouter = await ask(routed.url, path, headers());
    expect(lean).toEqual(viaRouter);
    expect(lean.headers['content-security-policy']).toBe("default-src 'none';frame-ancestors 'none'");
  });

  it('when lookups are answered on the lean path, then they are in the request log and the metrics as routed ones are', async () => {
    // Act
    await ask(f.daemon.url, q('userName eq "ann3@lean.example"'), bearer());

    // Assert: the request log entry (written in batches: wait for it).
    let entry: Record<string, unknown> | undefined;
    for (let i = 0; i < 100 && !entry; i++) {
      entry = (await requestLog()).find((e) => String(e.path).includes('ann3'));
      if (!entry) await new Promise((r) => setTimeout(r, 100));
    }
    expect(entry).toMatchObject({ method: 'GET', status: 200, idp: 'okta', resource: { type: 'Users' } });
    expect(String(entry!.path)).toMatch(/^\/Users\?filter=/);
    const metrics = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/idsync_http_request_duration_seconds_count\{method="GET",route="\/scim\/v2\/Users",status="200"\} \d+/);
    expect(metrics).toMatch(new RegExp(`idsync_scim_requests_total\\{org="${orgId}",method="GET",resource="Users",status="200"\\} \\d+`));
  });

  /** The org's SCIM request log, read by the CLI from the store. */
  const requestLog = async (): Promise<Array<Record<string, unknown>>> => {
    const out = await cli(f.env, f.cwd, 'scim-log', '--org', orgId, '--json');
    return out.code === 0 ? out.json<{ items: Array<Record<string, unknown>> }>().items : [];
  };
});

describe('which requests take the lean path', () => {
  const req = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers }) as unknown as IncomingMessage;
  it('when a request is a plain GET /Users list or lookup, then it is lean; anything else goes to the router', () => {
    expect(isPlainLookup(req('GET', '/scim/v2/Users?filter=userName%20eq%20%22a%22'))).toBe(true);
    expect(isPlainLookup(req('GET', '/scim/v2/Users'))).toBe(true);
    expect(isPlainLookup(req('GET', '/scim/v2/Users/abc'))).toBe(false);
    expect(isPlainLookup(req('GET', '/scim/v2/Users/.search'))).toBe(false);
    expect(isPlainLookup(req('GET', '/scim/v2/UsersX'))).toBe(false);
    expect(isPlainLookup(req('POST', '/scim/v2/Users'))).toBe(false);
    expect(isPlainLookup(req('HEAD', '/scim/v2/Users'))).toBe(false);
    expect(isPlainLookup(req('GET', '/scim/v2/Groups?filter=x'))).toBe(false);
    expect(isPlainLookup(req('GET', '/scim/v2/Users?x=1', { 'if-none-match': 'W/"1"' }))).toBe(false);
    expect(isPlainLookup(req('GET', '/scim/v2/Users?x=1', { 'content-length': '2' }))).toBe(false);
  });
});
