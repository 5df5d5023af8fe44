import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { googleConnector } from '../../src/connectors/google/index.js';
import { testConnection } from '../../src/services/connections/test-connection.js';
import { isTombstone, type DirectoryUser } from '../../src/ports/directory.js';
import { GoogleFake } from '../fakes/google-fake.js';
import { closedPortUrl, drain, fakeTime, rsaKeys, testDeps } from '../support/connectors.js';

const keys = rsaKeys();
const SA = 'idsync@project.iam.gserviceaccount.com';

describe('Google connector against a local Workspace over real HTTP', () => {
  let fake: GoogleFake;
  beforeAll(async () => {
    fake = await new GoogleFake({
      users: 1201,
      serviceAccountEmail: SA,
      publicKeyPem: keys.publicPem,
      admins: ['admin@example.com'],
      nonAdmins: ['clerk@example.com'],
      patch: (i, u) => (i === 7 ? { ...u, suspended: true } : i === 8 ? { ...u, archived: true } : u),
      deleted: new Set([1200]),
    }).start();
  });
  afterAll(() => fake.stop());

  const config = (over: Record<string, unknown> = {}) =>
    googleConnector.parseConfig({
      adminEmail: 'admin@example.com',
      serviceAccountKey: JSON.stringify({ type: 'service_account', client_email: SA, private_key: keys.pkcs8, private_key_id: 'k1' }),
      apiBaseUrl: fake.url,
      tokenUrl: fake.tokenUrl,
      ...over,
    });
  const open = (over: Record<string, unknown> = {}) => googleConnector.open(config(over), testDeps(fakeTime()));

  it('when the directory holds 1,200 users, then three pages of 500 and one token call list them all, mapped', async () => {
    const before = fake.server.calls();
    const { users, result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, users: 1200, pages: 3, restarts: 0, counters: { apiCalls: 4, authCalls: 1, retries: 0 } });
    expect(fake.server.calls() - before).toBe(4);
    const byEmail = new Map(users.map((u: DirectoryUser) => [u.primaryEmail, u]));
    expect(byEmail.get('user0@example.com')).toMatchObject({ provider: 'google', id: '100000000000000000000', isAdmin: true, state: 'active', name: { given: 'Given0', family: 'Family0', display: 'Given0 Family0' } });
    expect(byEmail.get('user7@example.com')?.state).toBe('suspended');
    expect(byEmail.get('user8@example.com')?.state).toBe('suspended');
  });

  it('when the access token is revoked mid-listing, then the client refreshes it once and the listing completes', async () => {
    const listing = open().listUsers();
    let seen = 0;
    for await (const _ of listing) if (++seen === 500) fake.expireTokens();
    const r = await listing.done;
    expect(r).toMatchObject({ complete: true, users: 1200, counters: { authCalls: 2, apiCalls: 6 } });
  });

  it('when the page token expires mid-listing, then the listing restarts once and completes; twice, then it is incomplete', async () => {
    const once = open().listUsers();
    let n = 0;
    for await (const _ of once) if (++n === 600) fake.expirePageTokens();
    // The third page failed after the second was read: 1,000 users, then all 1,200 again.
    expect(await once.done).toMatchObject({ complete: true, restarts: 1, users: 1000 + 1200 });

    const twice = open().listUsers();
    n = 0;
    for await (const _ of twice) if (++n === 600 || n === 1800) fake.expirePageTokens();
    const r = await twice.done;
    expect(r.complete).toBe(false);
    expect(r.error?.code).toBe('connector.incomplete');
  });

  it('when a user id is looked up, then a live user is returned and a deleted one is a tombstone', async () => {
    const c = open();
    const live = await c.getUser('100000000000000000007');
    expect(!isTombstone(live) && live.state).toBe('suspended');
    const gone = await c.getUser('100000000000000001200');
    expect(isTombstone(gone) && gone.reason).toMatch(/404/);
  });

  it('when the connection is tested, then it reports users, pages and calls; each misconfiguration has its own code', async () => {
    const ok = await testConnection(open());
    expect(ok).toMatchObject({ ok: true, complete: true, users: 1200, pages: 3, apiCalls: 4 });

    const notAdmin = await testConnection(open({ adminEmail: 'clerk@example.com' }));
    expect(notAdmin).toMatchObject({ ok: false, complete: false, users: 0, error: { code: 'connector.forbidden' } });
    expect(notAdmin.error?.message).toContain('Not Authorized to access this resource/api');

    const unknownAdmin = await testConnection(open({ adminEmail: 'ghost@example.com' }));
    expect(unknownAdmin.error).toMatchObject({ code: 'connector.auth_failed' });
    expect(unknownAdmin.error?.message).toContain('Invalid email or User ID');

    const wrongKey = rsaKeys();
    const badKey = await testConnection(open({ serviceAccountKey: { client_email: SA, private_key: wrongKey.pkcs8 } }));
    expect(badKey.error).toMatchObject({ code: 'connector.auth_failed' });
    expect(badKey.error?.message).toContain('Invalid JWT Signature.');

    const domain = await testConnection(open({ domain: 'nope.example' }));
    expect(domain.error).toMatchObject({ code: 'connector.not_found' });
    expect(domain.error?.message).toContain('Domain not found.');

    const unreachable = await testConnection(googleConnector.open(config({ tokenUrl: `${await closedPortUrl()}/token` }), testDeps(fakeTime(), { maxRetries: 1 })));
    expect(unreachable.error).toMatchObject({ code: 'connector.unreachable' });
    expect(unreachable.error?.message).toContain('ECONNREFUSED');
  });

  it('when delegation does not grant the scope, then the test says so', async () => {
    const strict = await new GoogleFake({ users: 1, serviceAccountEmail: SA, publicKeyPem: keys.publicPem, admins: ['admin@example.com'], delegatedScopes: [] }).start();
    try {
      const r = await testConnection(googleConnector.open(config({ apiBaseUrl: strict.url, tokenUrl: strict.tokenUrl }), testDeps(fakeTime())));
      expect(r.error?.code).toBe('connector.forbidden');
      expect(r.error?.message).toMatch(/domain-wide delegation.*unauthorized_client/);
    } finally {
      await strict.stop();
    }
  });

  it('when the API answers 503 twice, then the client backs off and the page is read', async () => {
    fake.server.inject('users.list', { status: 503, body: { error: { code: 503, message: 'Service unavailable. Please try again', errors: [{ reason: 'backendError' }] } } }, 2);
    const time = fakeTime();
    const { result } = await drain(googleConnector.open(config(), testDeps(time)).listUsers());
    expect(result).toMatchObject({ complete: true, users: 1200, counters: { retries: 2, apiCalls: 6 } });
    expect(time.sleeps).toEqual([375, 750]);
  });

  it('when a page answer stalls past the per-request timeout, then the attempt is abandoned and retried', async () => {
    fake.server.inject('users.list', { status: 200, body: { kind: 'admin#directory#users' }, delayMs: 1500 });
    const c = googleConnector.open(config(), testDeps(fakeTime(), { requestTimeoutMs: 300 }));
    const { result } = await drain(c.listUsers());
    expect(result).toMatchObject({ complete: true, users: 1200, counters: { retries: 1 } });
  });
});
