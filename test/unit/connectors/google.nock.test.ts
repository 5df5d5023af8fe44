import { describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import nock from 'nock';
import { googleConnector } from '../../../src/connectors/google/index.js';
import { isTombstone, supportsChannels, type ConnectorLimits } from '../../../src/ports/directory.js';
import { drain, fakeTime, rsaKeys, testDeps, type FakeTime } from '../../support/connectors.js';

const API = 'https://admin.googleapis.com';
const TOKEN = 'https://oauth2.googleapis.com';
const SA = 'idsync@p.iam.gserviceaccount.com';
const keys = rsaKeys();
const user = (i: number) => ({ kind: 'admin#directory#user', id: `1${String(i).padStart(20, '0')}`, primaryEmail: `u${i}@example.com`, name: { givenName: 'G', familyName: 'F', fullName: 'G F' }, suspended: false, isAdmin: false });
const page = (from: number, n: number, next?: string) => ({ kind: 'admin#directory#users', users: Array.from({ length: n }, (_, k) => user(from + k)), ...(next ? { nextPageToken: next } : {}) });
const quota = (reason: string, code = 403) => ({ error: { code, message: `${reason} message`, errors: [{ message: `${reason} message`, domain: 'usageLimits', reason }] } });

function open(time: FakeTime = fakeTime(), limits: ConnectorLimits = {}, over: Record<string, unknown> = {}) {
  const config = googleConnector.parseConfig({ adminEmail: 'admin@example.com', serviceAccountKey: { type: 'service_account', client_email: SA, private_key: keys.pkcs8, private_key_id: 'kid1' }, ...over });
  return googleConnector.open(config, testDeps(time, limits));
}

/** Token endpoint that hands out tok-1, tok-2, … and records each form body. */
function tokens(times = 1) {
  const bodies: URLSearchParams[] = [];
  let n = 0;
  nock(TOKEN)
    .post('/token', (body) => (bodies.push(new URLSearchParams(body as string)), true))
    .times(times)
    .reply(() => [200, { access_token: `tok-${++n}`, expires_in: 3599, token_type: 'Bearer' }]);
  return bodies;
}

describe('Google connector (nock, documented response shapes)', () => {
  it('when listing, then the request asks for 500 users with fields= naming kind and nextPageToken, and the assertion impersonates adminEmail', async () => {
    const bodies = tokens();
    const queries: Record<string, string>[] = [];
    nock(API)
      .get('/admin/directory/v1/users')
      .query((q) => (queries.push(q as Record<string, string>), true))
      .matchHeader('authorization', 'Bearer tok-1')
      .reply(200, page(0, 2));
    const time = fakeTime(Date.parse('2026-05-01T00:00:00Z'));
    const { users, result } = await drain(open(time, {}, { orgUnitPath: "/Sales/O'Neil", query: 'isSuspended=false' }).listUsers());
    expect(result).toMatchObject({ complete: true, users: 2, pages: 1, counters: { apiCalls: 2, authCalls: 1 } });
    expect(users[0]).toMatchObject({ provider: 'google', id: '100000000000000000000', login: 'u0@example.com' });
    expect(queries[0]).toMatchObject({ customer: 'my_customer', maxResults: '500', query: "orgUnitPath='/Sales/O\\'Neil' isSuspended=false" });
    expect(queries[0]!.fields).toMatch(/^kind,nextPageToken,users\(id,primaryEmail,/);
    expect(bodies[0]!.get('grant_type')).toBe('urn:ietf:params:oauth:grant-type:jwt-bearer');
    const assertion = bodies[0]!.get('assertion')!;
    expect(decodeProtectedHeader(assertion)).toMatchObject({ alg: 'RS256', kid: 'kid1' });
    const claims = decodeJwt(assertion);
    expect(claims).toMatchObject({ iss: SA, sub: 'admin@example.com', aud: `${TOKEN}/token`, scope: 'https://www.googleapis.com/auth/admin.directory.user.readonly' });
    expect(claims.exp! - claims.iat!).toBe(3600);
  });

  it('when Google answers 429 with Retry-After in seconds and then as an HTTP-date, then each wait is what the header says', async () => {
    tokens();
    const time = fakeTime(Date.parse('2026-05-01T00:00:00Z'));
    nock(API).get('/admin/directory/v1/users').query(true).reply(429, quota('rateLimitExceeded', 429), { 'retry-after': '3' });
    nock(API).get('/admin/directory/v1/users').query(true).reply(429, quota('rateLimitExceeded', 429), { 'retry-after': 'Fri, 01 May 2026 00:00:13 GMT' });
    nock(API).get('/admin/directory/v1/users').query(true).reply(200, page(0, 1));
    const { result } = await drain(open(time).listUsers());
    expect(result).toMatchObject({ complete: true, counters: { throttled: 2, retries: 2 } });
    expect(time.sleeps).toEqual([3000, 10000]);
  });

  it('when Google answers 403 userRateLimitExceeded, quotaExceeded and rateLimitExceeded, then each is throttling with exponential backoff', async () => {
    tokens();
    const time = fakeTime();
    for (const reason of ['userRateLimitExceeded', 'quotaExceeded', 'rateLimitExceeded']) nock(API).get('/admin/directory/v1/users').query(true).reply(403, quota(reason));
    nock(API).get('/admin/directory/v1/users').query(true).reply(200, page(0, 1));
    const { result } = await drain(open(time).listUsers());
    expect(result).toMatchObject({ complete: true, users: 1, counters: { throttled: 3, retries: 3 } });
    expect(time.sleeps).toEqual([375, 750, 1500]);
  });

  it('when Google answers 403 dailyLimitExceeded, then it is not retried and the listing is incomplete', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query(true).reply(403, quota('dailyLimitExceeded'));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: false, users: 0, counters: { retries: 0 }, error: { code: 'connector.throttled' } });
  });

  it('when a page answers 500 then 503 backendError, then the client retries and the listing completes', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query(true).reply(500, { error: { code: 500, message: 'Internal error', errors: [{ reason: 'internalError' }] } });
    nock(API).get('/admin/directory/v1/users').query(true).reply(503, { error: { code: 503, message: 'Service unavailable. Please try again', errors: [{ reason: 'backendError' }] } });
    nock(API).get('/admin/directory/v1/users').query(true).reply(200, page(0, 3));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, users: 3, counters: { retries: 2, apiCalls: 4 } });
  });

  it('when a page is empty but carries a nextPageToken, then paging goes on', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query((q) => !q.pageToken).reply(200, { kind: 'admin#directory#users', nextPageToken: 'p2' });
    nock(API).get('/admin/directory/v1/users').query((q) => q.pageToken === 'p2').reply(200, page(0, 2));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, users: 2, pages: 2 });
  });

  it('when a page token is rejected, then the listing restarts once from the first page', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query((q) => !q.pageToken).reply(200, page(0, 2, 'old'));
    nock(API).get('/admin/directory/v1/users').query((q) => q.pageToken === 'old').reply(400, { error: { code: 400, message: 'Invalid Input', errors: [{ message: 'Invalid Input', domain: 'global', reason: 'invalid' }] } });
    nock(API).get('/admin/directory/v1/users').query((q) => !q.pageToken).reply(200, page(0, 2, 'new'));
    nock(API).get('/admin/directory/v1/users').query((q) => q.pageToken === 'new').reply(200, page(2, 1));
    const { users, result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, restarts: 1, users: 5 });
    expect(new Set(users.map((u) => u.id)).size).toBe(3);
  });

  it('when a 5xx never recovers mid-listing, then the users read so far were yielded and the result is incomplete', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query((q) => !q.pageToken).reply(200, page(0, 500, 'p2'));
    nock(API).get('/admin/directory/v1/users').query((q) => q.pageToken === 'p2').times(4).reply(502, 'Bad Gateway');
    const { users, result } = await drain(open(fakeTime(), { maxRetries: 3 }).listUsers());
    expect(users).toHaveLength(500);
    expect(result).toMatchObject({ complete: false, users: 500, pages: 1, error: { code: 'connector.upstream_error' } });
    expect(result.error?.message).toContain('HTTP 502');
  });

  it('when the access token has expired (401), then it is refreshed once and the request retried', async () => {
    const bodies = tokens(2);
    nock(API).get('/admin/directory/v1/users').query(true).matchHeader('authorization', 'Bearer tok-1').reply(401, { error: { code: 401, message: 'Request had invalid authentication credentials.', status: 'UNAUTHENTICATED' } });
    nock(API).get('/admin/directory/v1/users').query(true).matchHeader('authorization', 'Bearer tok-2').reply(200, page(0, 1));
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, counters: { authCalls: 2 } });
    expect(bodies).toHaveLength(2);
  });

  it('when a 401 persists after the refresh, then the listing fails with auth_failed', async () => {
    tokens(2);
    nock(API).get('/admin/directory/v1/users').query(true).times(2).reply(401, { error: { code: 401, message: 'Invalid Credentials' } });
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: false, error: { code: 'connector.auth_failed' } });
  });

  it('when a 200 body is not a users page, then it is a malformed response, never "zero users"', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query(true).reply(200, {});
    const { result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: false, users: 0, error: { code: 'connector.upstream_error' } });
  });

  it('when the request budget or the deadline runs out, then the listing is incomplete with budget_exhausted', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query(true).reply(200, page(0, 1, 'p2'));
    const budget = await drain(open(fakeTime(), { maxRequests: 2 }).listUsers());
    expect(budget.result).toMatchObject({ complete: false, users: 1, error: { code: 'connector.budget_exhausted' } });

    tokens();
    nock(API).get('/admin/directory/v1/users').query(true).reply(503, 'unavailable', { 'retry-after': '120' });
    const deadline = await drain(open(fakeTime(), { deadlineMs: 60_000 }).listUsers());
    expect(deadline.result.error?.code).toBe('connector.budget_exhausted');
  });

  it('when the run is aborted, then the listing stops with aborted', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users').query(true).reply(200, page(0, 2, 'p2'));
    const ac = new AbortController();
    const listing = open().listUsers({ signal: ac.signal });
    for await (const _ of listing) ac.abort();
    expect(await listing.done).toMatchObject({ complete: false, error: { code: 'connector.aborted' } });
  });

  it('when a user is looked up, then 412 is a tombstone but 403 is an error, never "deleted"', async () => {
    tokens();
    nock(API).get('/admin/directory/v1/users/123').query(true).reply(412, { error: { code: 412, message: 'Precondition Failed', errors: [{ reason: 'conditionNotMet' }] } });
    nock(API).get('/admin/directory/v1/users/456').query(true).reply(403, { error: { code: 403, message: 'Not Authorized to access this resource/api', errors: [{ reason: 'forbidden' }] } });
    const c = open();
    expect(isTombstone(await c.getUser('123'))).toBe(true);
    await expect(c.getUser('456')).rejects.toMatchObject({ code: 'connector.forbidden' });
  });

  it('when a push channel is opened, then users.watch gets the customer, the one event and the documented channel body, and the answer gives its resource id and expiry', async () => {
    tokens();
    const sent: { query: Record<string, string>; body: Record<string, unknown> }[] = [];
    let query: Record<string, string> = {};
    nock(API)
      .post('/admin/directory/v1/users/watch', (body) => (sent.push({ query, body: body as Record<string, unknown> }), true))
      .query((q) => ((query = q as Record<string, string>), true))
      .matchHeader('authorization', 'Bearer tok-1')
      .reply(200, { kind: 'api#channel', id: 'ch-1', resourceId: 'res-9', resourceUri: `${API}/admin/directory/v1/users?customer=my_customer&event=delete&alt=json`, token: 't', expiration: '1780000000000' });
    const c = open();
    if (!supportsChannels(c)) throw new Error('the Google connector opens channels');
    const ch = await c.watchUsers({ id: 'ch-1', event: 'delete', address: 'https://idsync.example/hooks/google/c1', token: 't', ttlSeconds: 21600 });
    expect(ch).toEqual({ id: 'ch-1', resourceId: 'res-9', expiresAt: new Date(1780000000000).toISOString() });
    expect(sent[0]).toEqual({ query: { customer: 'my_customer', event: 'delete' }, body: { id: 'ch-1', type: 'web_hook', address: 'https://idsync.example/hooks/google/c1', token: 't', params: { ttl: '21600' } } });
  });

  it('when a channel is stopped, then channels.stop gets its id and resource id; a channel Google no longer has is not an error; a watch answer without a resource id is', async () => {
    tokens();
    const bodies: unknown[] = [];
    nock(API)
      .post('/admin/directory_v1/channels/stop', (body) => (bodies.push(body), true))
      .reply(204)
      .post('/admin/directory_v1/channels/stop')
      .reply(404, { error: { code: 404, message: "Channel 'gone' not found for project '1'", errors: [{ message: 'not found', domain: 'global', reason: 'notFound' }] } })
      .post('/admin/directory/v1/users/watch')
      .query(true)
      .reply(200, { kind: 'api#channel', id: 'ch-2' });
    const c = open();
    if (!supportsChannels(c)) throw new Error('the Google connector stops channels');
    await c.stopChannel({ id: 'ch-1', resourceId: 'res-9' });
    expect(bodies).toEqual([{ id: 'ch-1', resourceId: 'res-9' }]);
    await expect(c.stopChannel({ id: 'gone', resourceId: 'res-0' })).resolves.toBeUndefined();
    await expect(c.watchUsers({ id: 'ch-2', event: 'update', address: 'https://x.example/h', token: 't', ttlSeconds: 60 })).rejects.toMatchObject({ code: 'connector.upstream_error' });
  });
});
