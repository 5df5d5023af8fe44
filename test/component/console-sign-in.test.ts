import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { continueLink, csrfOf, startConsoleInstall } from '../support/console.js';
import { personIn, SETUP, signInWithGoogle, startSignInInstall, type SignInInstall } from '../support/console-sign-in.js';
import { cli } from '../support/harness.js';
import { CookieJar, walk } from '../support/join.js';

describe.each(['sqlite', 'redis'] as const)('console sign-in with the join providers over HTTP (%s)', (storeKind) => {
  let install: SignInInstall;
  let base: string;
  let n = 0;
  const org = (name: string) => install.daemon.services.orgs.create({ name: `${name} ${++n}` }, SETUP);
  const sub = () => `sub-${storeKind}-${++n}`;
  const get = (cookie: string, path: string) => fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
  const post = (cookie: string, path: string, fields: Record<string, string>) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields), redirect: 'manual' });

  beforeAll(async () => {
    install = await startSignInInstall(storeKind);
    base = install.base;
  }, 60_000);
  afterAll(async () => {
    await install?.dispose();
  });

  it('when an admin of one organization signs in with Google, then a strict session opens on its members page and a change is audited with that member as actor', async () => {
    const acme = await org('Acme');
    await personIn(install, acme, 'olga@acme.example', 'owner', sub());
    const id = sub();
    const ada = await personIn(install, acme, 'ada@acme.example', 'admin', id);
    const bob = await install.daemon.services.members.create(acme.id, { email: 'bob@acme.example', givenName: 'Bob' }, SETUP);

    const { landed, cookie, jar } = await signInWithGoogle(install, id, 'ada@acme.example');
    expect(landed.status).toBe(200);
    expect(landed.url.pathname).toBe(`/console/orgs/${acme.id}/members`);
    expect(landed.text).toContain('<h1>Members</h1>');
    expect(cookie).toMatch(/^idsync_console=idsync_cs_/);
    // The state cookie was single-use: cleared on the callback.
    expect(jar.get(new URL(base).host, 'idsync_console_signin')).toBeUndefined();

    const res = await post(cookie, `/console/orgs/${acme.id}/members/${bob.id}/deactivate`, { _csrf: csrfOf(landed.text) });
    expect(res.status).toBe(200);
    const events = await install.daemon.store.listAudit(acme.id, { limit: 1000 });
    const ev = events.find((e) => e.action === 'member.deactivated' && e.target.id === bob.id)!;
    expect(ev.actor).toMatchObject({ kind: 'member', id: ada.id });
    expect(ev.source).toBe('console');
  });

  it('when an owner of two organizations signs in, then the picker lists both, each opens with the same session, and an org where they are only a member is refused', async () => {
    const [one, two, three] = [await org('North'), await org('South'), await org('West')];
    const id = sub();
    await personIn(install, one, 'kim@corp.example', 'owner', id);
    await personIn(install, two, 'kim@corp.example', 'owner', id);
    await personIn(install, three, 'kim@corp.example', 'member', id);

    const { landed, cookie } = await signInWithGoogle(install, id, 'kim@corp.example');
    expect(landed.url.pathname).toBe('/console/orgs');
    expect(landed.text).toContain('<h1>Choose an organization</h1>');
    expect(landed.text).toContain(`Open ${one.name}`);
    expect(landed.text).toContain(`Open ${two.name}`);
    expect(landed.text).not.toContain(three.name);

    for (const o of [one, two]) {
      const page = await get(cookie, `/console/orgs/${o.id}/members`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain(`<span>${o.name}</span>`);
      expect(html).toContain('href="/console/orgs">Organizations</a>');
    }
    const refused = await get(cookie, `/console/orgs/${three.id}/members`);
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('You are not an owner or admin of this organization');
  });

  it('when a plain member signs in, then a refusal page says they are not an owner or admin, no session starts, and the refusal is audited in their org', async () => {
    const acme = await org('Plain');
    const id = sub();
    const m = await personIn(install, acme, 'pat@plain.example', 'member', id);
    const { landed, cookie } = await signInWithGoogle(install, id, 'pat@plain.example');
    expect(landed.status).toBe(403);
    expect(landed.text).toContain('You are not an owner or admin of any organization');
    expect(cookie).toBe('');
    const events = await install.daemon.store.listAudit(acme.id, { limit: 1000 });
    expect(events.find((e) => e.action === 'console.sign_in_refused')).toMatchObject({ actor: { kind: 'member', id: m.id }, target: { type: 'member', id: m.id } });
  });

  it('when a person is matched by verified email only, then they get in, but not as a member linked to another account of the provider', async () => {
    const acme = await org('Mailco');
    await install.daemon.services.members.create(acme.id, { email: 'eve@mail.example', givenName: 'Eve', role: 'admin' }, SETUP);
    const byEmail = await signInWithGoogle(install, sub(), 'eve@mail.example');
    expect(byEmail.landed.url.pathname).toBe(`/console/orgs/${acme.id}/members`);

    await personIn(install, acme, 'zed@mail.example', 'admin', sub());
    const other = await signInWithGoogle(install, sub(), 'zed@mail.example');
    expect(other.landed.status).toBe(403);
  });

  it('when a signed-in admin tries what the admin API refuses an admin, then it is refused; and once demoted, the next page is refused', async () => {
    const acme = await org('Rules');
    const owner = await personIn(install, acme, 'own@rules.example', 'owner', sub());
    const id = sub();
    const admin = await personIn(install, acme, 'adm@rules.example', 'admin', id);
    const { landed, cookie } = await signInWithGoogle(install, id, 'adm@rules.example');
    const csrf = csrfOf(landed.text);
    // A forged form giving the admin the owner role is refused, as the admin API refuses it.
    const promote = await post(cookie, `/console/orgs/${acme.id}/members/${admin.id}/role`, { _csrf: csrf, role: 'owner' });
    expect(promote.status).toBe(403);
    const deact = await post(cookie, `/console/orgs/${acme.id}/members/${owner.id}/deactivate`, { _csrf: csrf });
    expect(deact.status).toBe(403);
    expect(await deact.text()).toContain('Not done: only an owner or a provider admin can change an owner');
    expect((await install.daemon.store.getMember(acme.id, owner.id))?.status).toBe('active');
    expect((await install.daemon.store.getMember(acme.id, admin.id))?.role).toBe('admin');

    await install.daemon.services.members.changeRole(acme.id, admin.id, 'member', SETUP);
    const after = await get(cookie, `/console/orgs/${acme.id}/members`);
    expect(after.status).toBe(403);
  });

  it('when the state or the nonce that comes back does not match, or the state cookie is missing, then the sign-in is refused and no session starts', async () => {
    const acme = await org('Tamper');
    const id = sub();
    await personIn(install, acme, 'tim@tamper.example', 'admin', id);
    install.op.user = { sub: id, email: 'tim@tamper.example', email_verified: true };
    const isCallback = (u: URL) => u.origin === base && u.pathname === '/auth/callback/google/console';

    // State: the callback's state is altered.
    let jar = new CookieJar();
    const back = await walk(`${base}/console/sign-in/google`, jar, isCallback);
    expect(back.url.searchParams.get('state')).toBeTruthy();
    back.url.searchParams.set('state', 'forged-state');
    let res = await walk(back.url.href, jar);
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in could not be verified');
    expect(jar.get(new URL(base).host, 'idsync_console')).toBeUndefined();

    // Nonce: the authorization request's nonce is altered, so the ID token carries another one.
    jar = new CookieJar();
    const auth = await walk(`${base}/console/sign-in/google`, jar, (u) => u.origin === install.op.issuer && u.pathname === '/auth');
    expect(auth.url.searchParams.get('nonce')).toBeTruthy();
    auth.url.searchParams.set('nonce', 'forged-nonce');
    res = await walk(auth.url.href, jar);
    expect(res.url.pathname).toBe('/auth/callback/google/console');
    expect(res.status).toBe(400);
    expect(res.text).toContain('This sign-in could not be verified');
    expect(jar.get(new URL(base).host, 'idsync_console')).toBeUndefined();

    // No state cookie (another browser): refused too.
    jar = new CookieJar();
    const other = await walk(`${base}/console/sign-in/google`, jar, isCallback);
    res = await walk(other.url.href, new CookieJar());
    expect(res.status).toBe(400);
  });

  it('when next points off the console, then sign-in drops it and lands in the console; a console path with a search comes back as given', async () => {
    const acme = await org('Redirect');
    const id = sub();
    await personIn(install, acme, 'rey@redirect.example', 'admin', id);
    for (const evil of ['https://evil.example/', '//evil.example/console/', '/\\evil.example', '/console/../admin', '/console/sign-in/google', 'javascript:alert(1)']) {
      const page = await fetch(`${base}/console/sign-in?next=${encodeURIComponent(evil)}`);
      expect(await page.text()).toContain('href="/console/sign-in/google"');
      const { landed } = await signInWithGoogle(install, id, 'rey@redirect.example', evil);
      expect(landed.url.origin).toBe(base);
      expect(landed.url.pathname).toBe(`/console/orgs/${acme.id}/members`);
      expect(landed.hops.some((h) => h.includes('evil'))).toBe(false);
    }
    // A next into an organization the person may not open, or a malformed one, falls back to theirs.
    const other = await org('NotRey');
    for (const away of [`/console/orgs/${other.id}/members`, '/console/orgs/%zz/members']) {
      const { landed } = await signInWithGoogle(install, id, 'rey@redirect.example', away);
      expect(landed.url.pathname).toBe(`/console/orgs/${acme.id}/members`);
    }
    const wanted = `/console/orgs/${acme.id}/members?q=rey`;
    const { landed } = await signInWithGoogle(install, id, 'rey@redirect.example', wanted);
    expect(`${landed.url.pathname}${landed.url.search}`).toBe(wanted);
    expect(landed.text).toContain('value="rey"');
  });

  it('when a session ends while a search is open, then the page offers sign-in that returns to the same search', async () => {
    const acme = await org('Idle');
    const id = sub();
    await personIn(install, acme, 'ida@idle.example', 'admin', id);
    const { cookie } = await signInWithGoogle(install, id, 'ida@idle.example');
    install.clock.offsetMs = 31 * 60_000;
    try {
      const ended = await get(cookie, `/console/orgs/${acme.id}/members?q=ida&status=active`);
      expect(ended.status).toBe(401);
      const next = `/console/orgs/${acme.id}/members?q=ida&status=active`;
      expect(await ended.text()).toContain(`href="/console/sign-in?next=${encodeURIComponent(next).replace(/&/g, '&amp;')}"`);
    } finally {
      install.clock.offsetMs = 0;
    }
  });

  it('when a signed-in person signs out, then the session ends at once and the page offers to sign in again', async () => {
    const acme = await org('Bye');
    const id = sub();
    await personIn(install, acme, 'bea@bye.example', 'admin', id);
    const { landed, cookie } = await signInWithGoogle(install, id, 'bea@bye.example');
    const out = await post(cookie, '/console/sign-out', { _csrf: csrfOf(landed.text) });
    expect(out.status).toBe(200);
    expect(await out.text()).toContain('<a href="/console/sign-in">sign in</a>');
    expect((await get(cookie, `/console/orgs/${acme.id}/members`)).status).toBe(401);
  });

  it('when Microsoft is used, then the member linked to the Entra object id (oid, not the pairwise sub) gets in', async () => {
    const acme = await org('Contoso');
    const m = await install.daemon.services.members.create(acme.id, { email: 'meg@contoso.example', givenName: 'Meg', role: 'admin' }, SETUP);
    await install.daemon.services.members.linkIdentity(acme.id, m.id, { provider: 'microsoft', subject: 'oid-meg' }, SETUP);
    // The email claim is not verified (no xms_edov) and the UPN is another address: only the oid can match.
    install.op.user = { sub: 'pairwise-sub-meg', email: 'meg@contoso.example', email_verified: false, extra: { oid: 'oid-meg', preferred_username: 'meg.upn@contoso.example' } };
    const jar = new CookieJar();
    let landed = await walk(`${base}/console/sign-in/microsoft`, jar);
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(landed.text);
    expect(refresh).not.toBeNull();
    landed = await walk(new URL(refresh![1]!, base).href, jar);
    expect(landed.url.pathname).toBe(`/console/orgs/${acme.id}/members`);
  });

  it('when GitHub is used, then the verified primary email finds the admin and the session opens', async () => {
    const acme = await org('Octo');
    await install.daemon.services.members.create(acme.id, { email: 'octo@example.com', givenName: 'Octo', role: 'owner' }, SETUP);
    const jar = new CookieJar();
    let landed = await walk(`${base}/console/sign-in/github`, jar);
    const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(landed.text);
    expect(refresh).not.toBeNull();
    landed = await walk(new URL(refresh![1]!, base).href, jar);
    expect(landed.status).toBe(200);
    expect(landed.url.pathname).toBe(`/console/orgs/${acme.id}/members`);
  });

  it('when console-link is given neither or both of --org and --operator, or --operator with an intent, then it refuses with a usage error', async () => {
    const acme = await org('Cli');
    const cases: Array<[string[], string]> = [
      [[], 'give either --org ORG_ID or --operator'],
      [['--org', acme.id, '--operator'], 'give either --org ORG_ID or --operator'],
      [['--operator', '--intent', 'members'], '--operator opens the whole console'],
    ];
    for (const [args, message] of cases) {
      const r = await cli(install.env, install.cwd, 'console-link', ...args);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(message);
      expect(r.stdout).toBe('');
    }
  });

  it('when the operator opens an operator link, then every organization is listed with its members and status, any opens, and changes are audited as the operator', async () => {
    const acme = await org('Operated');
    const bob = await install.daemon.services.members.create(acme.id, { email: 'bob@operated.example', givenName: 'Bob' }, SETUP);
    const r = await cli(install.env, install.cwd, 'console-link', '--operator', '--json');
    expect(r.code).toBe(0);
    const { url } = r.json<{ url: string }>();
    const start = await continueLink(url);
    expect(start.status).toBe(200);
    expect(await start.text()).toContain('content="0;url=/console/orgs"');
    const cookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
    let list = await (await get(cookie, '/console/orgs')).text();
    expect(list).toContain('<h1>All organizations</h1>');
    const total = (await install.daemon.store.listOrgs({ limit: 1 })).total;
    expect(list).toContain(`Operator view: ${total} organization${total === 1 ? "" : "s"}`);
    // Fifty a page: the org made last is on the last page.
    for (let offset = 50; !list.includes(acme.name) && offset < total; offset += 50) list = await (await get(cookie, `/console/orgs?offset=${offset}`)).text();
    expect(list).toMatch(new RegExp(`${acme.name}<br><span class="muted">${acme.id}</span></td><td data-label="Members">1</td><td data-label="Status">active</td>`));
    const page = await get(cookie, `/console/orgs/${acme.id}/members`);
    expect(page.status).toBe(200);
    const res = await post(cookie, `/console/orgs/${acme.id}/members/${bob.id}/deactivate`, { _csrf: csrfOf(await page.text()) });
    expect(res.status).toBe(200);
    const ev = (await install.daemon.store.listAudit(acme.id, { limit: 1000 })).find((e) => e.action === 'member.deactivated' && e.target.id === bob.id)!;
    expect(ev.actor.kind).toBe('cli');
    expect(ev.actor.label).toMatch(/^operator console session [0-9a-f]{12} \(link from the idsync CLI\)$/);
    expect(ev.source).toBe('console');
    // The host product (a provider-wide key) gets the same link from the admin API; an org's key does not.
    const provider = (await cli(install.env, install.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>();
    const scoped = (await cli(install.env, install.cwd, 'admin-keys', 'create', '--org', acme.id, '--json')).json<{ key: string }>();
    const ask = (key: string) => fetch(`${base}/api/v1/portal-links`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: '{}' });
    const viaApi = await ask(provider.key);
    expect(viaApi.status).toBe(201);
    const apiLink = (await viaApi.json()) as { url: string };
    const apiStart = await continueLink(apiLink.url);
    expect(await apiStart.text()).toContain('content="0;url=/console/orgs"');
    expect((await ask(scoped.key)).status).toBe(403);
    const doc = (await (await fetch(`${base}/api/v1/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toContain('/portal-links');
    // An org's portal session is not an operator's: it has no organization list.
    const orgLink = await cli(install.env, install.cwd, 'console-link', '--org', acme.id, '--json');
    const portal = await continueLink(orgLink.json<{ url: string }>().url);
    const portalCookie = portal.headers.getSetCookie()[0]!.split(';')[0]!;
    expect((await get(portalCookie, '/console/orgs')).status).toBe(404);
    const other = await org('Elsewhere');
    expect((await get(portalCookie, `/console/orgs/${other.id}/members`)).status).toBe(404);
  });
});

describe('console sign-in with no provider configured', () => {
  it('when no provider is configured, then the sign-in page says how to open the console with a console link', async () => {
    const install = await startConsoleInstall('sqlite');
    try {
      const page = await fetch(`${install.env.IDSYNC_PUBLIC_URL}/console/sign-in`);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('npx idsync console-link --org ORG_ID');
      expect(html).not.toContain('Continue with');
      const start = await fetch(`${install.env.IDSYNC_PUBLIC_URL}/console/sign-in/google`, { redirect: 'manual' });
      expect(start.status).toBe(404);
      expect(await start.text()).toContain('This sign-in is not offered');
    } finally {
      await install.dispose();
    }
  }, 30_000);
});

