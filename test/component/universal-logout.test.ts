import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { continueLink } from '../support/console.js';
import { cli, startTestDaemon } from '../support/harness.js';
import { localIssuer } from '../support/okta-issuer.js';
import { scimFixture, STORES, USER } from '../support/scim.js';
import { CAEP_SESSION_REVOKED, pushReceiver, SetVerifier } from '../support/ssf-receiver.js';
import { receiver, until } from '../support/webhook-receiver.js';

const ISSUER = 'https://idsync.example.com';
const FAST = { IDSYNC_WEBHOOK_POLL_MS: '50', IDSYNC_WEBHOOK_RETRY_BASE_MS: '50' };

type ErrorBody = { error: { code: string; message: string } };
type Settings = { issuer: string; jwksUri: string; audience: string; endpoint: string };

describe.each(STORES)('Okta Universal Logout on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let idp: Awaited<ReturnType<typeof localIssuer>>;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  let rx: Awaited<ReturnType<typeof pushReceiver>>;
  let a: Awaited<ReturnType<Awaited<ReturnType<typeof scimFixture>>['newOrg']>>;
  let org: Organization;
  let key: string;
  let endpoint: string;

  /** POSTs to the org's revocation endpoint as Okta does: a bearer JWT and a JSON body. */
  const logout = async (body: unknown, token: string | undefined, orgId = org.id) => {
    const res = await fetch(`${f.daemon.url}/global-token-revocation/${orgId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as ErrorBody | undefined };
  };
  const signed = (over: Parameters<typeof idp.sign>[0] extends infer C ? Partial<C> : never = {}) => idp.sign({ aud: endpoint, ...over });
  const member = async (email: string, role = 'member') => (await api.call<Member>('post', `/orgs/${org.id}/members`, key, { email, role })).body;

  beforeAll(async () => {
    f = await scimFixture(kind, FAST);
    api = await ApiClient.connect(f.daemon.url);
    idp = await localIssuer();
    hooks = await receiver();
    a = await f.newOrg('Logout A');
    org = a.org;
    key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>().key;
    const verifier = new SetVerifier(`${f.daemon.url}/ssf/jwks.json`, ISSUER, 'urn:host');
    rx = await pushReceiver(() => verifier, 'Bearer host');
    const stream = await fetch(`${f.daemon.url}/ssf/stream`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rx.url, authorization_header: 'Bearer host' }, aud: 'urn:host' }),
    });
    expect(stream.status).toBe(201);
    expect((await api.call('post', `/orgs/${org.id}/webhooks`, key, { url: hooks.url('/hook'), events: ['member.sessions_revoked'] })).status).toBe(201);
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await rx.close();
    await hooks.close();
    await idp.close();
    await f.dispose();
  });

  it('when an owner sets Universal Logout up, then the settings default the audience to the endpoint, are audited, and bad URLs are refused naming the field', async () => {
    expect((await api.call<ErrorBody>('get', `/orgs/${org.id}/universal-logout`, key)).body.error.code).toBe('universal_logout.not_configured');
    const bad = await api.call<ErrorBody>('put', `/orgs/${org.id}/universal-logout`, key, { issuer: 'http://acme.okta.example' });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'request.invalid']);
    expect(bad.body.error.message).toContain('issuer');
    const set = await api.call<Settings>('put', `/orgs/${org.id}/universal-logout`, key, { issuer: `${idp.url}/`, jwksUri: idp.jwksUri });
    expect(set.status).toBe(200);
    endpoint = set.body.endpoint;
    expect(set.body).toMatchObject({ issuer: idp.url, jwksUri: idp.jwksUri, audience: `${ISSUER}/global-token-revocation/${org.id}`, endpoint: `${ISSUER}/global-token-revocation/${org.id}` });
    expect((await api.call<Settings>('get', `/orgs/${org.id}/universal-logout`, key)).body.audience).toBe(endpoint);
    const trail = (await api.call<{ items: { action: string; after: unknown }[] }>('get', `/orgs/${org.id}/audit?action=org.universal_logout_configured`, key)).body.items;
    expect(trail.map((x) => x.after)).toEqual([{ issuer: idp.url, jwksUri: idp.jwksUri, audience: endpoint }]);
    const shown = (await cli(f.env, f.cwd, 'universal-logout', 'show', '--org', org.id, '--json')).json<Settings>();
    expect(shown).toMatchObject({ issuer: idp.url, endpoint });
  });

  it('when Okta logs a person out by email, then 204, their console session ends, and the webhook and a verified CAEP session-revoked SET follow', async () => {
    const pat = await member('pat@logout-a.example', 'owner');
    // The host product opens the console for Pat: the session is Pat's.
    const link = (await api.call<{ url: string }>('post', `/orgs/${org.id}/portal-links`, key, { intent: 'members' }, { 'x-idsync-acting-member': pat.id })).body;
    const start = await continueLink(link.url.replace(ISSUER, f.daemon.url));
    const cookie = start.headers.getSetCookie().find((c) => /idsync_console=/.test(c))!.split(';')[0]!;
    const page = () => fetch(`${f.daemon.url}/console/orgs/${org.id}/members`, { headers: { cookie }, redirect: 'manual' });
    expect((await page()).status).toBe(200);

    const res = await logout({ sub_id: { format: 'email', email: 'PAT@logout-a.example' } }, await signed());
    expect(res.status).toBe(204);
    expect((await page()).status).not.toBe(200);

    const hook = await until('member.sessions_revoked webhook', () => hooks.on('/hook').find((h) => h.event.type === 'member.sessions_revoked'));
    expect(hook.event.data).toMatchObject({ target: { type: 'member', id: pat.id }, source: 'universal_logout', after: { sessionsRevoked: 1, emails: ['pat@logout-a.example'] } });
    expect(hook.headers['webhook-signature']).toMatch(/^v1,/);
    const set = await until('CAEP session-revoked', () => rx.got.find((s) => s.memberId === pat.id && s.event === CAEP_SESSION_REVOKED));
    expect(set).toMatchObject({ email: 'pat@logout-a.example', tenant: org.id, payload: { initiating_entity: 'system' } });
    expect(String((set.payload.reason_admin as { en: string }).en)).toBe(`Universal Logout from ${idp.url} (source: universal_logout)`);
    // Sessions end; the account stays active (only session-revoked, no account-disabled).
    expect((await api.call<Member>('get', `/orgs/${org.id}/members/${pat.id}`, key)).body.status).toBe('active');
    expect(rx.got.filter((s) => s.memberId === pat.id).map((s) => s.event)).toEqual([CAEP_SESSION_REVOKED]);
    expect(rx.refused).toEqual([]);
  });

  it('when the subject is someone invited but not joined, then their pending invitation is withdrawn (204); nobody at all is 404', async () => {
    const inv = await api.call<{ invitation: { id: string } }>('post', `/orgs/${org.id}/invitations`, key, { email: 'ivy@logout-a.example' });
    expect(inv.status).toBe(201);
    expect((await logout({ sub_id: { format: 'email', email: 'ivy@logout-a.example' } }, await signed())).status).toBe(204);
    const revoked = (await api.call<{ items: { id: string; status: string; endReason?: string }[] }>('get', `/orgs/${org.id}/invitations?status=revoked`, key)).body.items;
    expect(revoked.find((i) => i.id === inv.body.invitation.id)).toMatchObject({ status: 'revoked', endReason: `Universal Logout from ${idp.url}` });
    const nobody = await logout({ sub_id: { format: 'email', email: 'nobody@logout-a.example' } }, await signed());
    expect([nobody.status, nobody.body?.error.code]).toEqual([404, 'universal_logout.person_not_found']);
  });

  it("when Okta names the person by issuer and subject in its own body shape, then the member it provisioned (externalId) is found and their pending invitation withdrawn", async () => {
    // Sam was invited at a home address before Okta provisioned Sam with both addresses.
    const inv = (await api.call<{ invitation: { id: string } }>('post', `/orgs/${org.id}/invitations`, key, { email: 'sam.home@logout-a.example' })).body.invitation;
    const scimUser = (
      await a.scim.post<{ id: string }>('/Users', {
        schemas: [USER],
        userName: 'sam@logout-a.example',
        externalId: '00uSAM',
        emails: [{ value: 'sam@logout-a.example', primary: true }, { value: 'sam.home@logout-a.example' }],
      })
    ).body;
    expect((await logout({ subject: { format: 'iss_sub', iss: `${idp.url}/`, sub: '00uSAM' } }, await signed())).status).toBe(204);
    const events = (await api.call<{ items: { target: { id: string }; evidence: unknown; after: { invitationsWithdrawn: string[] } }[] }>('get', `/orgs/${org.id}/audit?action=member.sessions_revoked&target=${scimUser.id}`, key)).body.items;
    expect(events).toHaveLength(1);
    expect(events[0]!.evidence).toMatchObject({ issuer: idp.url, subjectFormat: 'iss_sub' });
    expect(events[0]!.after.invitationsWithdrawn).toEqual([inv.id]);
    const revoked = (await api.call<{ items: { id: string; endReason?: string }[] }>('get', `/orgs/${org.id}/invitations?status=revoked`, key)).body.items;
    expect(revoked.find((i) => i.id === inv.id)?.endReason).toBe(`Universal Logout from ${idp.url}`);
    // idsync's own id under idsync's issuer, and the opaque form, name the same person.
    expect((await logout({ sub_id: { format: 'iss_sub', iss: ISSUER, sub: scimUser.id } }, await signed())).status).toBe(204);
    expect((await logout({ sub_id: { format: 'opaque', id: scimUser.id } }, await signed())).status).toBe(204);
    expect((await logout({ sub_id: { format: 'iss_sub', iss: 'https://other-idp.example', sub: '00uSAM' } }, await signed())).status).toBe(404);
    // A service account is nobody's person.
    const svc = (await api.call<{ account: { id: string } }>('post', `/orgs/${org.id}/service-accounts`, key, { name: 'ci-bot' })).body.account;
    expect((await logout({ sub_id: { format: 'opaque', id: svc.id } }, await signed())).status).toBe(404);
  });

  it('when the token is expired, for another audience, signed by an unknown key or used twice, then 401 universal_logout.token_invalid with WWW-Authenticate', async () => {
    await member('kim@logout-a.example');
    const body = { sub_id: { format: 'email', email: 'kim@logout-a.example' } };
    const refused = async (token: string | undefined, why: RegExp, orgId?: string) => {
      const r = await logout(body, token, orgId);
      expect([r.status, r.body?.error.code]).toEqual([401, 'universal_logout.token_invalid']);
      expect(r.body!.error.message).toMatch(why);
      expect(r.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    };
    await refused(await signed({ expIn: -120, iatIn: -400 }), /exp/);
    await refused(await signed({ iatIn: 600, expIn: 900 }), /iat/);
    await refused(await signed({ aud: 'https://someone-else.example' }), /aud/);
    await refused(await signed({ iss: 'https://evil.example' }), /iss/);
    await refused(await signed({ unpublished: true }), /signature/);
    const before = idp.fetches();
    await new Promise((r) => setTimeout(r, 1100));
    await refused(await signed({ kid: 'never-published', unpublished: true }), /kid/);
    expect(idp.fetches()).toBe(before + 1);
    await refused(undefined, /bearer/);
    const other = await f.newOrg('Logout B');
    await refused(await signed(), /not set up/, other.org.id);
    const once = await signed();
    expect((await logout(body, once)).status).toBe(204);
    await refused(once, /already used/);
  });

  if (kind !== 'sqlite') {
    it(`when two replicas share the ${kind} store, then a token replayed to the other replica is refused there too`, async () => {
      await member('rex@logout-a.example');
      const second = await startTestDaemon(f.env, f.cwd);
      try {
        const body = JSON.stringify({ sub_id: { format: 'email', email: 'rex@logout-a.example' } });
        const token = await signed();
        const post = (base: string) => fetch(`${base}/global-token-revocation/${org.id}`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body });
        const [one, two] = await Promise.all([post(f.daemon.url), post(second.url)]);
        expect([one.status, two.status].sort()).toEqual([204, 401]);
        expect((await post(second.url)).status).toBe(401);
      } finally {
        await second.stop();
      }
    });
  }

  it('when the issuer rotates its key, then a token with the new kid is accepted after the JWKS is fetched again', async () => {
    await member('rio@logout-a.example');
    await new Promise((r) => setTimeout(r, 1100));
    await idp.rotate('k2');
    const before = idp.fetches();
    expect((await logout({ sub_id: { format: 'email', email: 'rio@logout-a.example' } }, await signed({ kid: 'k2' }))).status).toBe(204);
    expect(idp.fetches()).toBe(before + 1);
    expect((await logout({ sub_id: { format: 'email', email: 'rio@logout-a.example' } }, await signed({ kid: 'k1' }))).status).toBe(204);
    expect(idp.fetches()).toBe(before + 1);
  });

  it('when the subject is malformed or of an unsupported format, then 400 universal_logout.subject_invalid (after the token checked out)', async () => {
    const bad = async (body: unknown, code = 'universal_logout.subject_invalid') => {
      const r = await logout(body, await signed());
      expect([r.status, r.body?.error.code]).toEqual([400, code]);
    };
    await bad({ sub_id: { format: 'phone_number', phone_number: '+15555550100' } });
    await bad({ sub_id: { format: 'email' } });
    await bad({ sub_id: { format: 'email', email: 'not-an-email' } });
    await bad({});
    await bad({ sub_id: { format: 'opaque', id: 'x' }, subject: { format: 'opaque', id: 'y' } });
    await bad('{"sub_id": ', 'request.invalid');
    // A bad token is 401 whatever the body.
    expect((await logout('{"sub_id": ', await signed({ aud: 'urn:wrong' }))).status).toBe(401);
  });

  it('when Universal Logout is removed, then the endpoint refuses every request', async () => {
    expect((await cli(f.env, f.cwd, 'universal-logout', 'remove', '--org', org.id)).code).toBe(0);
    expect((await logout({ sub_id: { format: 'email', email: 'kim@logout-a.example' } }, await signed())).status).toBe(401);
    expect((await api.call('delete', `/orgs/${org.id}/universal-logout`, key)).status).toBe(404);
    const metrics = await (await fetch(`${f.daemon.url}/metrics`)).text();
    for (const outcome of ['revoked', 'invitations_withdrawn', 'token_invalid', 'subject_invalid', 'person_not_found']) {
      expect(metrics).toMatch(new RegExp(`idsync_universal_logout_requests_total\\{outcome="${outcome}"\\} [1-9]`));
    }
  });
});

describe('Okta Universal Logout during a store outage (postgres)', () => {
  it('when PostgreSQL is down, then a valid call answers 503 store.unavailable with Retry-After, and works once it is back', async () => {
    const f = await scimFixture('postgres');
    const idp = await localIssuer();
    try {
      const { org } = await f.newOrg('Outage Logout');
      const set = await cli(f.env, f.cwd, 'universal-logout', 'set', '--org', org.id, '--issuer', idp.url, '--jwks-uri', idp.jwksUri, '--json');
      const endpoint = set.json<Settings>().endpoint;
      expect(endpoint).toBe(`${ISSUER}/global-token-revocation/${org.id}`);
      await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', 'olga@outage.example');
      const call = async () =>
        fetch(`${f.daemon.url}/global-token-revocation/${org.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${await idp.sign({ aud: endpoint })}` },
          body: JSON.stringify({ sub_id: { format: 'email', email: 'olga@outage.example' } }),
        });
      await f.postgres!.stop();
      const during = await call();
      expect(during.status).toBe(503);
      expect(during.headers.get('retry-after')).toBeTruthy();
      expect(((await during.json()) as ErrorBody).error.code).toBe('store.unavailable');
      await f.postgres!.start();
      await until('the store answers again', async () => (await fetch(`${f.daemon.url}/readyz`)).status === 200, 15_000);
      expect((await call()).status).toBe(204);
    } finally {
      await idp.close();
      await f.dispose();
    }
  });
});

describe('Okta Universal Logout and failed authentication (sqlite)', () => {
  it('when an address sends more bad tokens than server.authFailuresPerMinute, then it gets 429 auth.throttled with Retry-After, and a valid token still passes', async () => {
    const f = await scimFixture('sqlite', { IDSYNC_AUTH_FAILURES_PER_MINUTE: '2' });
    const idp = await localIssuer();
    try {
      const { org } = await f.newOrg('Throttled Logout');
      const endpoint = (await cli(f.env, f.cwd, 'universal-logout', 'set', '--org', org.id, '--issuer', idp.url, '--jwks-uri', idp.jwksUri, '--json')).json<Settings>().endpoint;
      await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', 'tom@throttle.example');
      const call = (token: string) =>
        fetch(`${f.daemon.url}/global-token-revocation/${org.id}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ sub_id: { format: 'email', email: 'tom@throttle.example' } }),
        });
      const bad = () => idp.sign({ aud: 'urn:not-this-endpoint' });
      expect((await call(await bad())).status).toBe(401);
      expect((await call(await bad())).status).toBe(401);
      const throttled = await call(await bad());
      expect(throttled.status).toBe(429);
      expect(Number(throttled.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await throttled.json()) as ErrorBody).error.code).toBe('auth.throttled');
      expect((await call(await idp.sign({ aud: endpoint }))).status).toBe(204);
      expect(await (await fetch(`${f.daemon.url}/metrics`)).text()).toContain('surface="universal_logout"');
    } finally {
      await idp.close();
      await f.dispose();
    }
  });
});
