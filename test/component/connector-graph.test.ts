import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, createPublicKey } from 'node:crypto';
import { microsoftConnector } from '../../src/connectors/microsoft/index.js';
import { testConnection } from '../../src/services/connections/test-connection.js';
import { isTombstone, supportsDelta, type DirectoryConnector } from '../../src/ports/directory.js';
import { GraphFake, graphId } from '../fakes/graph-fake.js';
import { drain, fakeTime, rsaKeys, testDeps } from '../support/connectors.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const GROUP = '99999999-8888-4777-8666-555555555555';
const keys = rsaKeys();
const thumbprint = createHash('sha1').update(createPublicKey(keys.publicPem).export({ format: 'der', type: 'spki' })).digest('hex');

describe('Microsoft Graph connector against a local Entra ID over real HTTP', () => {
  let fake: GraphFake;
  beforeAll(async () => {
    fake = await new GraphFake({ users: 2000, tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret', certificate: { publicKeyPem: keys.publicPem, thumbprintSha1Hex: thumbprint }, groupId: GROUP, disabled: (i) => i === 4 }).start();
  });
  afterAll(() => fake.stop());

  const open = (over: Record<string, unknown> = {}, time = fakeTime()) =>
    microsoftConnector.open(
      microsoftConnector.parseConfig({ tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret', graphBaseUrl: fake.url, authorityHost: fake.url, ...over }),
      testDeps(time),
    );

  it('when 2,000 users are listed, then pages of 999 cost ceil(2000/999) calls plus one token call, mapped', async () => {
    const { users, result } = await drain(open().listUsers());
    expect(result).toMatchObject({ complete: true, users: 2000, pages: 3, counters: { apiCalls: 4, authCalls: 1 } });
    expect(users[4]).toMatchObject({ id: graphId(4), login: 'user4@contoso.example', primaryEmail: 'user4@contoso.example', state: 'suspended' });
    expect(users[0]?.emails).toEqual(['user0@contoso.example', 'alias0@contoso.example']);
  });

  it('when the credential is a certificate, then the assertion (aud = token endpoint, x5t) is accepted', async () => {
    const c = open({ clientSecret: undefined, certificate: { privateKey: keys.pkcs1, thumbprint: thumbprint.toUpperCase().match(/../g)!.join(':') } });
    expect(await testConnection(c)).toMatchObject({ ok: true, users: 2000, apiCalls: 4 });
  });

  it('when the token expires mid-listing or a skiptoken expires, then the client refreshes once and the listing restarts once', async () => {
    const listing = open().listUsers();
    let n = 0;
    for await (const _ of listing) {
      n += 1;
      if (n === 10) fake.expireTokens();
      if (n === 1500) fake.expirePageTokens();
    }
    expect(await listing.done).toMatchObject({ complete: true, restarts: 1, counters: { authCalls: 2 } });
  });

  it('when the connection is scoped to a group, then only its users are listed and a user outside it is a tombstone', async () => {
    const c = open({ groupId: GROUP });
    expect(supportsDelta(c)).toBe(false);
    const { users, result } = await drain(c.listUsers());
    expect(result).toMatchObject({ complete: true, users: 1000, pages: 2 });
    expect(users.every((u) => parseInt(u.id.slice(-12), 16) % 2 === 0)).toBe(true);
    const outside = await c.getUser(graphId(3));
    expect(isTombstone(outside) && outside.reason).toBe(`not a member of group ${GROUP}`);
    const inside = await c.getUser(graphId(2));
    expect(isTombstone(inside)).toBe(false);
  });

  it('when delta rounds run, then the first is full, the next carries only changes, and an expired token falls back to full', async () => {
    const c: DirectoryConnector = open();
    if (!supportsDelta(c)) throw new Error('expected delta');
    const first = await drain(c.listChanges(null));
    expect(first.result).toMatchObject({ complete: true, mode: 'full', resynced: false, users: 2000 });
    expect(first.result.nextState?.cursor).toContain('$deltatoken=');

    fake.disable(3);
    fake.remove(5, 'deleted');
    const second = await drain(c.listChanges(first.result.nextState!));
    expect(second.result).toMatchObject({ complete: true, mode: 'delta', resynced: false, users: 2 });
    expect(second.users.map((u) => [u.id, u.state])).toEqual([
      [graphId(3), 'suspended'],
      [graphId(5), 'deleted'],
    ]);

    fake.expireDeltaTokens();
    const third = await drain(c.listChanges(second.result.nextState!));
    expect(third.result).toMatchObject({ complete: true, mode: 'full', resynced: true });
    expect(third.result.nextState?.cursor).not.toBe(second.result.nextState?.cursor);
    const gone = await c.getUser(graphId(5));
    expect(isTombstone(gone)).toBe(true);
  });

  it('when Graph answers 429 with Retry-After, then the client waits exactly that long', async () => {
    fake.server.inject('users.list', { status: 429, headers: { 'retry-after': '7' }, body: { error: { code: 'TooManyRequests', message: 'Too many requests' } } });
    const time = fakeTime();
    const { result } = await drain(open({}, time).listUsers());
    expect(result).toMatchObject({ complete: true, counters: { throttled: 1, retries: 1 } });
    expect(time.sleeps).toEqual([7000]);
  });

  it('when the connection is tested with each misconfiguration, then the error names it', async () => {
    const secret = await testConnection(open({ clientSecret: 'wrong' }));
    expect(secret).toMatchObject({ ok: false, users: 0, error: { code: 'connector.auth_failed' } });
    expect(secret.error?.message).toContain('AADSTS7000215');
    const tenant = await testConnection(open({ tenantId: 'nope.onmicrosoft.com' }));
    expect(tenant.error).toMatchObject({ code: 'connector.not_found' });
    expect(tenant.error?.message).toContain('tenant nope.onmicrosoft.com not found');
    const app = await testConnection(open({ clientId: '00000000-0000-4000-8000-000000000000' }));
    expect(app.error?.message).toContain('is not known in tenant');
    const group = await testConnection(open({ groupId: '00000000-0000-4000-8000-000000000001' }));
    expect(group.error).toMatchObject({ code: 'connector.not_found' });
    fake.server.inject('users.list', { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } });
    const scope = await testConnection(open());
    expect(scope.error).toMatchObject({ code: 'connector.forbidden' });
    expect(scope.error?.message).toContain('Authorization_RequestDenied');
  });
});
