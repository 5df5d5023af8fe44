import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { loadConfig } from '../../src/config/load.js';
import { isIdsyncError } from '../../src/domain/errors.js';
import type { Actor } from '../../src/domain/model.js';
import type { DomainView } from '../../src/services/signup/domains.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
const SETUP: Actor = { kind: 'system', label: 'test setup' };

/**
 * domains.ownerSignInProof: the daemon runs with it false (DNS proof only); the CLI runs against the
 * same store once with the default (true) and once with false, so both settings meet one store.
 */
describe.each(STORES)('domain proof by owner sign-in, switched off by config, on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_DOMAINS_OWNER_SIGN_IN_PROOF: 'false', IDSYNC_RECONCILE_SCHEDULER: 'false' });
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f?.dispose();
  });

  /** An org whose active owner signed in (identity linked) with an address at the domain, and a pending claim on it. */
  async function claimed(domain: string) {
    const { org } = await f.newOrg(`Proof ${domain}`);
    const owner = await f.daemon.services.members.create(org.id, { email: `boss@${domain}`, role: 'owner' }, SETUP);
    await f.daemon.store.updateMember(org.id, owner.id, (m) => ({
      next: { ...m, identities: [{ provider: 'google', subject: `g-${domain}`, email: `boss@${domain}` }] },
      audit: { orgId: org.id, actor: SETUP, action: 'member.identity_linked', target: { type: 'member', id: m.id } },
    }));
    expect((await api.call('post', `/orgs/${org.id}/domains`, provider, { domain })).status).toBe(201);
    return { org, owner };
  }

  it('when owner sign-in proof is off, then the API and the CLI refuse that method with domain.method_disabled naming the DNS record to publish, and the claim stays pending', async () => {
    // Arrange
    const { org } = await claimed('dnsonly.example');

    // Act
    const viaApi = await api.call<ErrorBody>('post', `/orgs/${org.id}/domains/dnsonly.example/verify`, provider, { method: 'owner_sign_in' });
    const viaCli = await cli(f.env, f.cwd, 'domains', 'verify', 'dnsonly.example', '--org', org.id, '--method', 'owner-sign-in');

    // Assert
    expect(viaApi.status).toBe(409);
    expect(viaApi.body.error.code).toBe('domain.method_disabled');
    expect(viaApi.body.error.message).toContain('_idsync.dnsonly.example');
    expect(viaApi.body.error.message).toContain('verify with method dns');
    expect(viaApi.body.error.details).toMatchObject({ domain: 'dnsonly.example', methods: ['dns'], record: { type: 'TXT', name: '_idsync.dnsonly.example' } });
    expect(viaCli.code).not.toBe(0);
    expect(viaCli.stderr).toContain('domain.method_disabled');
    expect(viaCli.stderr).toContain('idsync domains verify dnsonly.example');
    const claim = (await api.call<{ items: DomainView[] }>('get', `/orgs/${org.id}/domains`, provider)).body.items[0]!;
    expect(claim.status).toBe('pending');
    expect(await f.daemon.store.findVerifiedDomain('dnsonly.example')).toBeUndefined();
  });

  it('when owner sign-in proof is on (the default), then the same proof verifies the claim', async () => {
    // Arrange: the CLI with the default configuration, on the same store.
    const { org, owner } = await claimed('signedin.example');
    const { IDSYNC_DOMAINS_OWNER_SIGN_IN_PROOF: _off, ...defaults } = f.env;

    // Act
    const out = await cli(defaults, f.cwd, 'domains', 'verify', 'signedin.example', '--org', org.id, '--method', 'owner-sign-in', '--json');

    // Assert
    expect(out.stderr).toBe('');
    expect(out.json<DomainView>()).toMatchObject({ status: 'verified', method: 'owner_sign_in', verifiedByMemberId: owner.id });
    expect((await f.daemon.store.findVerifiedDomain('signedin.example'))?.orgId).toBe(org.id);
  });

  it('when the setting is not a boolean, then the configuration is refused at start, naming the key', () => {
    let err: unknown;
    try {
      loadConfig({ env: { ...f.env, IDSYNC_DOMAINS_OWNER_SIGN_IN_PROOF: 'sometimes' }, cwd: f.cwd });
    } catch (e) {
      err = e;
    }
    expect(isIdsyncError(err) && err.code).toBe('config.invalid');
    expect((err as Error).message).toContain('domains.ownerSignInProof');
  });
});
