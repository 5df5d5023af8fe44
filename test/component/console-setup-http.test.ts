import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { cli } from '../support/harness.js';
import { openConsole, startConsoleInstall, type ConsoleClient, type ConsoleInstall } from '../support/console.js';

describe.each(['sqlite', 'redis'] as const)('the setup portal pages over HTTP: CSRF, the service limits, precise refusals (%s)', (storeKind) => {
  let install: ConsoleInstall;
  let base: string;
  let org: Organization;
  let c: ConsoleClient;

  beforeAll(async () => {
    install = await startConsoleInstall(storeKind);
    base = install.env.IDSYNC_PUBLIC_URL!;
    org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Setupco', '--json')).json<Organization>();
    const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--intent', 'all', '--json');
    c = await openConsole(base, r.json<{ url: string }>().url, `/console/orgs/${org.id}/scim`);
  }, 30_000);
  afterAll(async () => {
    await install?.dispose();
  });

  it('when a setup form comes without the session CSRF token, then it is refused with 403 and nothing is created, revoked or verified', async () => {
    const p = `/console/orgs/${org.id}`;
    for (const [path, fields] of [
      [`${p}/scim/tokens`, { label: 'forged' }],
      [`${p}/scim/clients`, { label: 'forged' }],
      [`${p}/links`, { role: 'member' }],
      [`${p}/audit/verify`, {}],
    ] as const) {
      const r = await c.post(path, fields, { csrf: false });
      expect([path, r.status]).toEqual([path, 403]);
      expect(await r.text()).toContain('This form could not be accepted');
    }
    expect(await install.daemon.store.listScimTokens(org.id)).toEqual([]);
    expect(await install.daemon.store.listScimClients(org.id)).toEqual([]);
    expect((await install.daemon.store.listInviteLinks(org.id)).items).toEqual([]);
  });

  it('when a third live token is asked for, then the page says two is the limit (409) and lists the two; bad link limits are refused by name', async () => {
    expect((await c.post(`/console/orgs/${org.id}/scim/tokens`, { label: 'one' })).status).toBe(200);
    expect((await c.post(`/console/orgs/${org.id}/scim/tokens`, { label: 'two' })).status).toBe(200);
    const third = await c.post(`/console/orgs/${org.id}/scim/tokens`, { label: 'three' });
    expect(third.status).toBe(409);
    const html = await third.text();
    expect(html).toContain('Not done: organization');
    expect(html).toContain('already has 2 live SCIM tokens; revoke one first');
    expect((await install.daemon.store.listScimTokens(org.id)).map((t) => t.label)).toEqual(['one', 'two']);

    const bad = await c.post(`/console/orgs/${org.id}/links`, { role: 'member', maxUses: 'ten' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Not done: maxUses must be a whole number');
    const domain = await c.post(`/console/orgs/${org.id}/links`, { role: 'member', allowedDomains: 'not a domain!' });
    expect(domain.status).toBe(400);
    expect((await install.daemon.store.listInviteLinks(org.id)).items).toEqual([]);
  });

  it('when a token revoke is posted without confirmation, then it only asks; confirmed, it revokes; an unknown token is refused by name', async () => {
    // The test before left two live tokens: make room for one more.
    for (const t of await install.daemon.store.listScimTokens(org.id)) if (!t.revokedAt) await install.daemon.services.credentials.revokeScimToken(org.id, t.id, { kind: 'system' });
    const { record } = await install.daemon.services.credentials.createScimToken(org.id, { kind: 'system', label: 'test setup' }, 'to-revoke');
    const ask = await c.post(`/console/orgs/${org.id}/scim/tokens/${record.id}/revoke`, {});
    expect(ask.status).toBe(200);
    expect(await ask.text()).toContain('<h1 id="confirm-heading">Revoke the token to-revoke?</h1>');
    expect((await install.daemon.store.listScimTokens(org.id)).find((t) => t.id === record.id)?.revokedAt).toBeUndefined();
    const done = await c.post(`/console/orgs/${org.id}/scim/tokens/${record.id}/revoke`, { confirmed: 'yes' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Revoked the token to-revoke');
    expect((await install.daemon.store.listScimTokens(org.id)).find((t) => t.id === record.id)?.revokedAt).toBeDefined();
    const unknown = await c.post(`/console/orgs/${org.id}/scim/tokens/nope/revoke`, {});
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toContain('Not done: SCIM token nope not found');
  });

  it('when a team link is created from the members page, then it is for that team, its limits show, and a directory that is not the org\'s is refused', async () => {
    const team = await install.daemon.services.teams.create(org.id, { displayName: 'Platform' }, { kind: 'system', label: 'test setup' });
    const r = await c.post(`/console/orgs/${org.id}/links`, { teamId: team.id, role: 'member', maxUses: '3', allowedDomains: 'setup.example, other.example' });
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('Created an open invite link for team Platform.');
    expect(html).toMatch(/<td role="cell" data-label="For">Team Platform<\/td>/);
    expect(html).toContain('<td role="cell" data-label="Uses">0 of 3</td>');
    expect(html).toContain('<td role="cell" data-label="Email domains">setup.example, other.example</td>');
    const [link] = (await install.daemon.store.listInviteLinks(org.id)).items;
    expect([link?.teamId, link?.maxUses, link?.allowedDomains]).toEqual([team.id, 3, ['setup.example', 'other.example']]);
    const gated = await c.post(`/console/orgs/${org.id}/links`, { role: 'member', directoryConnectionId: 'not-ours' });
    expect(gated.status).toBe(404);
    expect(await gated.text()).toContain('Not done: connection not-ours not found');
  });

  it('when the log holds more errors than a page, then "Older entries" continues with the rest and "Newest entries" goes back', async () => {
    for (const t of await install.daemon.store.listScimTokens(org.id)) if (!t.revokedAt) await install.daemon.services.credentials.revokeScimToken(org.id, t.id, { kind: 'system' });
    const { token } = await install.daemon.services.credentials.createScimToken(org.id, { kind: 'system', label: 'test setup' }, 'pager');
    for (let i = 0; i < 27; i += 1) {
      const r = await fetch(`${base}/scim/v2/Users`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json' }, body: JSON.stringify({ userName: `u${i}@setup.example`, active: 'maybe' }) });
      expect(r.status).toBe(400);
    }
    for (let i = 0; i < 40 && (await install.daemon.store.listScimLog(org.id, { limit: 100 })).items.length < 27; i += 1) await new Promise((r) => setTimeout(r, 250));
    const rows = (html: string) => (html.match(/<code>POST \/Users<\/code>/g) ?? []).length;
    const first = await (await c.get(`/console/orgs/${org.id}/scim`)).text();
    expect(rows(first)).toBe(25);
    const older = /<a href="([^"]+)">Older entries<\/a>/.exec(first)?.[1]?.replaceAll('&amp;', '&');
    expect(older).toBeDefined();
    const second = await (await c.get(older!.replace(/#.*$/, ''))).text();
    expect(rows(second)).toBe(2);
    expect(second).not.toContain('>Older entries<');
    expect(second).toContain('>Newest entries<');
  });

  it('when the audit page is asked for a date that is not one, or a cursor, then it answers 400 with the reason or the older page', async () => {
    const bad = await c.get(`/console/orgs/${org.id}/audit?to=31/12/2026`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toContain('Filters not applied: To must be a date such as 2026-03-01');
    const older = await c.get(`/console/orgs/${org.id}/audit?before=2`);
    expect(older.status).toBe(200);
    const html = await older.text();
    expect(html).toContain('<code>org.created</code>');
    expect(html).not.toContain('<code>scim_token.created</code>');
  });
});
