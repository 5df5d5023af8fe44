import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { continueLink, csrfOf } from '../support/console.js';
import { personIn, SETUP, signInWithGoogle, startSignInInstall, type SignInInstall } from '../support/console-sign-in.js';
import { cli } from '../support/harness.js';
import { STORES } from '../support/scim.js';

/**
 * "Add someone from another organization" over HTTP: who may see and draw from which organization,
 * what the new member is (profile, sign-in identities, role, teams, audit), and each refusal.
 */
describe.each(STORES)('console: add an existing account from another organization (%s)', (storeKind) => {
  let install: SignInInstall;
  let base: string;
  let n = 0;
  const org = (name: string) => install.daemon.services.orgs.create({ name: `${name} ${storeKind} ${++n}` }, SETUP);
  const get = (cookie: string, path: string) => fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' });
  const post = (cookie: string, path: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return fetch(`${base}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
  };
  const s = () => install.daemon.services;

  // North and South: Kim is an owner of North and an admin of South; West: only a member; East: not at all.
  let north: Organization;
  let south: Organization;
  let west: Organization;
  let east: Organization;
  let sol: Member;
  let ina: Member;
  let bot: Member;
  let wes: Member;
  let eva: Member;
  const kim = `kim-${storeKind}`;

  beforeAll(async () => {
    install = await startSignInInstall(storeKind);
    base = install.base;
    [north, south, west, east] = [await org('North'), await org('South'), await org('West'), await org('East')];
    await personIn(install, north, 'kim@corp.example', 'owner', kim);
    await personIn(install, south, 'kim@corp.example', 'admin', kim);
    await personIn(install, west, 'kim@corp.example', 'member', kim);
    sol = await s().members.create(south.id, { email: 'sol@south.example', givenName: 'Sol', familyName: 'Sun' }, SETUP);
    sol = await s().members.linkIdentity(south.id, sol.id, { provider: 'github', subject: '4242', email: 'sol@south.example' }, SETUP);
    ina = await s().members.create(south.id, { email: 'ina@south.example', givenName: 'Ina', familyName: 'Idle' }, SETUP);
    ina = await s().members.deactivate(south.id, ina.id, SETUP, 'on leave');
    bot = (await s().serviceAccounts.create(south.id, { name: 'Deploy Bot' }, SETUP)).account;
    wes = await s().members.create(west.id, { email: 'wes@west.example', givenName: 'Wes', familyName: 'Secret' }, SETUP);
    eva = await s().members.create(east.id, { email: 'eva@east.example', givenName: 'Eva', familyName: 'Hidden' }, SETUP);
  }, 120_000);
  afterAll(async () => {
    await install?.dispose();
  });

  const page = (o: Organization, query = '') => `/console/orgs/${o.id}/members/add-existing${query}`;

  it('when an owner signs in, then they find and add only people of the other organizations they administer, with identities, role, teams and an audit naming the source', async () => {
    const team = await s().teams.create(north.id, { displayName: 'Platform' }, SETUP);
    const { cookie } = await signInWithGoogle(install, kim, 'kim@corp.example');
    const members = await (await get(cookie, `/console/orgs/${north.id}/members`)).text();
    expect(members).toContain(`href="/console/orgs/${north.id}/members/add-existing">Add someone from another organization</a>`);

    const empty = await (await get(cookie, page(north))).text();
    expect(empty).toContain('<h1>Add someone from another organization</h1>');
    expect(empty).toContain(`from the other organizations you are an active owner or admin of: ${south.name}.`);
    expect(empty).not.toContain(west.name);
    expect(empty).not.toContain(east.name);

    // Sol (South) shows with a choice; Ina (inactive) and the service account show why not.
    const found = await (await get(cookie, page(north, '?q=south.example'))).text();
    expect(found).toContain(`aria-label="Choose Sol Sun of ${south.name}"`);
    expect(found).toContain('Cannot be added: the account is inactive');
    expect(found).not.toContain(`Choose Ina Idle`);
    const bots = await (await get(cookie, page(north, '?q=deploy'))).text();
    expect(bots).toContain('Cannot be added: the account is a service account');
    // Nothing of an org Kim is only a member of, or not in at all: by name, by whole email, or by naming the org.
    for (const q of ['?q=wes', '?q=wes%40west.example', '?q=eva%40east.example', '?q=hidden']) {
      const html = await (await get(cookie, page(north, q))).text();
      expect(html).toContain('Nobody matches');
      expect(html).not.toContain('Wes');
      expect(html).not.toContain('Eva');
    }
    const named = await get(cookie, page(north, `?q=wes&from=${west.id}`));
    expect(named.status).toBe(404);
    expect(await named.text()).not.toContain('Wes Secret');
    const short = await get(cookie, page(north, '?q=s'));
    expect([short.status, await short.text()]).toEqual([400, expect.stringContaining('type at least two characters')]);

    const res = await post(cookie, page(north), { _csrf: csrfOf(found), pick: `${south.id}/${sol.id}`, role: 'admin', teamIds: [team.id], q: 'south.example' });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Members</h1>');
    expect(html).toContain(`Added Sol Sun from ${south.name} as admin.`);
    const [added] = (await install.daemon.store.findMembersByEmail(north.id, 'sol@south.example')).filter((m) => m.status === 'active');
    expect(added).toMatchObject({ orgId: north.id, role: 'admin', name: { givenName: 'Sol', familyName: 'Sun' }, managedBy: { kind: 'admin' }, identities: [{ provider: 'github', subject: '4242' }] });
    expect(await install.daemon.store.listMemberTeams(north.id, added!.id)).toEqual([team.id]);
    // Their sign-in works here at once: the same GitHub identity is a member of North now.
    await expect(s().admin.access({ kind: 'provider', actor: SETUP }, north.id, { provider: 'github', subject: '4242' })).resolves.toMatchObject({ allowed: true, memberId: added!.id, role: 'admin' });
    expect((await install.daemon.store.getMember(south.id, sol.id))?.status).toBe('active');
    const kimInNorth = (await install.daemon.store.findMemberByIdentity(north.id, 'google', kim))!;
    const ev = (await install.daemon.store.listAudit(north.id, { limit: 1000 })).find((e) => e.action === 'member.created' && e.target.id === added!.id)!;
    expect(ev).toMatchObject({ actor: { kind: 'member', id: kimInNorth.id }, source: 'console', reason: `added in the console from ${south.name} (${south.id})` });

    // Refusals come back on the page with the reason; nothing is written.
    const again = await post(cookie, page(north), { _csrf: csrfOf(found), pick: `${south.id}/${sol.id}`, role: 'member' });
    expect([again.status, await again.text()]).toEqual([409, expect.stringContaining('is already a member of')]);
    const listed = await (await get(cookie, page(north, '?q=sol'))).text();
    expect(listed).toContain('Already a member here (active)');
    const idle = await post(cookie, page(north), { _csrf: csrfOf(found), pick: `${south.id}/${ina.id}`, role: 'member' });
    expect([idle.status, await idle.text()]).toEqual([409, expect.stringContaining('only an active member can be added elsewhere')]);
    const svc = await post(cookie, page(north), { _csrf: csrfOf(found), pick: `${south.id}/${bot.id}`, role: 'member' });
    expect([svc.status, await svc.text()]).toEqual([409, expect.stringContaining('service accounts stay in their organization')]);
    // A forged pick from an org Kim does not administer: not found, and nothing of it is said.
    const forged = await post(cookie, page(north), { _csrf: csrfOf(found), pick: `${west.id}/${wes.id}`, role: 'member' });
    expect(forged.status).toBe(404);
    expect(await forged.text()).not.toContain('Wes');
    const noCsrf = await post(cookie, page(north), { pick: `${south.id}/${sol.id}`, role: 'member' });
    expect(noCsrf.status).toBe(403);
    for (const who of ['ina@south.example', 'wes@west.example']) expect((await install.daemon.store.findMembersByEmail(north.id, who)).length).toBe(0);

    // Demoted in South: South is no longer a source, at once (read on every request).
    const kimInSouth = (await install.daemon.store.findMemberByIdentity(south.id, 'google', kim))!;
    await s().members.changeRole(south.id, kimInSouth.id, 'member', SETUP);
    const after = await (await get(cookie, page(north, '?q=south.example'))).text();
    expect(after).toContain('you are not one of any other organization');
    expect(after).not.toContain('Sol Sun');
    const late = await post(cookie, page(north), { _csrf: csrfOf(found), pick: `${south.id}/${ina.id}`, role: 'member' });
    expect(late.status).toBe(404);
    await s().members.changeRole(south.id, kimInSouth.id, 'admin', SETUP);
  });

  it('when the operator searches, then a whole email is found in any organization and a name across them, and the add is audited as the operator', async () => {
    const r = await cli(install.env, install.cwd, 'console-link', '--operator', '--json');
    const start = await continueLink(r.json<{ url: string }>().url);
    const cookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
    const target = await org('Target');
    const empty = await (await get(cookie, page(target))).text();
    expect(empty).toContain('As the operator you can add a person from any organization.');
    const byEmail = await (await get(cookie, page(target, '?q=EVA%40east.example'))).text();
    expect(byEmail).toContain(`aria-label="Choose Eva Hidden of ${east.name}"`);
    const byName = await (await get(cookie, page(target, '?q=hidden'))).text();
    expect(byName).toContain(`aria-label="Choose Eva Hidden of ${east.name}"`);
    const inOne = await (await get(cookie, page(target, `?q=hidden&from=${west.id}`))).text();
    expect(inOne).toContain('Nobody matches');

    const res = await post(cookie, page(target), { _csrf: csrfOf(byEmail), pick: `${east.id}/${eva.id}`, role: 'owner' });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(`Added Eva Hidden from ${east.name} as owner.`);
    const [added] = await install.daemon.store.findMembersByEmail(target.id, 'eva@east.example');
    const ev = (await install.daemon.store.listAudit(target.id, { limit: 1000 })).find((e) => e.action === 'member.created' && e.target.id === added!.id)!;
    expect(ev.actor.label).toMatch(/^operator console session [0-9a-f]{12}/);
    expect(ev).toMatchObject({ source: 'console', reason: `added in the console from ${east.name} (${east.id})` });
  });

  it("when a portal link's session opens the page, then it says the session is for one organization and an add is refused", async () => {
    const r = await cli(install.env, install.cwd, 'console-link', '--org', north.id, '--json');
    const start = await continueLink(r.json<{ url: string }>().url);
    const cookie = start.headers.getSetCookie()[0]!.split(';')[0]!;
    const members = await (await get(cookie, `/console/orgs/${north.id}/members`)).text();
    expect(members).not.toContain('Add someone from another organization');
    const html = await (await get(cookie, page(north, '?q=eva%40east.example'))).text();
    expect(html).toContain(`opened from a link for ${north.name} only`);
    expect(html).not.toContain('Eva');
    const res = await post(cookie, page(north), { _csrf: csrfOf(html), pick: `${east.id}/${eva.id}`, role: 'member' });
    expect([res.status, await res.text()]).toEqual([403, expect.stringContaining('this console session is for one organization only')]);
  });
});
