import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent } from '../../src/domain/model.js';
import type { PublicGrant } from '../../src/services/support/service.js';
import { ApiClient } from '../support/api-client.js';
import { csrfOf, openConsole, type ConsoleClient } from '../support/console.js';
import { cli } from '../support/harness.js';
import { STORES } from '../support/scim.js';
import { startClockedInstall, type ClockedInstall } from '../support/support-install.js';

type ErrorBody = { error: { code: string; message: string } };

describe.each(STORES)('the console support access page on %s', (kind) => {
  let f: ClockedInstall;
  let api: ApiClient;
  let provider: string;
  beforeAll(async () => {
    f = await startClockedInstall(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  /** A console URL (the configured public URL) fetched from this daemon. */
  const local = (url: string) => `${f.daemon.url}${new URL(url).pathname}${new URL(url).search}`;
  const ownerConsole = async (orgId: string, orgKey: string): Promise<ConsoleClient> => {
    const link = await api.call<{ url: string }>('post', `/orgs/${orgId}/portal-links`, orgKey, {});
    return openConsole(f.daemon.url, local(link.body.url), `/console/orgs/${orgId}/support`);
  };
  const operatorConsole = async (landing: string): Promise<ConsoleClient> => {
    const link = (await cli(f.env, f.cwd, 'console-link', '--operator', '--json')).json<{ url: string }>().url;
    return openConsole(f.daemon.url, local(link), landing);
  };
  const audit = async (orgId: string) => (await f.daemon.store.listAudit(orgId, { limit: 1000 })) as AuditEvent[];

  it('when an owner requires consent, grants access, and revokes it after confirming, then each step goes through the support service, is audited with the session as actor, and the page shows live grants and history', async () => {
    // Arrange
    const { org, orgKey } = await f.newOrg('Globex');
    const c = await ownerConsole(org.id, orgKey);
    const page = await (await c.get(`/console/orgs/${org.id}/support`)).text();
    expect(page).toContain('<h1>Support access</h1>');
    expect(page).toContain('<strong>Open.</strong>');
    expect(page).toContain('aria-current="page">Support access</a>');

    // Act 1: consent.
    const set = await c.post(`/console/orgs/${org.id}/support/mode`, { mode: 'consent' });
    expect(set.status).toBe(200);
    expect(await set.text()).toContain("Support access now needs an owner's consent");
    expect((await api.call<ErrorBody>('get', `/orgs/${org.id}/members`, provider)).body.error.code).toBe('support.consent_required');

    // Act 2: a grant, after a refused one (hours out of range; no reason).
    const tooLong = await c.post(`/console/orgs/${org.id}/support/grants`, { hours: '721', reason: 'ticket 1' });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.text()).toContain('Hours must be a whole number from 1 to 720');
    const noReason = await c.post(`/console/orgs/${org.id}/support/grants`, { hours: '2', reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(await noReason.text()).toContain('reason is required');
    const granted = await c.post(`/console/orgs/${org.id}/support/grants`, { hours: '2', reason: 'ticket 4711' });
    expect(granted.status).toBe(200);
    const grantedPage = await granted.text();
    expect(grantedPage).toContain('Granted support access for ticket 4711');
    expect(grantedPage).toMatch(/<td role="cell" data-label="Time left">2 h 0 min left<\/td>/);
    expect((await api.call('get', `/orgs/${org.id}/members`, provider)).status).toBe(200);
    const [grant] = (await api.call<{ items: PublicGrant[] }>('get', `/orgs/${org.id}/support-grants`, orgKey)).body.items;
    expect(grant).toMatchObject({ reason: 'ticket 4711', state: 'active', grantedBy: { kind: 'portal' } });

    // Act 3: revoke: the first POST asks, the confirmed one revokes.
    const ask = await c.post(`/console/orgs/${org.id}/support/grants/${grant!.id}/revoke`, {});
    const askPage = await ask.text();
    expect(askPage).toContain('<h1 id="confirm-heading">Revoke the support grant for ticket 4711?</h1>');
    expect((await api.call<{ items: PublicGrant[] }>('get', `/orgs/${org.id}/support-grants`, orgKey)).body.items[0]!.state).toBe('active');
    const done = await c.post(`/console/orgs/${org.id}/support/grants/${grant!.id}/revoke`, { confirmed: 'yes' });
    const donePage = await done.text();
    expect(donePage).toContain('Revoked the grant for ticket 4711');
    expect(donePage).toContain('No live grant');
    expect(donePage).toMatch(/<td role="cell" data-label="Ended">revoked <time/);

    // Assert: refused again; one audit event per change, with the console session as actor.
    expect((await api.call<ErrorBody>('get', `/orgs/${org.id}/members`, provider)).body.error.code).toBe('support.consent_required');
    const events = await audit(org.id);
    for (const action of ['org.support_access_changed', 'support.granted', 'support.revoked']) {
      const found = events.filter((e) => e.action === action);
      expect(found).toHaveLength(1);
      expect(found[0]!.actor.kind).toBe('portal');
    }
  });

  it('when a POST to the page lacks the CSRF token, then nothing changes', async () => {
    const { org, orgKey } = await f.newOrg('Hooli');
    const c = await ownerConsole(org.id, orgKey);
    const r = await c.post(`/console/orgs/${org.id}/support/mode`, { mode: 'consent' }, { csrf: false });
    expect(r.status).toBe(403);
    expect((await f.daemon.store.getOrg(org.id))?.settings.supportAccess ?? 'open').toBe('open');
  });

  it("when the operator's console opens an org under consent without a grant, then its data pages show the precise refusal, the support page stays open, and a grant lets it in (audited with the grant id)", async () => {
    // Arrange
    const { org, orgKey } = await f.newOrg('Vandelay');
    expect((await api.call('put', `/orgs/${org.id}/support-access`, orgKey, { mode: 'consent' })).status).toBe(200);
    const op = await operatorConsole('/console/orgs');

    // Act + Assert: the refusal names what to do.
    for (const area of ['members', 'audit', 'scim', 'directory']) {
      const r = await op.get(`/console/orgs/${org.id}/${area}`);
      expect(r.status).toBe(403);
      const html = await r.text();
      expect(html).toContain("This organization&#39;s owners must consent to support access");
      expect(html).toContain(`organization ${org.id} allows support access only with an owner&#39;s consent`);
      expect(html).toContain(`href="/console/orgs/${org.id}/support"`);
    }
    const overview = await op.get(`/console/orgs/${org.id}`);
    expect(overview.status).toBe(200);
    expect(await overview.text()).toContain("allows support access only with an owner's consent, and no grant is live");
    const support = await op.get(`/console/orgs/${org.id}/support`);
    expect(support.status).toBe(200);
    const supportPage = await support.text();
    expect(supportPage).toContain('Only an owner of the organization can lift the consent requirement or grant access.');
    expect(supportPage).not.toContain('Grant access</button>');
    // The operator cannot consent for the org, nor lift consent, here either.
    const csrf = csrfOf(supportPage);
    expect(csrf).toBe(op.csrf);
    const tried = await op.post(`/console/orgs/${org.id}/support/grants`, { hours: '1', reason: 'self-service' });
    expect(tried.status).toBe(403);
    expect(await tried.text()).toContain('only an owner of the organization can grant support access');
    expect((await op.post(`/console/orgs/${org.id}/support/mode`, { mode: 'open' })).status).toBe(403);

    // Act 2: an owner grants; the operator's console gets in, each request audited with the grant.
    const grant = (await api.call<PublicGrant>('post', `/orgs/${org.id}/support-grants`, orgKey, { hours: 1, reason: 'ticket 77' })).body;
    expect((await op.get(`/console/orgs/${org.id}/members`)).status).toBe(200);
    expect(await (await op.get(`/console/orgs/${org.id}`)).text()).not.toContain('no grant is live');
    const used = (await audit(org.id)).filter((e) => e.action === 'support.access');
    expect(used.at(-1)).toMatchObject({ actor: { supportGrantId: grant.id }, after: { method: 'GET', path: `/console/orgs/${org.id}/members` } });

    // Act 3: the operator gives the grant up from its console (after confirming): refused again.
    await op.post(`/console/orgs/${org.id}/support/grants/${grant.id}/revoke`, { confirmed: 'yes' });
    expect((await op.get(`/console/orgs/${org.id}/members`)).status).toBe(403);
  });

  it("when the operator's console session opens the org under a grant, then it may not extend its own access", async () => {
    const { org, orgKey } = await f.newOrg('Pendant');
    expect((await api.call('put', `/orgs/${org.id}/support-access`, orgKey, { mode: 'consent' })).status).toBe(200);
    await api.call('post', `/orgs/${org.id}/support-grants`, orgKey, { hours: 1, reason: 'ticket 5' });
    // A portal link the operator asks for under the grant: its session acts as owner but names the grant.
    const link = await api.call<{ url: string }>('post', `/orgs/${org.id}/portal-links`, provider, {});
    const c = await openConsole(f.daemon.url, local(link.body.url), `/console/orgs/${org.id}/support`);
    const page = await (await c.get(`/console/orgs/${org.id}/support`)).text();
    expect(page).toContain('This session was opened under a support grant');
    const r = await c.post(`/console/orgs/${org.id}/support/grants`, { hours: '720', reason: 'longer' });
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('access under a support grant cannot grant support access');
    expect((await c.post(`/console/orgs/${org.id}/support/mode`, { mode: 'open' })).status).toBe(403);
    expect((await api.call<{ items: PublicGrant[] }>('get', `/orgs/${org.id}/support-grants`, orgKey)).body.items).toHaveLength(1);
  });
});
