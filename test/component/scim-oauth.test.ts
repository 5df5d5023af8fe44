import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import type { AuditEvent, Organization } from '../../src/domain/model.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES, USER, ScimClient } from '../support/scim.js';

const PUBLIC_URL = 'https://idsync.example.com';
const TOKEN_URL = `${PUBLIC_URL}/oauth/token`;
const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

interface Created {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  secretId: string;
}
interface TokenAnswer {
  access_token?: string;
  token_type?: string;
  expires_in?: number;
  error?: string;
  error_description?: string;
}

describe.each(STORES)('SCIM OAuth 2.0 client credentials on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let orgA: Organization;
  let staticA: ScimClient;
  let orgB: Organization;
  let jwksServer: Server;
  let jwksUrl: string;
  let signingKey: CryptoKey;

  const run = async <T>(...argv: string[]) => {
    const r = await cli(f.env, f.cwd, ...argv);
    if (r.code !== 0) throw new Error(`idsync ${argv.join(' ')} failed: ${r.stderr}`);
    return r.json<T>();
  };
  const token = async (form: Record<string, string>, headers: Record<string, string> = {}) => {
    const res = await fetch(`${f.daemon.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form).toString() });
    return { status: res.status, headers: res.headers, body: (await res.json()) as TokenAnswer };
  };
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}` });
  const scimWith = (accessToken: string) => new ScimClient(`${f.daemon.url}/scim/v2`, accessToken);
  const assertion = (clientId: string, overrides: { aud?: string; jti?: string; exp?: number } = {}) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(overrides.aud ?? TOKEN_URL)
      .setJti(overrides.jti ?? crypto.randomUUID())
      .setIssuedAt()
      .setExpirationTime(overrides.exp ?? Math.floor(Date.now() / 1000) + 300)
      .sign(signingKey);

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0', IDSYNC_PUBLIC_URL: PUBLIC_URL });
    ({ org: orgA, scim: staticA } = await f.newOrg('Oauth A'));
    ({ org: orgB } = await f.newOrg('Oauth B'));
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    writeFileSync(join(f.cwd, 'client.pem'), await exportSPKI(pair.publicKey));
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
    jwksServer = createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;
  }, 60_000);
  afterAll(async () => {
    await new Promise((resolve) => jwksServer.close(resolve));
    await f.dispose();
  });

  it('when a client is created, then it prints its id, a secret shown once and the token URL, and lists without the secret', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--label', 'Entra', '--json');
    expect(c.clientId).toMatch(/^idsc_/);
    expect(c.clientSecret).toMatch(/^idsync_scs_/);
    expect(c.tokenUrl).toBe(TOKEN_URL);
    const listed = await run<{ id: string; label: string; secrets: Record<string, unknown>[] }[]>('scim-clients', 'list', '--org', orgA.id, '--json');
    const mine = listed.find((l) => l.id === c.clientId)!;
    expect(mine.label).toBe('Entra');
    expect(JSON.stringify(listed)).not.toContain(c.clientSecret);
    expect(mine.secrets[0]).not.toHaveProperty('hash');
    const year = Date.parse(String(mine.secrets[0]!.expiresAt)) - Date.now();
    expect(Math.round(year / 86_400_000)).toBe(365);
  });

  it('when a client authenticates with client_secret_basic or client_secret_post, then it gets a Bearer token that selects its org on /scim/v2', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--json');
    const viaBasic = await token({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret));
    expect(viaBasic.status).toBe(200);
    expect(viaBasic.headers.get('cache-control')).toBe('no-store');
    expect(viaBasic.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
    const viaPost = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret });
    expect(viaPost.status).toBe(200);

    const scim = scimWith(viaPost.body.access_token!);
    const created = await scim.post('/Users', { schemas: [USER], userName: `oauth-${kind}@a.example` });
    expect(created.status).toBe(201);
    const userId = String(created.body.id);
    expect((await scimWith(viaBasic.body.access_token!).get(`/Users/${userId}`)).status).toBe(200);
    // The org's static token sees the same user: the access token selected the same org.
    expect((await staticA.get(`/Users/${userId}`)).body.userName).toBe(`oauth-${kind}@a.example`);
  });

  it('when a token of org A is used on a user of org B, then org B is out of its reach', async () => {
    const b = await f.newOrg('Oauth B2');
    const inB = await b.scim.post('/Users', { schemas: [USER], userName: `only-b-${kind}@b.example` });
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--json');
    const t = await token({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret));
    const scim = scimWith(t.body.access_token!);
    expect((await scim.get(`/Users/${String(inB.body.id)}`)).status).toBe(404);
    expect((await scim.delete(`/Users/${String(inB.body.id)}`)).status).toBe(404);
    const listed = await scim.get<{ Resources: { userName: string }[] }>(`/Users?filter=${encodeURIComponent(`userName eq "only-b-${kind}@b.example"`)}`);
    expect(listed.body.Resources).toEqual([]);
    expect((await b.scim.get(`/Users/${String(inB.body.id)}`)).status).toBe(200);
  });

  it('when the secret is wrong, the client unknown or the grant unsupported, then RFC 6749 §5.2 errors answer as JSON', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--json');
    const wrong = await token({ grant_type: 'client_credentials' }, basic(c.clientId, `${c.clientSecret}x`));
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
    expect(wrong.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    expect(wrong.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await token({ grant_type: 'client_credentials', client_id: 'idsc_nobody', client_secret: c.clientSecret })).body.error).toBe('invalid_client');
    const grant = await token({ grant_type: 'password', username: 'a', password: 'b' }, basic(c.clientId, c.clientSecret));
    expect([grant.status, grant.body.error]).toEqual([400, 'unsupported_grant_type']);
    const missing = await token({}, basic(c.clientId, c.clientSecret));
    expect([missing.status, missing.body.error]).toEqual([400, 'invalid_request']);
    const twoMethods = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }, basic(c.clientId, c.clientSecret));
    expect([twoMethods.status, twoMethods.body.error]).toEqual([400, 'invalid_request']);
    const repeated = await fetch(`${f.daemon.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(c.clientId, c.clientSecret) },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    expect([repeated.status, ((await repeated.json()) as TokenAnswer).error]).toEqual([400, 'invalid_request']);
    const json = await fetch(`${f.daemon.url}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"grant_type":"client_credentials"}' });
    expect([json.status, ((await json.json()) as TokenAnswer).error]).toEqual([400, 'invalid_request']);
  });

  it('when a client is revoked, then the access tokens it already holds are refused on the next request', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--json');
    const t = await token({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret));
    const scim = scimWith(t.body.access_token!);
    expect((await scim.get('/Users?count=1')).status).toBe(200);
    await run('scim-clients', 'revoke', c.clientId, '--org', orgA.id, '--json');
    const refused = await scim.get('/Users?count=1');
    expect(refused.status).toBe(401);
    expect((await token({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret))).body.error).toBe('invalid_client');
  });

  it('when a secret is rotated, then both secrets work until the old one is revoked, and tokens of the old one stop with it', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--json');
    const r = await run<Created>('scim-clients', 'rotate', c.clientId, '--org', orgA.id, '--json');
    expect(r.clientSecret).not.toBe(c.clientSecret);
    const oldToken = await token({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret));
    const newToken = await token({ grant_type: 'client_credentials' }, basic(c.clientId, r.clientSecret));
    expect([oldToken.status, newToken.status]).toEqual([200, 200]);
    const third = await cli(f.env, f.cwd, 'scim-clients', 'rotate', c.clientId, '--org', orgA.id, '--json');
    expect(third.code).not.toBe(0);
    expect(third.stderr).toContain('token.limit_reached');

    await run('scim-clients', 'revoke-secret', c.clientId, c.secretId, '--org', orgA.id, '--json');
    expect((await token({ grant_type: 'client_credentials' }, basic(c.clientId, c.clientSecret))).status).toBe(401);
    expect((await token({ grant_type: 'client_credentials' }, basic(c.clientId, r.clientSecret))).status).toBe(200);
    expect((await scimWith(oldToken.body.access_token!).get('/Users?count=1')).status).toBe(401);
    expect((await scimWith(newToken.body.access_token!).get('/Users?count=1')).status).toBe(200);
  });

  it('when a client signs a private_key_jwt assertion with its registered public key, then it gets a token, and a replayed or misaddressed assertion is refused', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--public-key', 'client.pem', '--json');
    const jwt = await assertion(c.clientId);
    const form = (a: string) => ({ grant_type: 'client_credentials', client_assertion_type: JWT_BEARER, client_assertion: a });
    const ok = await token(form(jwt));
    expect(ok.status).toBe(200);
    expect((await scimWith(ok.body.access_token!).get('/Users?count=1')).status).toBe(200);
    const replay = await token(form(jwt));
    expect([replay.status, replay.body.error]).toEqual([401, 'invalid_client']);
    expect((await token(form(await assertion(c.clientId, { aud: 'https://elsewhere.example/token' })))).body.error).toBe('invalid_client');
    expect((await token(form(await assertion(c.clientId, { exp: Math.floor(Date.now() / 1000) - 600 })))).body.error).toBe('invalid_client');
    const other = await run<Created>('scim-clients', 'create', '--org', orgA.id, '--json');
    expect((await token(form(await assertion(other.clientId)))).body.error).toBe('invalid_client');
  });

  it('when a client names a JWKS URL, then its assertions are verified against that key set', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgB.id, '--jwks-url', jwksUrl, '--json');
    const ok = await token({ grant_type: 'client_credentials', client_id: c.clientId, client_assertion_type: JWT_BEARER, client_assertion: await assertion(c.clientId) });
    expect(ok.status).toBe(200);
    const created = await scimWith(ok.body.access_token!).post('/Users', { schemas: [USER], userName: `jwks-${kind}@b.example` });
    expect(created.status).toBe(201);
    const refused = await cli(f.env, f.cwd, 'scim-clients', 'create', '--org', orgB.id, '--jwks-url', 'http://keys.example.com/jwks.json', '--json');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('https');
  });

  it('when clients are created, rotated and revoked, then each change is an audit event', async () => {
    const c = await run<Created>('scim-clients', 'create', '--org', orgB.id, '--json');
    await run('scim-clients', 'rotate', c.clientId, '--org', orgB.id, '--json');
    await run('scim-clients', 'revoke-secret', c.clientId, c.secretId, '--org', orgB.id, '--json');
    await run('scim-clients', 'revoke', c.clientId, '--org', orgB.id, '--json');
    const events = await run<AuditEvent[]>('audit', 'list', '--org', orgB.id, '--limit', '1000', '--json');
    const mine = events.filter((e) => e.target?.id === c.clientId).map((e) => e.action);
    expect(mine.sort()).toEqual(['scim_client.created', 'scim_client.revoked', 'scim_client.secret_added', 'scim_client.secret_revoked']);
  });
});

