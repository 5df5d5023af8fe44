import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES, ScimClient } from '../support/scim.js';

interface Issued {
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  secretId: string;
  client: { id: string; secrets: { id: string; revokedAt?: string }[]; revokedAt?: string };
}

describe.each(STORES)('SCIM OAuth clients over the admin API on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let orgA: Organization;
  let keyA: string;
  let keyB: string;

  const accessToken = async (clientId: string, secret: string) => {
    const res = await fetch(`${f.daemon.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }).toString(),
    });
    return { status: res.status, token: ((await res.json()) as { access_token?: string }).access_token };
  };

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_PUBLIC_URL: 'https://idsync.example.com' });
    api = await ApiClient.connect(f.daemon.url);
    const provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    orgA = (await api.call<Organization>('post', '/orgs', provider, { name: 'Alpha' })).body;
    const orgB = (await api.call<Organization>('post', '/orgs', provider, { name: 'Beta' })).body;
    keyA = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', orgA.id, '--json')).json<{ key: string }>().key;
    keyB = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', orgB.id, '--json')).json<{ key: string }>().key;
  }, 60_000);
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  it('when an org admin creates, rotates and revokes a client, then each answer is documented and the tokens follow it', async () => {
    const created = await api.call<Issued>('post', `/orgs/${orgA.id}/scim-clients`, keyA, { label: 'Entra' });
    expect(created.status).toBe(201);
    expect(created.body.tokenUrl).toBe('https://idsync.example.com/oauth/token');
    const { clientId, clientSecret, secretId } = created.body;
    const first = await accessToken(clientId, clientSecret);
    expect(first.status).toBe(200);
    expect((await new ScimClient(`${f.daemon.url}/scim/v2`, first.token!).get('/Users')).status).toBe(200);

    const rotated = await api.call<Issued>('post', `/orgs/${orgA.id}/scim-clients/${clientId}/secrets`, keyA, {});
    expect(rotated.status).toBe(201);
    expect((await accessToken(clientId, rotated.body.clientSecret)).status).toBe(200);
    expect((await accessToken(clientId, clientSecret)).status).toBe(200);
    expect((await api.call('post', `/orgs/${orgA.id}/scim-clients/${clientId}/secrets`, keyA, {})).status).toBe(409);

    const afterRevoke = await api.call<Issued['client']>('delete', `/orgs/${orgA.id}/scim-clients/${clientId}/secrets/${secretId}`, keyA);
    expect(afterRevoke.body.secrets.find((s) => s.id === secretId)?.revokedAt).toBeDefined();
    expect((await accessToken(clientId, clientSecret)).status).toBe(401);

    const list = await api.call<{ items: { id: string }[] }>('get', `/orgs/${orgA.id}/scim-clients`, keyA);
    expect(list.body.items.map((c) => c.id)).toEqual([clientId]);
    expect(JSON.stringify(list.body)).not.toContain(rotated.body.clientSecret);

    const revoked = await api.call<Issued['client']>('delete', `/orgs/${orgA.id}/scim-clients/${clientId}`, keyA);
    expect(revoked.body.revokedAt).toBeDefined();
    expect((await accessToken(clientId, rotated.body.clientSecret)).status).toBe(401);
  });

  it("when another org's admin key reaches for the org's clients, then the org is not found for it (as with SCIM tokens) and the client stays", async () => {
    const created = await api.call<Issued>('post', `/orgs/${orgA.id}/scim-clients`, keyA, {});
    expect((await api.call('get', `/orgs/${orgA.id}/scim-clients`, keyB)).status).toBe(404);
    expect((await api.call('delete', `/orgs/${orgA.id}/scim-clients/${created.body.clientId}`, keyB)).status).toBe(404);
    expect((await api.call('post', `/orgs/${orgA.id}/scim-clients`, keyB, {})).status).toBe(404);
    expect((await accessToken(created.body.clientId, created.body.clientSecret)).status).toBe(200);
  });

  it('when a client is given a JWKS URL over plain http or a key that is not PEM, then it is refused with 400', async () => {
    expect((await api.call('post', `/orgs/${orgA.id}/scim-clients`, keyA, { jwksUrl: 'http://keys.example.com/jwks' })).status).toBe(400);
    expect((await api.call('post', `/orgs/${orgA.id}/scim-clients`, keyA, { publicKeyPem: 'not a key' })).status).toBe(400);
  });
});
