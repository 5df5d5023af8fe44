import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent, Member } from '../../src/domain/model.js';
import type { PublicGrant } from '../../src/services/support/service.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { STORES } from '../support/scim.js';
import { startClockedInstall, type ClockedInstall } from '../support/support-install.js';
import { receiver, until } from '../support/webhook-receiver.js';
import { openConsole } from '../support/console.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
const HOUR = 3_600_000;

describe.each(STORES)('support access with consent on %s', (kind) => {
  let f: ClockedInstall;
  let api: ApiClient;
  let provider: string;
  let rx: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    f = await startClockedInstall(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    rx = await receiver();
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await rx.close();
    await f.dispose();
  });

  const used = (orgId: string) => rx.on(`/${orgId}`).filter((r) => r.event.type === 'support.access_used');

  it('when an owner asks for consent, then the operator is refused until a grant, acts under it (audited with its id, owners told once an hour), and is refused again after it expires', async () => {
    // Arrange: an org the operator can read today, with a webhook for support.access_used.
    const { org, orgKey } = await f.newOrg('Initech');
    expect((await api.call('get', `/orgs/${org.id}/members`, provider)).status).toBe(200);
    expect((await api.call('post', `/orgs/${org.id}/webhooks`, orgKey, { url: rx.url(`/${org.id}`), events: ['support.access_used'] })).status).toBe(201);

    // Act 1: the owner asks for consent; the operator may not lift it.
    const set = await api.call<{ settings: { supportAccess?: string } }>('put', `/orgs/${org.id}/support-access`, orgKey, { mode: 'consent' });
    expect(set.body.settings.supportAccess).toBe('consent');
    expect((await api.call<ErrorBody>('put', `/orgs/${org.id}/support-access`, provider, { mode: 'open' })).body.error.code).toBe('auth.forbidden');

    // Assert 1: member data refused with the way to get a grant; operational reads stay open.
    for (const path of ['members', 'invitations', 'connections', 'teams', 'role-mappings', 'audit']) {
      const r = await api.call<ErrorBody>('get', `/orgs/${org.id}/${path}`, provider);
      expect([path, r.status, r.body.error.code]).toEqual([path, 403, 'support.consent_required']);
      expect(r.body.error.message).toContain('idsync support-access grant --org');
    }
    expect((await api.call('post', `/orgs/${org.id}/members`, provider, { email: 'x@initech.test' })).status).toBe(403);
    expect((await api.call('get', `/orgs/${org.id}`, provider)).status).toBe(200);
    expect((await api.call<{ items: { id: string }[] }>('get', '/orgs?limit=1000', provider)).body.items.map((o) => o.id)).toContain(org.id);
    expect((await api.call('get', `/orgs/${org.id}/access?email=owner@initech.test`, provider)).status).toBe(200);
    expect((await fetch(`${f.daemon.url}/healthz`)).status).toBe(200);
    expect((await api.call('get', `/orgs/${org.id}/members`, orgKey)).status).toBe(200);
    expect((await api.call<ErrorBody>('post', `/orgs/${org.id}/support-grants`, provider, { hours: 2, reason: 'self-serve' })).body.error.code).toBe('auth.forbidden');

    // Act 2: the owner grants two hours; the operator reads and adds a member.
    const grant = (await api.call<PublicGrant>('post', `/orgs/${org.id}/support-grants`, orgKey, { hours: 2, reason: 'ticket 42' })).body;
    expect(grant).toMatchObject({ state: 'active', reason: 'ticket 42' });
    expect((await api.call('get', `/orgs/${org.id}/members`, provider)).status).toBe(200);
    const added = await api.call<Member>('post', `/orgs/${org.id}/members`, provider, { email: 'helper@initech.test' });
    expect(added.status).toBe(201);

    // Assert 2: every request is audited with the grant id, the change too; one webhook so far.
    const audit = (await api.call<{ items: AuditEvent[] }>('get', `/orgs/${org.id}/audit?limit=1000`, orgKey)).body.items;
    const requests = audit.filter((e) => e.action === 'support.access');
    expect(requests.map((e) => [e.actor.supportGrantId, (e.after as { method: string }).method])).toEqual([
      [grant.id, 'GET'],
      [grant.id, 'POST'],
    ]);
    expect(audit.find((e) => e.action === 'member.created' && e.target.id === added.body.id)?.actor).toMatchObject({ kind: 'admin', supportGrantId: grant.id });
    expect(audit.filter((e) => e.action === 'support.access_used')).toHaveLength(1);
    const first = await until('support.access_used webhook', () => (used(org.id).length === 1 ? used(org.id) : undefined));
    expect(first[0]!.event.data).toMatchObject({ after: { grantId: grant.id, reason: 'ticket 42' } });

    // Act 3: within the hour, no second notice; past it, one more.
    f.clock.offsetMs += 30 * 60_000;
    expect((await api.call('get', `/orgs/${org.id}/teams`, provider)).status).toBe(200);
    f.clock.offsetMs += 31 * 60_000;
    expect((await api.call('get', `/orgs/${org.id}/teams`, provider)).status).toBe(200);
    await until('a second support.access_used an hour later', () => used(org.id).length === 2 || undefined);

    // Act 4: the grant runs out.
    f.clock.offsetMs += HOUR;
    const expired = await api.call<ErrorBody>('get', `/orgs/${org.id}/members`, provider);

    // Assert 4
    expect(expired.body.error.code).toBe('support.consent_required');
    const list = (await api.call<{ items: PublicGrant[] }>('get', `/orgs/${org.id}/support-grants`, provider)).body.items;
    expect(list.map((g) => [g.id, g.state])).toEqual([[grant.id, 'expired']]);
    expect(used(org.id)).toHaveLength(2);
  });

  it('when the owner revokes a grant (given with the CLI and the org key), then the operator is refused at once, and only the owner can lift consent', async () => {
    const { org, orgKey } = await f.newOrg('Hooli');
    expect((await cli(f.env, f.cwd, 'support-access', 'mode', '--org', org.id, '--set', 'consent')).code).toBe(0);
    const refused = await cli(f.env, f.cwd, 'support-access', 'grant', '--org', org.id, '--hours', '4', '--reason', 'no key');
    expect(refused.stderr).toContain('auth.forbidden');
    const granted = await cli({ ...f.env, IDSYNC_ADMIN_KEY: orgKey }, f.cwd, 'support-access', 'grant', '--org', org.id, '--hours', '4', '--reason', 'ticket 7', '--json');
    expect(granted.code).toBe(0);
    const grant = granted.json<PublicGrant>();
    expect((await api.call('get', `/orgs/${org.id}/members`, provider)).status).toBe(200);

    expect((await api.call<PublicGrant>('post', `/orgs/${org.id}/support-grants/${grant.id}/revoke`, orgKey)).body.state).toBe('revoked');
    expect((await api.call<ErrorBody>('get', `/orgs/${org.id}/members`, provider)).body.error.code).toBe('support.consent_required');
    expect((await api.call<ErrorBody>('post', `/orgs/${org.id}/support-grants/nope/revoke`, orgKey)).body.error.code).toBe('support.grant_not_found');
    const listed = await cli(f.env, f.cwd, 'support-access', 'list', '--org', org.id);
    expect(listed.stdout).toMatch(new RegExp(`${grant.id}\\s+revoked`));

    expect((await cli(f.env, f.cwd, 'support-access', 'mode', '--org', org.id, '--set', 'open')).stderr).toContain('auth.forbidden');
    expect((await api.call('put', `/orgs/${org.id}/support-access`, orgKey, { mode: 'open' })).status).toBe(200);
    expect((await api.call('get', `/orgs/${org.id}/members`, provider)).status).toBe(200);
  });
  it("when the operator opens an org's console under consent, then a grant is needed and the session ends with it", async () => {
    const { org, orgKey } = await f.newOrg('Massive');
    expect((await api.call('put', `/orgs/${org.id}/support-access`, orgKey, { mode: 'consent' })).status).toBe(200);
    // The operator's console view: a console link asked for with provider standing (API key or CLI).
    expect((await api.call<ErrorBody>('post', `/orgs/${org.id}/portal-links`, provider, {})).body.error.code).toBe('support.consent_required');
    expect((await cli(f.env, f.cwd, 'console-link', '--org', org.id)).stderr).toContain('support.consent_required');

    const grant = (await api.call<PublicGrant>('post', `/orgs/${org.id}/support-grants`, orgKey, { hours: 1, reason: 'ticket 9' })).body;
    const link = await api.call<{ url: string }>('post', `/orgs/${org.id}/portal-links`, provider, {});
    expect(link.status).toBe(201);
    const local = `${f.daemon.url}${new URL(link.body.url).pathname}${new URL(link.body.url).search}`;
    const members = `/console/orgs/${org.id}/members`;
    const c = await openConsole(f.daemon.url, local, members);
    expect((await c.get(members)).status).toBe(200);

    await api.call('post', `/orgs/${org.id}/support-grants/${grant.id}/revoke`, orgKey);
    expect((await c.get(members)).status).toBe(401);
    // An owner's own console link is not affected.
    const own = await api.call<{ url: string }>('post', `/orgs/${org.id}/portal-links`, orgKey, {});
    const mine = await openConsole(f.daemon.url, `${f.daemon.url}${new URL(own.body.url).pathname}${new URL(own.body.url).search}`, members);
    expect((await mine.get(members)).status).toBe(200);
  });
});
