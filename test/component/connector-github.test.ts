import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { githubConnector } from '../../src/connectors/github/index.js';
import { testConnection } from '../../src/services/connections/test-connection.js';
import { isTombstone, type ConnectorLimits } from '../../src/ports/directory.js';
import { GithubFake } from '../fakes/github-fake.js';
import { drain, fakeTime, rsaKeys, testDeps, type FakeTime } from '../support/connectors.js';

const keys = rsaKeys();

describe('GitHub connector against a local GitHub over real HTTP', () => {
  let fake: GithubFake;
  beforeAll(async () => {
    fake = await new GithubFake({ org: 'acme', members: 250, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, pat: 'ghp_personal', saml: true, admins: (i) => i < 2, pending: new Set([249]) }).start();
  });
  afterAll(() => fake.stop());

  const raw = (over: Record<string, unknown> = {}, url = fake.url) => ({ org: 'acme', appId: 4242, installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: url, graphqlUrl: `${url}/graphql`, ...over });
  const open = (over: Record<string, unknown> = {}, time: FakeTime = fakeTime(), limits: ConnectorLimits = {}) => githubConnector.open(githubConnector.parseConfig(raw(over)), testDeps(time, limits));

  it('when the org has 249 members, then members page by 100 with Link headers, joined with admins and SAML emails', async () => {
    const { users, result } = await drain(open().listUsers());
    // 1 installation token + 3 SAML pages + 1 admin page + 3 member pages.
    expect(result).toMatchObject({ complete: true, users: 249, pages: 3, counters: { apiCalls: 8, authCalls: 1 } });
    expect(users[0]).toMatchObject({ provider: 'github', id: '5000000', login: 'octo0', isAdmin: true, state: 'active', primaryEmail: 'person0@corp.example' });
    expect(users[2]).toMatchObject({ login: 'octo2', isAdmin: false, emails: ['person2@corp.example'] });
    expect(users.find((u) => u.login === 'octo249')).toBeUndefined();
  });

  it('when a personal token is configured, then no installation token is requested', async () => {
    const r = await testConnection(open({ appId: undefined, installationId: undefined, privateKey: undefined, token: 'ghp_personal' }));
    expect(r).toMatchObject({ ok: true, users: 249, apiCalls: 7 });
  });

  it('when the installation token is revoked mid-listing, then a new one is minted once and the listing completes', async () => {
    const listing = open().listUsers();
    let n = 0;
    for await (const _ of listing) if (++n === 50) fake.expireTokens();
    expect(await listing.done).toMatchObject({ complete: true, counters: { authCalls: 2 } });
  });

  it('when users are looked up by id, then members come back, and pending invitees and unknown ids are tombstones', async () => {
    const c = open();
    const admin = await c.getUser('5000001');
    expect(!isTombstone(admin) && admin).toMatchObject({ login: 'octo1', isAdmin: true });
    expect(await c.getUser('5000249')).toMatchObject({ deleted: true, reason: expect.stringContaining('pending') });
    expect(await c.getUser('9999999')).toMatchObject({ deleted: true, reason: expect.stringContaining('404') });
  });

  it('when the primary rate limit runs out, then the next request waits for x-ratelimit-reset; past the deadline it is throttled', async () => {
    const limited = await new GithubFake({ org: 'acme', members: 250, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, pat: 'ghp_x', rateLimit: 3 }).start();
    try {
      const time = fakeTime();
      const deps = { ...testDeps(time, { deadlineMs: 2 * 3600_000 }), sleep: async (ms: number) => (await time.sleep(ms), limited.resetRateLimit()) };
      const c = githubConnector.open(githubConnector.parseConfig({ org: 'acme', token: 'ghp_x', apiBaseUrl: limited.url }), deps);
      const { result } = await drain(c.listUsers());
      expect(result).toMatchObject({ complete: true, users: 250 });
      expect(time.sleeps).toHaveLength(1);
      expect(time.sleeps[0]).toBeGreaterThanOrEqual(limited.resetAt * 1000 - time.nowMs());

      limited.resetRateLimit();
      const short = githubConnector.open(githubConnector.parseConfig({ org: 'acme', token: 'ghp_x', apiBaseUrl: limited.url }), testDeps(fakeTime(), { deadlineMs: 60_000 }));
      const r = await testConnection(short);
      expect(r).toMatchObject({ ok: false, complete: false, error: { code: 'connector.throttled' } });
    } finally {
      await limited.stop();
    }
  });

  it('when the connection is tested with each misconfiguration, then the error names it', async () => {
    const org = await testConnection(open({ org: 'nobody' }));
    expect(org.error).toMatchObject({ code: 'connector.not_found' });
    expect(org.error?.message).toContain("Could not resolve to an Organization with the login of 'nobody'");
    const installation = await testConnection(open({ installationId: 78 }));
    expect(installation.error).toMatchObject({ code: 'connector.auth_failed' });
    expect(installation.error?.message).toContain('check installationId');
    const key = await testConnection(open({ privateKey: rsaKeys().pkcs1 }));
    expect(key.error).toMatchObject({ code: 'connector.auth_failed' });
    expect(key.error?.message).toContain('A JSON web token could not be decoded');
    const token = await testConnection(open({ appId: undefined, installationId: undefined, privateKey: undefined, token: 'ghp_revoked' }));
    expect(token.error).toMatchObject({ code: 'connector.auth_failed' });
    expect(token.error?.message).toContain('Bad credentials');
  });

  it('when SAML identities cannot be read, then the listing is incomplete with a forbidden error, not a list without emails', async () => {
    const noSaml = await new GithubFake({ org: 'acme', members: 3, appId: '1', installationId: '1', publicKeyPem: keys.publicPem, pat: 'ghp_y', samlForbidden: true }).start();
    try {
      const c = githubConnector.open(githubConnector.parseConfig({ org: 'acme', token: 'ghp_y', apiBaseUrl: noSaml.url }), testDeps(fakeTime()));
      const r = await testConnection(c);
      expect(r).toMatchObject({ ok: false, users: 0, error: { code: 'connector.forbidden' } });
      expect(r.error?.message).toContain('Resource not accessible by integration');
    } finally {
      await noSaml.stop();
    }
  });
});
