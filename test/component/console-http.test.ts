import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Organization } from '../../src/domain/model.js';
import { cli } from '../support/harness.js';
import { continueFormOf, continueLink, openConsole, startConsoleInstall, type ConsoleInstall } from '../support/console.js';

const OPERATOR = { kind: 'system' as const, label: 'test setup' };

describe.each(['sqlite', 'redis'] as const)('console sessions and portal links over HTTP (%s)', (storeKind) => {
  let install: ConsoleInstall;
  let base: string;

  beforeAll(async () => {
    install = await startConsoleInstall(storeKind);
    base = install.env.IDSYNC_PUBLIC_URL!;
  }, 30_000);
  afterAll(async () => {
    await install?.dispose();
  });

  const link = async (orgId: string, intent = 'all') => {
    const r = await cli(install.env, install.cwd, 'console-link', '--org', orgId, '--intent', intent, '--json');
    expect(r.code).toBe(0);
    return r.json<{ url: string; expiresAt: string }>();
  };

  it('when the operator prints a console link and it is opened, then a strict session cookie is set, the token leaves the address bar, and a second opening is refused', async () => {
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Linkco', '--json')).json<Organization>();
    const { url, expiresAt } = await link(org.id);
    expect(url).toMatch(new RegExp(`^${base}/console/start\\?token=idsync_portal_[A-Za-z0-9_-]{43}$`));
    expect(Date.parse(expiresAt) - Date.now()).toBeGreaterThan(4 * 60_000);

    const start = await continueLink(url);
    expect(start.status).toBe(200);
    const [cookie] = start.headers.getSetCookie();
    expect(cookie).toMatch(/^idsync_console=idsync_cs_[A-Za-z0-9_-]+; Max-Age=21600; Path=\/; Expires=.+; HttpOnly; SameSite=Strict$/);
    expect(start.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(start.headers.get('referrer-policy')).toBe('no-referrer');
    expect(await start.text()).toContain(`<meta http-equiv="refresh" content="0;url=/console/orgs/${org.id}/members">`);

    const again = await continueLink(url);
    expect(again.status).toBe(409);
    expect(await again.text()).toContain('This console link was already used');
    expect(again.headers.getSetCookie()).toEqual([]);
  });

  it('when a link scanner or a chat preview fetches a link twice, then nothing is consumed and the person who clicks Continue still gets the session', async () => {
    // Arrange
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Scanco', '--json')).json<Organization>();
    const { url } = await link(org.id, 'members');

    // Act: two GETs, as a mail security scanner and a chat unfurler make.
    const scans = [await fetch(url, { redirect: 'manual' }), await fetch(url, { redirect: 'manual' })];

    // Assert: a page with a button, no session, no consumption; then the POST starts the session once.
    for (const scan of scans) {
      expect(scan.status).toBe(200);
      expect(scan.headers.getSetCookie()).toEqual([]);
      expect(scan.headers.get('cache-control')).toBe('no-store');
      expect(scan.headers.get('referrer-policy')).toBe('no-referrer');
      const html = await scan.text();
      expect(continueFormOf(html)).toEqual({ action: '/console/start', token: new URL(url).searchParams.get('token') });
      expect(html).not.toContain('http-equiv="refresh"');
    }
    const person = await continueLink(url);
    expect(person.status).toBe(200);
    expect(person.headers.getSetCookie()[0]).toMatch(/^idsync_console=idsync_cs_/);
    const cookie = person.headers.getSetCookie()[0]!.split(';')[0]!;
    expect((await fetch(`${base}/console/orgs/${org.id}/members`, { headers: { cookie } })).status).toBe(200);
    expect((await continueLink(url)).status).toBe(409);
  });

  it('when another site posts a console link from its own page, then it is refused and the link still opens for the person', async () => {
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Crossco', '--json')).json<Organization>();
    const { url } = await link(org.id);

    for (const site of ['cross-site', 'same-site']) {
      const refused = await continueLink(url, { 'sec-fetch-site': site });
      expect(refused.status).toBe(403);
      expect(await refused.text()).toContain('This form could not be accepted');
      expect(refused.headers.getSetCookie()).toEqual([]);
    }

    const sameOrigin = await continueLink(url, { 'sec-fetch-site': 'same-origin' });
    expect(sameOrigin.status).toBe(200);
    expect(sameOrigin.headers.getSetCookie()[0]).toMatch(/^idsync_console=idsync_cs_/);
  });

  it('when a link is opened after five minutes, or is not one idsync issued, then a clear page says so and no session starts', async () => {
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Lateco', '--json')).json<Organization>();
    const { url } = await link(org.id);
    install.clock.offsetMs = 5 * 60_000 + 1000;
    try {
      const late = await continueLink(url);
      expect(late.status).toBe(410);
      expect(await late.text()).toContain('This console link has expired');
      expect(late.headers.getSetCookie()).toEqual([]);
    } finally {
      install.clock.offsetMs = 0;
    }
    const forged = await continueLink(`${base}/console/start?token=idsync_portal_${'x'.repeat(43)}`);
    expect(forged.status).toBe(404);
    expect(await forged.text()).toContain('This console link is not valid');
    const cut = await fetch(`${base}/console/start?token=idsync_portal_short`);
    expect(cut.status).toBe(404);
    expect(await cut.text()).toContain('This console link is not valid');
  });

  it('when a link for SCIM setup opens the members page, then the page says the session does not cover it', async () => {
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Scimco', '--json')).json<Organization>();
    const { url } = await link(org.id, 'scim');
    const c = await openConsole(base, url, `/console/orgs/${org.id}`);
    const members = await c.get(`/console/orgs/${org.id}/members`);
    expect(members.status).toBe(403);
    expect(await members.text()).toContain('This console session was opened for SCIM setup, so it does not open the members page.');
    const otherOrg = await c.get('/console/orgs/someone-else/members');
    expect(otherOrg.status).toBe(404);
  });

  it('when a form is posted without the session CSRF token, then it is refused with 403 and nothing changes; with it, the change is audited as the console session', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Csrfco' }, OPERATOR);
    const ada = await install.daemon.services.members.create(org.id, { email: 'ada@csrf.example', givenName: 'Ada', familyName: 'Lovelace' }, OPERATOR);
    const { url } = await link(org.id, 'members');
    const c = await openConsole(base, url, `/console/orgs/${org.id}/members`);

    const forged = await c.post(`/console/orgs/${org.id}/members/${ada.id}/deactivate`, {}, { csrf: false });
    expect(forged.status).toBe(403);
    expect(await forged.text()).toContain('This form could not be accepted');
    const wrong = await c.post(`/console/orgs/${org.id}/members/${ada.id}/deactivate`, { _csrf: 'not-the-token' }, { csrf: false });
    expect(wrong.status).toBe(403);
    expect((await install.daemon.store.getMember(org.id, ada.id))?.status).toBe('active');

    const done = await c.post(`/console/orgs/${org.id}/members/${ada.id}/deactivate`, {});
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Deactivated Ada Lovelace');
    expect((await install.daemon.store.getMember(org.id, ada.id))?.status).toBe('inactive');
    const event = (await install.daemon.store.listAudit(org.id)).find((e) => e.action === 'member.deactivated');
    expect(event).toMatchObject({ source: 'console', actor: { kind: 'portal' }, reason: 'deactivated in the console' });
  });

  it('when the person signs out, or the session sits idle past 30 minutes, then the console sends them to get a new link', async () => {
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Byeco', '--json')).json<Organization>();
    const members = `/console/orgs/${org.id}/members`;
    const first = await openConsole(base, (await link(org.id)).url, members);
    const out = await first.post('/console/sign-out', {});
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie()[0]).toMatch(/^idsync_console=; Path=\/; Expires=Thu, 01 Jan 1970/);
    const after = await first.get(members);
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('Your console session has ended');

    const second = await openConsole(base, (await link(org.id)).url, members);
    install.clock.offsetMs = 29 * 60_000;
    try {
      expect((await second.get(members)).status).toBe(200);
      install.clock.offsetMs = 29 * 60_000 + 30 * 60_000 + 1000;
      expect((await second.get(members)).status).toBe(401);
    } finally {
      install.clock.offsetMs = 0;
    }
  });

  it('when the host product asks the admin API for a portal link, then it gets a one-time URL; a key acting for a mere admin is refused', async () => {
    const org = (await cli(install.env, install.cwd, 'orgs', 'create', '--name', 'Apico', '--json')).json<Organization>();
    const { key } = (await cli(install.env, install.cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>();
    const res = await fetch(`${base}/api/v1/orgs/${org.id}/portal-links`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ intent: 'members' }) });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { url: string; expiresAt: string; intent: string };
    expect(body).toMatchObject({ url: expect.stringMatching(/\/console\/start\?token=idsync_portal_/), intent: 'members' });
    expect((await continueLink(body.url)).headers.getSetCookie()[0]).toMatch(/^idsync_console=idsync_cs_/);

    const admin = await install.daemon.services.members.create(org.id, { email: 'admin@api.example', role: 'admin' }, OPERATOR);
    const refused = await fetch(`${base}/api/v1/orgs/${org.id}/portal-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-idsync-acting-member': admin.id },
      body: JSON.stringify({ intent: 'all' }),
    });
    expect(refused.status).toBe(403);
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/orgs/{org}/portal-links');
  });

  it('when the list is paged with Next page, then each member is shown exactly once and the last page has no next link', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Pageco' }, OPERATOR);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await install.daemon.services.members.create(org.id, { email: `p${String(i).padStart(3, '0')}@page.example` }, OPERATOR)).id);
    const team = await install.daemon.services.teams.create(org.id, { displayName: 'Odd ones' }, OPERATOR);
    await install.daemon.services.teams.addMembers(org.id, team.id, ids.filter((_, i) => i % 2 === 1), OPERATOR);
    const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
    const walk = async (start: string) => {
      const seen: string[] = [];
      const sizes: number[] = [];
      let path: string | undefined = start;
      while (path) {
        const html: string = await (await c.get(path)).text();
        const emails = [...html.matchAll(/data-label="Email">([^<]+)</g)].map((m) => m[1]!);
        sizes.push(emails.length);
        seen.push(...emails);
        const next: string | undefined = /<a href="([^"]+)">Next page<\/a>/.exec(html)?.[1];
        path = next?.replaceAll('&amp;', '&');
      }
      return { seen, sizes };
    };
    const all = await walk(`/console/orgs/${org.id}/members`);
    expect(all.sizes).toEqual([50, 50, 20]);
    expect(new Set(all.seen).size).toBe(120);
    expect(all.seen[0]).toBe('p000@page.example');
    // The team filter pages through the team's own index.
    const odd = await walk(`/console/orgs/${org.id}/members?team=${team.id}`);
    expect(odd.sizes).toEqual([50, 10]);
    expect(odd.seen).toEqual(ids.map((_, i) => `p${String(i).padStart(3, '0')}@page.example`).filter((_, i) => i % 2 === 1));
  });

  it('when a person and a service account both match, then the members page lists and finds the person only, in a team too', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Kindco' }, OPERATOR);
    const person = await install.daemon.services.members.create(org.id, { email: 'telegraf-admin@ops.example' }, OPERATOR);
    const { account } = await install.daemon.services.serviceAccounts.create(org.id, { name: 'telegraf' }, OPERATOR);
    const team = await install.daemon.services.teams.create(org.id, { displayName: 'Ops' }, OPERATOR);
    await install.daemon.services.teams.addMembers(org.id, team.id, [person.id, account.id], OPERATOR);
    const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
    for (const path of ['', '?q=telegraf', '?q=TELEGRAF', `?team=${team.id}`, `?q=telegraf&team=${team.id}`]) {
      const res = await c.get(`/console/orgs/${org.id}/members${path}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect([...html.matchAll(/data-label="Email">([^<]*)</g)].map((m) => m[1])).toEqual(['telegraf-admin@ops.example']);
      expect(html).toContain(person.id);
      expect(html).not.toContain(account.id);
    }
  });

  it('when an admin adds someone directly, then the member exists with the role and teams given, audited as the console', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Addco' }, OPERATOR);
    const team = await install.daemon.services.teams.create(org.id, { displayName: 'Research' }, OPERATOR);
    const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
    const res = await c.post(`/console/orgs/${org.id}/members`, { givenName: 'Kim', familyName: 'Kay', email: 'kim@add.example', role: 'admin', teamIds: [team.id] });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Added Kim Kay as admin.');
    const [kim] = await install.daemon.store.findMembersByEmail(org.id, 'kim@add.example');
    expect(kim).toMatchObject({ role: 'admin', status: 'active', name: { givenName: 'Kim', familyName: 'Kay' } });
    expect(await install.daemon.store.listMemberTeams(org.id, kim!.id)).toEqual([team.id]);
    const created = (await install.daemon.store.listAudit(org.id)).find((e) => e.action === 'member.created');
    expect(created).toMatchObject({ source: 'console', actor: { kind: 'portal' } });
    const bad = await c.post(`/console/orgs/${org.id}/members`, { givenName: 'No', familyName: 'Mail', email: 'not-an-address' });
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/role="alert">Not done: [^<]*email/);
  });

  it('when the members page is shown, then a Role from column says where each role comes from: a mapping and its group, manual or default', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Sourceco' }, OPERATOR);
    const team = await install.daemon.services.teams.create(org.id, { displayName: 'Eng-Admins' }, OPERATOR);
    const add = (email: string, role: 'member' | 'admin') => install.daemon.services.members.create(org.id, { email, role }, OPERATOR);
    const mapped = await add('map@src.example', 'member');
    await add('hand@src.example', 'admin');
    await add('plain@src.example', 'member');
    await install.daemon.services.teams.addMembers(org.id, team.id, [mapped.id], OPERATOR);
    await install.daemon.services.roleMappings.set(org.id, { source: 'scim', group: 'Eng-Admins', role: 'admin' }, OPERATOR);
    const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
    const html = await (await c.get(`/console/orgs/${org.id}/members`)).text();
    expect(html).toContain('<th role="columnheader" scope="col">Role from</th>');
    const cellOf = (email: string) => new RegExp(`${email.replace('.', '\\.')}</td>[\\s\\S]*?data-label="Role from">([^<]*)<`).exec(html)?.[1];
    expect(cellOf('map@src.example')).toBe('Mapping: SCIM group Eng-Admins');
    expect(cellOf('hand@src.example')).toBe('Manual');
    expect(cellOf('plain@src.example')).toBe('Default');
  });

  it('when a SCIM-managed member is deactivated by a hand-made request, then the server refuses it with the reason the page shows', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Managedco' }, OPERATOR);
    const sam = await install.daemon.services.members.create(org.id, { email: 'sam@managed.example' }, OPERATOR, { kind: 'scim' });
    const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
    for (const action of ['deactivate', 'remove']) {
      const res = await c.post(`/console/orgs/${org.id}/members/${sam.id}/${action}`, action === 'remove' ? { confirmed: 'yes' } : {});
      if (action === 'remove') {
        // A single Remove only asks; the removal itself goes through bulk-remove, which skips managed members.
        expect(await res.text()).toContain('Remove sam@managed.example?');
        const bulk = await c.post(`/console/orgs/${org.id}/members/bulk-remove`, { ids: [sam.id], confirmed: 'yes' });
        expect(await bulk.text()).toMatch(/Skipped 1:<ul><li>sam@managed.example: Managed by SCIM provisioning/);
      } else {
        expect(res.status).toBe(409);
        expect(await res.text()).toMatch(/role="alert">Not done: Managed by SCIM provisioning/);
      }
    }
    expect((await install.daemon.store.getMember(org.id, sam.id))?.status).toBe('active');
  });

  it('when an action is refused by the rules (demoting the last owner), then the page answers with the reason and the status of the refusal', async () => {
    const org = await install.daemon.services.orgs.create({ name: 'Ownerco' }, OPERATOR);
    const owner = await install.daemon.services.members.create(org.id, { email: 'only@owner.example', role: 'owner' }, OPERATOR);
    const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
    const res = await c.post(`/console/orgs/${org.id}/members/${owner.id}/role`, { role: 'member' });
    expect(res.status).toBe(409);
    const html = await res.text();
    expect(html).toMatch(/<div class="notice error" role="alert">Not done: member [^<]+ is the last active owner/);
    expect((await install.daemon.store.getMember(org.id, owner.id))?.role).toBe('owner');
  });

  if (storeKind === 'redis') {
    it('when Redis goes away, then the console answers a page saying so (503, Retry-After), never a blank one, and works again once it is back', async () => {
      const org = await install.daemon.services.orgs.create({ name: 'Outageco' }, OPERATOR);
      const c = await openConsole(base, (await link(org.id, 'members')).url, `/console/orgs/${org.id}/members`);
      await install.redis!.stop();
      try {
        const down = await c.get(`/console/orgs/${org.id}/members`);
        expect(down.status).toBe(503);
        expect(down.headers.get('retry-after')).toBe('5');
        expect(await down.text()).toContain('The console cannot reach its data right now');
      } finally {
        await install.redis!.start();
      }
      let back = 0;
      for (let i = 0; i < 50 && back !== 200; i++) {
        back = (await c.get(`/console/orgs/${org.id}/members`)).status;
        if (back !== 200) await new Promise((r) => setTimeout(r, 200));
      }
      expect(back).toBe(200);
    }, 30_000);
  }
});
