import { describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import nock from 'nock';
import { githubConnector } from '../../../src/connectors/github/index.js';
import type { ConnectorLimits } from '../../../src/ports/directory.js';
import { drain, fakeTime, rsaKeys, testDeps, type FakeTime } from '../../support/connectors.js';

const GH = 'https://api.github.com';
const keys = rsaKeys();
const NOW = Date.parse('2026-05-01T00:00:00Z');
const member = (i: number) => ({ login: `octo${i}`, id: 100 + i, node_id: `U${i}`, type: 'User', site_admin: false });
const members = (from: number, n: number) => Array.from({ length: n }, (_, k) => member(from + k));
const noSaml = { data: { organization: { samlIdentityProvider: null } } };
const limitHeaders = (remaining: number, reset: number) => ({ 'x-ratelimit-limit': '5000', 'x-ratelimit-remaining': String(remaining), 'x-ratelimit-used': String(5000 - remaining), 'x-ratelimit-reset': String(reset), 'x-ratelimit-resource': 'core' });

function open(time: FakeTime = fakeTime(NOW), limits: ConnectorLimits = {}, over: Record<string, unknown> = {}) {
  return githubConnector.open(githubConnector.parseConfig({ org: 'acme', token: 'ghp_t', ...over }), testDeps(time, limits));
}
/** GraphQL without SAML and the admins page: the preamble of every listing. */
function preamble(base = GH, graphqlPath = '/graphql') {
  nock(base).post(graphqlPath).reply(200, noSaml);
  nock(base).get('/orgs/acme/members').query({ role: 'admin', per_page: '100' }).reply(200, [member(0)]);
}

describe('GitHub connector (nock, documented response shapes)', () => {
  it('when a GitHub App lists members, then the app JWT is RS256 with iat 60 s back and exp within 10 minutes, and pages follow Link', async () => {
    let jwt = '';
    nock(GH)
      .post('/app/installations/9/access_tokens')
      .matchHeader('x-github-api-version', '2022-11-28')
      .reply(function () {
        jwt = String(this.req.headers.authorization).replace('Bearer ', '');
        return [201, { token: 'ghs_' + 'x'.repeat(120), expires_at: '2026-05-01T01:00:00Z' }];
      });
    preamble();
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).matchHeader('authorization', `Bearer ghs_${'x'.repeat(120)}`)
      .reply(200, members(0, 100), { link: `<${GH}/organizations/1/members?per_page=100&page=2>; rel="next", <${GH}/organizations/1/members?per_page=100&page=2>; rel="last"` });
    nock(GH).get('/organizations/1/members').query({ per_page: '100', page: '2' }).reply(200, members(100, 5), { link: `<${GH}/organizations/1/members?per_page=100&page=1>; rel="prev", <${GH}/organizations/1/members?per_page=100&page=1>; rel="first"` });
    const { users, result } = await drain(open(fakeTime(NOW), {}, { token: undefined, appId: 12, installationId: 9, privateKey: keys.pkcs1 }).listUsers());
    expect(result).toMatchObject({ complete: true, users: 105, pages: 2, counters: { apiCalls: 5, authCalls: 1 } });
    expect(users[0]).toMatchObject({ id: '100', login: 'octo0', isAdmin: true, primaryEmail: null });
    expect(decodeProtectedHeader(jwt).alg).toBe('RS256');
    const claims = decodeJwt(jwt);
    expect(claims.iss).toBe('12');
    expect(claims.iat).toBe(NOW / 1000 - 60);
    expect(claims.exp! - NOW / 1000).toBeLessThanOrEqual(600);
  });

  it('when SAML SSO is on, then logins map to the NameID email of their linked identity', async () => {
    nock(GH).post('/graphql').reply(200, {
      data: { organization: { samlIdentityProvider: { externalIdentities: { pageInfo: { hasNextPage: false, endCursor: 'c1' }, edges: [
        { node: { guid: 'g1', samlIdentity: { nameId: 'Jane.Doe@Corp.example' }, scimIdentity: { username: 'jane.doe@corp.example' }, user: { login: 'Octo1' } } },
        { node: { guid: 'g2', samlIdentity: { nameId: 'x@corp.example' }, scimIdentity: null, user: null } },
      ] } } } },
    });
    nock(GH).get('/orgs/acme/members').query({ role: 'admin', per_page: '100' }).reply(200, []);
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(200, members(0, 2));
    const { users } = await drain(open().listUsers());
    expect(users[1]).toMatchObject({ login: 'octo1', primaryEmail: 'jane.doe@corp.example', emails: ['jane.doe@corp.example'] });
    expect(users[0]?.primaryEmail).toBeNull();
  });

  it('when the primary limit is exhausted (403, remaining 0), then the request waits until x-ratelimit-reset', async () => {
    const reset = NOW / 1000 + 120;
    const time = fakeTime(NOW);
    preamble();
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(403, { message: 'API rate limit exceeded for installation ID 1.', documentation_url: 'https://docs.github.com' }, limitHeaders(0, reset));
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(200, members(0, 1));
    const { result } = await drain(open(time).listUsers());
    expect(result).toMatchObject({ complete: true, counters: { throttled: 1 } });
    expect(time.sleeps).toEqual([121_000]);
  });

  it('when a success says remaining 0, then the next request waits for the reset instead of being refused', async () => {
    const reset = NOW / 1000 + 30;
    const time = fakeTime(NOW);
    nock(GH).post('/graphql').reply(200, noSaml, limitHeaders(0, reset));
    nock(GH).get('/orgs/acme/members').query(true).times(2).reply(200, []);
    await drain(open(time).listUsers());
    expect(time.sleeps).toEqual([30_000]);
  });

  it('when a secondary limit comes with retry-after, then that wait; without it, at least a minute', async () => {
    const time = fakeTime(NOW);
    const secondary = { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.', documentation_url: 'https://docs.github.com' };
    preamble();
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(403, secondary, { 'retry-after': '30', ...limitHeaders(4000, NOW / 1000 + 3600) });
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(429, secondary, limitHeaders(4000, NOW / 1000 + 3600));
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(200, members(0, 1));
    const { result } = await drain(open(time).listUsers());
    expect(result).toMatchObject({ complete: true, counters: { throttled: 2 } });
    expect(time.sleeps[0]).toBe(30_000);
    expect(time.sleeps[1]).toBeGreaterThanOrEqual(60_000);
  });

  it('when GraphQL reports RATE_LIMITED in a 200, then it waits for the reset and asks again', async () => {
    const time = fakeTime(NOW);
    nock(GH).post('/graphql').reply(200, { errors: [{ type: 'RATE_LIMITED', message: 'API rate limit exceeded' }] }, limitHeaders(0, NOW / 1000 + 10));
    nock(GH).post('/graphql').reply(200, noSaml);
    nock(GH).get('/orgs/acme/members').query(true).times(2).reply(200, []);
    expect((await drain(open(time).listUsers())).result.complete).toBe(true);
    expect(time.sleeps[0]).toBe(11_000);
  });

  it('when an empty page still links to a next one, then paging goes on; when a later page keeps failing, then it is incomplete', async () => {
    preamble();
    nock(GH).get('/orgs/acme/members').query({ per_page: '100' }).reply(200, [], { link: `<${GH}/orgs/acme/members?per_page=100&page=2>; rel="next"` });
    nock(GH).get('/orgs/acme/members').query({ per_page: '100', page: '2' }).reply(200, members(0, 100), { link: `<${GH}/orgs/acme/members?per_page=100&page=3>; rel="next"` });
    nock(GH).get('/orgs/acme/members').query({ per_page: '100', page: '3' }).times(3).reply(502, 'Bad Gateway');
    const { users, result } = await drain(open(fakeTime(NOW), { maxRetries: 2 }).listUsers());
    expect(users).toHaveLength(100);
    expect(result).toMatchObject({ complete: false, pages: 2, users: 100, error: { code: 'connector.upstream_error' } });
  });

  it('when the installation token has expired (401), then a new one is minted once', async () => {
    let n = 0;
    nock(GH).post('/app/installations/9/access_tokens').times(2).reply(() => [201, { token: `ghs_${++n}`, expires_at: '2026-05-01T01:00:00Z' }]);
    nock(GH).post('/graphql').matchHeader('authorization', 'Bearer ghs_1').reply(401, { message: 'Bad credentials', documentation_url: 'https://docs.github.com' });
    nock(GH).post('/graphql').matchHeader('authorization', 'Bearer ghs_2').reply(200, noSaml);
    nock(GH).get('/orgs/acme/members').query(true).times(2).reply(200, []);
    const { result } = await drain(open(fakeTime(NOW), {}, { token: undefined, appId: '12', installationId: '9', privateKey: keys.pkcs8 }).listUsers());
    expect(result).toMatchObject({ complete: true, counters: { authCalls: 2 } });
  });

  it('when the token lacks the members permission, then forbidden; on GHES the GraphQL URL is derived from /api/v3', async () => {
    nock('https://ghe.example').post('/api/graphql').reply(200, noSaml);
    nock('https://ghe.example').get('/api/v3/orgs/acme/members').query(true).reply(403, { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com', status: '403' });
    const { result } = await drain(open(fakeTime(NOW), {}, { apiBaseUrl: 'https://ghe.example/api/v3' }).listUsers());
    expect(result).toMatchObject({ complete: false, error: { code: 'connector.forbidden' } });
    expect(result.error?.message).toContain('Resource not accessible by integration');
  });

  it('when a membership lookup answers 404, then the user is a tombstone; a 5xx is an error', async () => {
    nock(GH).get('/user/101').reply(200, member(1));
    nock(GH).get('/orgs/acme/memberships/octo1').reply(404, { message: 'Not Found' });
    nock(GH).get('/user/102').times(2).reply(500, { message: 'Server Error' });
    const c = open(fakeTime(NOW), { maxRetries: 1 });
    expect(await c.getUser('101')).toMatchObject({ deleted: true, reason: expect.stringContaining('membership') });
    await expect(c.getUser('102')).rejects.toMatchObject({ code: 'connector.upstream_error' });
  });
});
