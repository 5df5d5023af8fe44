import { describe, expect, it } from '@jest/globals';
import { createHash } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import nock from 'nock';
import { microsoftConnector } from '../../../src/connectors/microsoft/index.js';
import { supportsDelta, type ConnectorLimits, type DeltaSyncState } from '../../../src/ports/directory.js';
import { drain, fakeTime, rsaKeys, testDeps, type FakeTime } from '../../support/connectors.js';

const GRAPH = 'https://graph.microsoft.com';
const LOGIN = 'https://login.microsoftonline.com';
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const keys = rsaKeys();
const u = (i: number, enabled = true) => ({ id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, userPrincipalName: `u${i}@contoso.com`, mail: `u${i}@contoso.com`, accountEnabled: enabled, displayName: `U ${i}` });
const page = (from: number, n: number, next?: string) => ({ '@odata.context': `${GRAPH}/v1.0/$metadata#users`, value: Array.from({ length: n }, (_, k) => u(from + k)), ...(next ? { '@odata.nextLink': next } : {}) });
const graphError = (code: string, message: string) => ({ error: { code, message, innerError: { 'request-id': 'r', date: '2026-05-01T00:00:00' } } });

function open(time: FakeTime = fakeTime(), limits: ConnectorLimits = {}, over: Record<string, unknown> = {}) {
  return microsoftConnector.open(microsoftConnector.parseConfig({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'sec', ...over }), testDeps(time, limits));
}
function tokens(times = 1, host = LOGIN) {
  const bodies: URLSearchParams[] = [];
  let n = 0;
  nock(host)
    .post(`/${TENANT}/oauth2/v2.0/token`, (b) => (bodies.push(new URLSearchParams(b as string)), true))
    .times(times)
    .reply(() => [200, { token_type: 'Bearer', expires_in: 3599, access_token: `tok-${++n}` }]);
  return bodies;
}