describe('failed client authentication at /oauth/token is throttled per client address', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  beforeAll(async () => {
    f = await scimFixture('sqlite', { IDSYNC_AUTH_FAILURES_PER_MINUTE: '5' });
  }, 60_000);
  afterAll(async () => f.dispose());

  it('when an address sends more wrong secrets than server.authFailuresPerMinute, then it gets 429 with Retry-After, and a valid client from it still gets a token', async () => {
    const { org } = await f.newOrg('Throttled');
    const c = (await cli(f.env, f.cwd, 'scim-clients', 'create', '--org', org.id, '--json')).json<Created>();
    const post = (secret: string) =>
      fetch(`${f.daemon.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: secret }).toString(),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await post('idsync_scs_wrong')).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const throttled = await post('idsync_scs_wrong');
    expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await throttled.json()) as TokenAnswer).error).toBe('invalid_client');
    expect((await post(c.clientSecret)).status).toBe(200);
  });

  it('when one client asks for more than 20 access tokens at once, then it gets 429 with Retry-After, and other clients are not affected', async () => {
    const { org } = await f.newOrg('Greedy');
    const greedy = (await cli(f.env, f.cwd, 'scim-clients', 'create', '--org', org.id, '--json')).json<Created>();
    const other = (await cli(f.env, f.cwd, 'scim-clients', 'create', '--org', org.id, '--json')).json<Created>();
    const ask = (c: Created) =>
      fetch(`${f.daemon.url}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: c.clientSecret }).toString(),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await ask(greedy)).status);
    expect(statuses).toEqual(Array(20).fill(200));
    const limited = await ask(greedy);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await limited.json()) as TokenAnswer).error).toBe('temporarily_unavailable');
    expect((await ask(other)).status).toBe(200);
  });
});
