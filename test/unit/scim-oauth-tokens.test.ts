import { afterAll, describe, expect, it } from '@jest/globals';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { isIdsyncError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { createServices } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { adjustableClock } from '../support/services.js';

const ACTOR = { kind: 'cli' as const };

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (err) {
    if (isIdsyncError(err)) return err.code;
    throw err;
  }
}

describe('SCIM OAuth access tokens over time', () => {
  const store = openSqliteStore({ path: ':memory:' });
  afterAll(async () => store.close());

  function setUp(tokenTtlSeconds: number, secretKey = Buffer.alloc(32, 3)) {
    const clock = adjustableClock('2026-05-01T00:00:00.000Z');
    const services = createServices(
      { store, clock, logger: silentLogger },
      { connectors: createBuiltinRegistry(), secretKey, publicUrl: 'https://idsync.test', oauthTokenTtlSeconds: tokenTtlSeconds },
    );
    return { clock, services };
  }

  it('when the configured lifetime passes, then the access token is refused on SCIM and a new one is needed', async () => {
    const { clock, services } = setUp(7200);
    const org = await services.orgs.create({ name: 'Timed' }, ACTOR);
    const c = await services.scimClients.create(org.id, ACTOR);
    const issued = await services.oauth.issue({ grantType: 'client_credentials', basic: { clientId: c.clientId, clientSecret: c.clientSecret } });
    expect(issued.expires_in).toBe(7200);
    expect((await services.credentials.authenticateScim(issued.access_token)).orgId).toBe(org.id);
    clock.advanceHours(1.9);
    expect((await services.credentials.authenticateScim(issued.access_token)).id).toBe(c.clientId);
    clock.advanceHours(0.2);
    expect(await codeOf(services.credentials.authenticateScim(issued.access_token))).toBe('auth.unauthorized');
  });

  it('when a secret passes its expiry, then it no longer authenticates the client', async () => {
    const { clock, services } = setUp(3600);
    const org = await services.orgs.create({ name: 'Aging' }, ACTOR);
    const c = await services.scimClients.create(org.id, ACTOR, { secretTtlDays: 2 });
    const ask = () => services.oauth.issue({ grantType: 'client_credentials', clientId: c.clientId, clientSecret: c.clientSecret });
    expect((await ask()).token_type).toBe('Bearer');
    clock.advanceHours(49);
    expect(await codeOf(ask())).toBe('oauth.invalid_client');
  });

  it('when a token was signed under another secret key or altered, then it is refused', async () => {
    const a = setUp(3600, Buffer.alloc(32, 3));
    const b = setUp(3600, Buffer.alloc(32, 4));
    const org = await a.services.orgs.create({ name: 'Keys' }, ACTOR);
    const c = await a.services.scimClients.create(org.id, ACTOR);
    const { access_token } = await a.services.oauth.issue({ grantType: 'client_credentials', basic: { clientId: c.clientId, clientSecret: c.clientSecret } });
    expect(await codeOf(b.services.credentials.authenticateScim(access_token))).toBe('auth.unauthorized');
    const [h, p, sig] = access_token.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), org: 'another-org' })).toString('base64url');
    expect(await codeOf(a.services.credentials.authenticateScim(`${h}.${forged}.${sig}`))).toBe('auth.unauthorized');
  });
});