describe('Microsoft Graph connector (nock, documented response shapes)', () => {
  it('when listing, then client credentials ask for graph/.default and /users selects accountEnabled with $top=999', async () => {
    const bodies = tokens();
    let path = '';
    nock(GRAPH).get((p) => ((path = p), p.startsWith('/v1.0/users?'))).matchHeader('authorization', 'Bearer tok-1').reply(200, page(0, 2));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, users: 2, counters: { apiCalls: 2, authCalls: 1 } });
    expect(Object.fromEntries(bodies[0]!)).toMatchObject({ grant_type: 'client_credentials', client_id: CLIENT, client_secret: 'sec', scope: `${GRAPH}/.default` });
    expect(path).toContain('$top=999');
    expect(path).toMatch(/\$select=[^&]*accountEnabled/);
  });

  it('when the credential is a certificate, then the assertion has aud = token endpoint, iss = sub = client id and x5t from the thumbprint', async () => {
    const bodies = tokens(2);
    nock(GRAPH).get(/\/v1\.0\/users/).times(2).reply(200, page(0, 1));
    const sha1 = createHash('sha1').update('cert').digest('hex');
    await drain(open(fakeTime(), {}, { clientSecret: undefined, certificate: { privateKey: keys.pkcs8, thumbprint: sha1.toUpperCase() } }).listUsers());
    const sha256 = createHash('sha256').update('cert').digest('hex');
    await drain(open(fakeTime(), {}, { clientSecret: undefined, certificate: { privateKey: keys.pkcs1, thumbprint: sha256 } }).listUsers());
    const [a1, a2] = bodies.map((b) => b.get('client_assertion')!);
    expect(bodies[0]!.get('client_assertion_type')).toBe('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
    expect(decodeProtectedHeader(a1!)).toMatchObject({ alg: 'RS256', typ: 'JWT', x5t: Buffer.from(sha1, 'hex').toString('base64url') });
    expect(decodeProtectedHeader(a2!)).toMatchObject({ alg: 'PS256', 'x5t#S256': Buffer.from(sha256, 'hex').toString('base64url') });
    const claims = decodeJwt(a1!);
    expect(claims).toMatchObject({ aud: `${LOGIN}/${TENANT}/oauth2/v2.0/token`, iss: CLIENT, sub: CLIENT });
    expect(claims.jti).toBeDefined();
    expect(claims.exp! - claims.iat!).toBeLessThanOrEqual(600);
  });

  it('when the connection targets a national cloud, then token host and scope follow its Graph root', async () => {
    const bodies = tokens(1, 'https://login.microsoftonline.us');
    nock('https://graph.microsoft.us').get(/\/v1\.0\/users/).reply(200, page(0, 1));
    await drain(open(fakeTime(), {}, { graphBaseUrl: 'https://graph.microsoft.us', authorityHost: 'https://login.microsoftonline.us' }).listUsers());
    expect(bodies[0]!.get('scope')).toBe('https://graph.microsoft.us/.default');
  });

  it('when Graph answers 429, 503 and 504 with Retry-After, then each wait is the header value', async () => {
    tokens();
    const time = fakeTime();
    nock(GRAPH).get(/\/v1\.0\/users/).reply(429, graphError('TooManyRequests', 'Too many requests'), { 'retry-after': '2' });
    nock(GRAPH).get(/\/v1\.0\/users/).reply(503, graphError('ServiceUnavailable', 'busy'), { 'retry-after': '4' });
    nock(GRAPH).get(/\/v1\.0\/users/).reply(504, graphError('GatewayTimeout', 'slow'), { 'retry-after': '1' });
    nock(GRAPH).get(/\/v1\.0\/users/).reply(200, page(0, 1));
    const { result } = await drain(open(time).listUsers());
    expect(result).toMatchObject({ complete: true, counters: { throttled: 1, retries: 3 } });
    // Every attempt by outcome: the token request and the page that finally answered are the 2xx.
    expect(result.counters.byStatus).toEqual({ '429': 1, '5xx': 2, '2xx': 2 });
    expect(time.sleeps).toEqual([2000, 4000, 1000]);
  });

  it('when a page is empty but has a nextLink, then paging goes on to the end', async () => {
    tokens();
    nock(GRAPH).get((p) => p.startsWith('/v1.0/users?$select')).reply(200, page(0, 0, `${GRAPH}/v1.0/users?$skiptoken=X1`));
    nock(GRAPH).get('/v1.0/users').query({ $skiptoken: 'X1' }).reply(200, page(0, 2));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, users: 2, pages: 2 });
  });

  it('when a skiptoken has expired, then the listing restarts once; when a 5xx never recovers, then it is incomplete with what was read', async () => {
    tokens();
    const expired = graphError('Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
    nock(GRAPH).get((p) => p.startsWith('/v1.0/users?$select')).times(2).reply(200, page(0, 3, `${GRAPH}/v1.0/users?$skiptoken=A`));
    nock(GRAPH).get('/v1.0/users').query({ $skiptoken: 'A' }).reply(400, expired);
    nock(GRAPH).get('/v1.0/users').query({ $skiptoken: 'A' }).times(4).reply(500, graphError('UnknownError', ''));
    const { users, result } = await drain(open(fakeTime(), { maxRetries: 3 }).listUsers());
    expect(users).toHaveLength(6);
    expect(result).toMatchObject({ complete: false, restarts: 1, users: 6, error: { code: 'connector.upstream_error' } });
  });

  it('when the token is rejected as expired (401 InvalidAuthenticationToken), then it is refreshed once', async () => {
    tokens(2);
    nock(GRAPH).get(/\/v1\.0\/users/).matchHeader('authorization', 'Bearer tok-1').reply(401, graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'));
    nock(GRAPH).get(/\/v1\.0\/users/).matchHeader('authorization', 'Bearer tok-2').reply(200, page(0, 1));
    expect((await drain(open().listUsers())).result).toMatchObject({ complete: true, counters: { authCalls: 2, retries: 1 } });
  });

  it('when a nextLink points to another host, then the token is not sent there and the listing is incomplete', async () => {
    tokens();
    nock(GRAPH).get(/\/v1\.0\/users/).reply(200, page(0, 1, 'https://evil.example/v1.0/users?$skiptoken=x'));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: false, users: 1, error: { code: 'connector.upstream_error' } });
  });

  it('when a stored deltaLink is answered 410 Gone, then the round falls back to a full listing and returns a new deltaLink', async () => {
    tokens();
    const stale: DeltaSyncState = { provider: 'microsoft', kind: 'graph.users.delta.v1', cursor: `${GRAPH}/v1.0/users/delta?$deltatoken=old`, savedAt: '2026-04-01T00:00:00Z' };
    nock(GRAPH).get('/v1.0/users/delta').query({ $deltatoken: 'old' }).reply(410, graphError('syncStateNotFound', 'expired'), { location: `${GRAPH}/v1.0/users/delta?$deltatoken=` });
    nock(GRAPH).get((p) => p.startsWith('/v1.0/users/delta?$select=')).reply(200, { value: [], '@odata.nextLink': `${GRAPH}/v1.0/users/delta?$skiptoken=s1` });
    nock(GRAPH).get('/v1.0/users/delta').query({ $skiptoken: 's1' }).reply(200, { value: [u(1), { id: u(2).id, '@removed': { reason: 'deleted' } }], '@odata.deltaLink': `${GRAPH}/v1.0/users/delta?$deltatoken=new` });
    const c = open();
    if (!supportsDelta(c)) throw new Error('delta expected');
    const { users, result } = await drain(c.listChanges(stale));
    expect(result).toMatchObject({ complete: true, mode: 'full', resynced: true, pages: 2, nextState: { cursor: `${GRAPH}/v1.0/users/delta?$deltatoken=new` } });
    expect(users.map((x) => x.state)).toEqual(['active', 'deleted']);
  });

  it('when a delta round fails mid-way, then no new state is handed out', async () => {
    tokens();
    nock(GRAPH).get((p) => p.startsWith('/v1.0/users/delta?$select=')).reply(200, { value: [u(1)], '@odata.nextLink': `${GRAPH}/v1.0/users/delta?$skiptoken=s1` });
    nock(GRAPH).get('/v1.0/users/delta').query({ $skiptoken: 's1' }).reply(403, graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'));
    const c = open();
    if (!supportsDelta(c)) throw new Error('delta expected');
    const { result } = await drain(c.listChanges(null));
    expect(result.complete).toBe(false);
    expect(result.nextState).toBeUndefined();
    expect(result.error?.code).toBe('connector.forbidden');
  });

  it('when the secret is wrong, then the AADSTS code is in an auth_failed error', async () => {
    nock(LOGIN).post(`/${TENANT}/oauth2/v2.0/token`).reply(401, { error: 'invalid_client', error_description: 'AADSTS7000215: Invalid client secret provided.', error_codes: [7000215] });
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: false, error: { code: 'connector.auth_failed' } });
    expect(result.error?.message).toContain('AADSTS7000215');
  });

  it('when a run refreshes tokens and fails, then no log line carries the secret or a token', async () => {
    tokens(2);
    nock(GRAPH).get(/\/v1\.0\/users/).reply(401, graphError('InvalidAuthenticationToken', 'Access token has expired or is not yet valid.'));
    nock(GRAPH).get(/\/v1\.0\/users/).times(6).reply(500, graphError('UnknownError', 'boom'));
    const deps = testDeps(fakeTime(), { maxRetries: 5 });
    deps.logger.lines.length = 0;
    const c = microsoftConnector.open(microsoftConnector.parseConfig({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'super-secret-value' }), { ...deps, logger: deps.logger });
    const { result } = await drain(c.listUsers());
    expect(result.complete).toBe(false);
    const text = JSON.stringify(deps.logger.lines);
    expect(deps.logger.lines.length).toBeGreaterThan(0);
    for (const secret of ['super-secret-value', 'tok-1', 'tok-2']) expect(text).not.toContain(secret);
  });
});
