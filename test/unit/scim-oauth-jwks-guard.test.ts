import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { createServices } from '../../src/services/index.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { code } from '../support/services.js';

const ACTOR = { kind: 'cli' as const };
const PUBLIC_URL = 'https://idsync.test';
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

describe('a SCIM client JWKS URL is held to the webhook destination rules', () => {
  let server: Server;
  let jwksUrl: string;
  let signingKey: CryptoKey;
  let fetched = 0;
  const store = openSqliteStore({ path: ':memory:' });

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    server = createServer((_req, res) => {
      fetched += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await store.close();
  });

  const services = (allowPrivateNetworks: boolean) =>
    createServices({ store, clock: { now: () => new Date() }, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 4), publicUrl: PUBLIC_URL, webhooks: { allowPrivateNetworks } });
  const assertion = (clientId: string) =>
    new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(clientId).setSubject(clientId).setAudience(`${PUBLIC_URL}/oauth/token`).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime('5m').sign(signingKey);

  it('when private networks are not allowed, then a JWKS URL on a loopback address is refused before anything is fetched (invalid_client)', async () => {
    const s = services(false);
    const org = await s.orgs.create({ name: 'Guarded' }, ACTOR);
    const c = await s.scimClients.create(org.id, ACTOR, { jwksUrl });
    const before = fetched;
    const answer = await code(s.oauth.issue({ grantType: 'client_credentials', clientAssertionType: JWT_BEARER, clientAssertion: await assertion(c.clientId) }));
    expect(answer).toBe('oauth.invalid_client');
    expect(fetched).toBe(before);
  });

  it('when private networks are allowed, then the same key set is fetched and the assertion verified', async () => {
    const s = services(true);
    const org = await s.orgs.create({ name: 'Allowed' }, ACTOR);
    const c = await s.scimClients.create(org.id, ACTOR, { jwksUrl });
    const issued = await s.oauth.issue({ grantType: 'client_credentials', clientAssertionType: JWT_BEARER, clientAssertion: await assertion(c.clientId) });
    expect(issued.token_type).toBe('Bearer');
    expect(fetched).toBeGreaterThan(0);
  });
});
