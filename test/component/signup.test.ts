import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Daemon } from '../../src/app/daemon.js';
import type { Actor, Member } from '../../src/domain/model.js';
import type { JoinRequest } from '../../src/domain/signup.js';
import { PROVIDER_SCOPE } from '../../src/ports/store.js';
import { cli } from '../support/harness.js';
import { CookieJar, walk } from '../support/join.js';
import { receiver, until } from '../support/webhook-receiver.js';
import { formFields, postForm, signUp, startSignupInstall, type SignupInstall } from '../support/signup.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe.each(['sqlite', 'redis'] as const)('sign-up, continue URL and domain capture (real OpenID provider, local DNS, %s)', (storeKind) => {
  let install: SignupInstall;
  let open: Daemon;
  let key: string;

  beforeAll(async () => {
    install = await startSignupInstall(storeKind);
    open = install.daemons.open;
    key = (await open.services.credentials.createAdminKey(SETUP)).key;
  }, 60_000);

  afterAll(async () => {
    await install?.dispose();
  });

  const api = async (path: string, init: { method?: string; body?: unknown } = {}) => {
    const res = await fetch(`${open.url}/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${key}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as Record<string, unknown> & { error?: { code: string } } };
  };
  const as = (sub: string, email: string, verified = true) => {
    install.op.user = { sub, email, email_verified: verified };
  };

  it('when sign-up is off, then /signup says it is closed (404) and starting a sign-in is refused', async () => {
    const base = install.daemons.off.url;
    const page = await fetch(`${base}/signup`);
    expect(page.status).toBe(404);
    expect(await page.text()).toContain('Sign-up is closed');
    const start = await walk(`${base}/signup/start/google`, new CookieJar());
    expect(start.status).toBe(404);
  });

  it('when a new person signs up in open mode, then an org is created with them as owner and the next page offers first steps', async () => {
    const page = await fetch(`${open.url}/signup`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('Create your organization');
    expect(page.headers.get('content-security-policy')).toContain("form-action 'self'");

    as('g-newco', 'founder@newco.example');
    const { landed } = await signUp(open.url, 'NewCo');
    expect(landed.status).toBe(200);
    expect(landed.text).toContain('NewCo is ready');
    expect(landed.text).toMatch(/<form method="post" action="\/console\/start"><input type="hidden" name="token" value="[^"]+"><button type="submit">Invite your colleagues<\/button><\/form>/);
    expect(landed.text).toContain('Set up SCIM provisioning');
    expect(landed.text).toContain('Connect a directory');
    const org = (await open.services.orgs.list()).items.find((o) => o.name === 'NewCo')!;
    const [owner] = await open.store.findMembersByEmail(org.id, 'founder@newco.example');
    expect(owner).toMatchObject({ role: 'owner', status: 'active', identities: [{ provider: 'google', subject: 'g-newco', email: 'founder@newco.example' }] });
    expect((await open.services.audit.verify(org.id)).ok).toBe(true);
  });

  it('when the sign-in email is not verified, then nothing is created and the page says so (403)', async () => {
    as('g-unverified', 'someone@unverified.example', false);
    const before = (await open.services.orgs.list()).total;
    const { landed } = await signUp(open.url, 'Nope');
    expect(landed.status).toBe(403);
    expect(landed.text).toContain('Your email address is not verified');
    expect((await open.services.orgs.list()).total).toBe(before);
  });

  it('when an invitation applies to the email, then sign-up offers to join that org instead, and joining lands on the org continue URL with org and member ids', async () => {
    const org = await open.services.orgs.create({ name: 'Invited Org', settings: { continueUrl: 'https://app.example/welcome?from=idsync' } }, SETUP);
    await open.services.invitations.invite(org.id, { email: 'ivy@elsewhere.example', role: 'admin' }, SETUP);
    const orgsBefore = (await open.services.orgs.list()).total;
    as('g-ivy', 'ivy@elsewhere.example');
    const { landed, jar } = await signUp(open.url, 'Ivy Own Org');
    expect(landed.status).toBe(200);
    expect(landed.text).toContain('An invitation');
    const { action, fields } = formFields(landed.text, 'Join Invited Org');
    expect(fields).toMatchObject({ kind: 'invitation', orgId: org.id });

    // Without the session's CSRF token the form is refused.
    expect((await postForm(new URL(action, open.url).href, { ...fields, csrf: 'forged' }, jar)).status).toBe(400);
    const done = await postForm(new URL(action, open.url).href, fields, jar);
    expect(done.status).toBe(303);
    const target = new URL(done.location!);
    const [member] = await open.store.findMembersByEmail(org.id, 'ivy@elsewhere.example');
    expect(member).toMatchObject({ role: 'admin', status: 'active' });
    expect(`${target.origin}${target.pathname}`).toBe('https://app.example/welcome');
    expect(Object.fromEntries(target.searchParams)).toEqual({ from: 'idsync', orgId: org.id, memberId: member!.id });
    expect((await open.services.orgs.list()).total).toBe(orgsBefore);
  });

  it('when a person joins through an invitation link and the org has a continue URL, then the join callback redirects there with org and member ids', async () => {
    const org = await open.services.orgs.create({ name: 'Continue Co' }, SETUP);
    const bad = await api(`/orgs/${org.id}`, { method: 'PATCH', body: { settings: { continueUrl: 'http://app.example/home' } } });
    expect(bad).toMatchObject({ status: 400, body: { error: { code: 'request.invalid' } } });
    expect((await api(`/orgs/${org.id}`, { method: 'PATCH', body: { settings: { continueUrl: 'https://app.example/old' } } })).status).toBe(200);
    const set = await cli(install.env, install.cwd, 'orgs', 'continue-url', org.id, 'https://app.example/home', '--json');
    expect(set.json()).toEqual({ orgId: org.id, continueUrl: 'https://app.example/home' });
    const inv = await open.services.invitations.invite(org.id, { email: 'cora@continue.example' }, SETUP);
    as('g-cora', 'cora@continue.example');
    const jar = new CookieJar();
    const landing = await walk(inv.link.replace(/^http:\/\/[^/]+/, open.url), jar);
    const href = /href="(\/join\/[^"]+\/start\/google)"/.exec(landing.text)![1]!;
    const done = await walk(new URL(href, open.url).href, jar, (u) => u.host === 'app.example');
    const [member] = await open.store.findMembersByEmail(org.id, 'cora@continue.example');
    expect(done.url.href).toBe(`https://app.example/home?orgId=${org.id}&memberId=${member!.id}`);
  });

  it('when a domain is claimed and its TXT record published, then it verifies through the local DNS server; a wrong record, a failing server and a public domain are refused with their codes', async () => {
    const org = await open.services.orgs.create({ name: 'Dns Org' }, SETUP);
    const added = await api(`/orgs/${org.id}/domains`, { method: 'POST', body: { domain: 'DNS-Org.example.' } });
    expect(added.status).toBe(201);
    const record = added.body.record as { name: string; value: string };
    expect(record.name).toBe('_idsync.dns-org.example');
    expect(record.value).toMatch(/^idsync-verification=[A-Za-z0-9_-]{20,}$/);

    expect((await api(`/orgs/${org.id}/domains/dns-org.example/verify`, { method: 'POST', body: {} })).body.error?.code).toBe('domain.not_verified');
    install.dns.txt.set(record.name, [['v=spf1 -all'], ['idsync-verification=someone-else']]);
    const wrong = await api(`/orgs/${org.id}/domains/dns-org.example/verify`, { method: 'POST', body: { method: 'dns' } });
    expect(wrong.status).toBe(422);
    install.dns.failing.add(record.name);
    expect((await api(`/orgs/${org.id}/domains/dns-org.example/verify`, { method: 'POST', body: {} })).status).toBe(503);
    install.dns.failing.delete(record.name);
    // A long record split into two character strings still proves it (they are joined).
    install.dns.txt.set(record.name, [['v=spf1 -all'], [record.value.slice(0, 25), record.value.slice(25)]]);
    const ok = await api(`/orgs/${org.id}/domains/dns-org.example/verify`, { method: 'POST', body: {} });
    expect(ok).toMatchObject({ status: 200, body: { status: 'verified', method: 'dns' } });
    expect(install.dns.asked).toContain('_idsync.dns-org.example/16');

    expect((await api(`/orgs/${org.id}/domains`, { method: 'POST', body: { domain: 'gmail.com' } })).body.error?.code).toBe('domain.public');
    expect((await api(`/orgs/${org.id}/domains`, { method: 'POST', body: { domain: 'not a domain' } })).status).toBe(400);
    const listed = await cli(install.env, install.cwd, 'domains', 'list', '--org', org.id);
    expect(listed.stdout).toMatch(/dns-org\.example\s+verified\s+dns\s+on/);
  });

  it('when two orgs verify one domain at the same time through the API, then exactly one gets it and the other is told domain.taken (409)', async () => {
    const [a, b] = [await open.services.orgs.create({ name: 'Race A' }, SETUP), await open.services.orgs.create({ name: 'Race B' }, SETUP)];
    const ra = (await api(`/orgs/${a.id}/domains`, { method: 'POST', body: { domain: 'race.example' } })).body.record as { value: string };
    const rb = (await api(`/orgs/${b.id}/domains`, { method: 'POST', body: { domain: 'race.example' } })).body.record as { value: string };
    install.dns.txt.set('_idsync.race.example', [[ra.value], [rb.value]]);
    const results = await Promise.all([a, b].map((o) => api(`/orgs/${o.id}/domains/race.example/verify`, { method: 'POST', body: {} })));
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(results.find((r) => r.status === 409)!.body.error?.code).toBe('domain.taken');
    const winner = results[0]!.status === 200 ? a : b;
    expect((await open.store.findVerifiedDomain('race.example'))?.orgId).toBe(winner.id);
  });

  it('when an org captured the email domain, then sign-up offers a request to join instead of a new org, and an admin approval makes the person a member', async () => {
    const org = await open.services.orgs.create({ name: 'Captured Corp' }, SETUP);
    await open.services.members.create(org.id, { email: 'boss@captured.example', role: 'owner' }, SETUP);
    // Verified by an owner's sign-in: the owner's identity is linked by a verified sign-in at the domain.
    await open.services.domains.add(org.id, { domain: 'captured.example' }, SETUP);
    const noOwnerSignIn = await api(`/orgs/${org.id}/domains/captured.example/verify`, { method: 'POST', body: { method: 'owner_sign_in' } });
    expect(noOwnerSignIn.body.error?.code).toBe('domain.not_verified');
    const [boss] = await open.store.findMembersByEmail(org.id, 'boss@captured.example');
    await open.store.updateMember(org.id, boss!.id, (m) => ({ next: { ...m, identities: [{ provider: 'google', subject: 'g-boss', email: 'boss@captured.example' }] }, audit: { orgId: org.id, actor: SETUP, action: 'member.identity_linked', target: { type: 'member', id: m.id } } }));
    expect((await api(`/orgs/${org.id}/domains/captured.example/verify`, { method: 'POST', body: { method: 'owner_sign_in' } })).body).toMatchObject({ status: 'verified', method: 'owner_sign_in', verifiedByMemberId: boss!.id });

    const hooks = await receiver();
    await open.services.webhooks.create(org.id, { url: hooks.url('/captured'), events: ['join_request.*'] }, SETUP);
    const orgsBefore = (await open.services.orgs.list()).total;
    as('g-carl', 'Carl@Captured.example');
    const { landed, jar } = await signUp(open.url, 'Carl Corp');
    expect(landed.status).toBe(200);
    expect(landed.text).toContain('manages accounts for <strong>captured.example</strong>');
    const { action, fields } = formFields(landed.text, 'Request to join Captured Corp');
    const sent = await postForm(new URL(action, open.url).href, fields, jar);
    expect(sent.status).toBe(200);
    expect(sent.text).toContain('Request sent to Captured Corp');
    expect((await open.services.orgs.list()).total).toBe(orgsBefore);

    const pending = await api(`/orgs/${org.id}/join-requests?status=pending`);
    const [req] = pending.body.items as JoinRequest[];
    expect(req).toMatchObject({ email: 'Carl@Captured.example', status: 'pending', identity: { provider: 'google', subject: 'g-carl' } });
    expect((await open.store.listOutbox(org.id)).map((o) => o.type)).toContain('join_request.created');

    const approved = await cli(install.env, install.cwd, 'join-requests', 'approve', req!.id, '--org', org.id, '--json');
    expect(approved.code).toBe(0);
    const member = approved.json<{ member: Member }>().member;
    expect(member).toMatchObject({ role: 'member', status: 'active', userName: 'Carl@Captured.example', identities: [{ provider: 'google', subject: 'g-carl' }] });
    const again = await api(`/orgs/${org.id}/join-requests/${req!.id}/approve`, { method: 'POST', body: {} });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'join_request.decided' } } });
    // The org's webhooks hear both steps (the webhook worker of any of the daemons on this store sends them).
    // Delivery is at least once, so the set of types is what is pinned.
    const types = () => [...new Set(hooks.on('/captured').map((r) => r.event.type))].sort();
    await until('join request webhooks', () => (types().length >= 2 ? true : undefined));
    expect(types()).toEqual(['join_request.approved', 'join_request.created']);
    expect(hooks.on('/captured')[0]!.event.orgId).toBe(org.id);
    await hooks.close();
    const actions = (await open.store.listAudit(org.id)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['domain.added', 'domain.verified', 'join_request.created', 'join_request.approved', 'member.created']));
  });

  it('when a captured domain request is declined, then nobody is added and the request says declined', async () => {
    const org = await open.services.orgs.create({ name: 'Decline Corp' }, SETUP);
    await open.services.domains.add(org.id, { domain: 'decline.example' }, SETUP);
    install.dns.txt.set('_idsync.decline.example', [[(await open.services.domains.get(org.id, 'decline.example')).record.value]]);
    await open.services.domains.verify(org.id, 'decline.example', 'dns', SETUP);
    as('g-dee', 'dee@decline.example');
    const { landed, jar } = await signUp(open.url);
    const { action, fields } = formFields(landed.text, 'Request to join Decline Corp');
    await postForm(new URL(action, open.url).href, fields, jar);
    const [req] = await open.services.joinRequests.list(org.id, ['pending']);
    const declined = await api(`/orgs/${org.id}/join-requests/${req!.id}/decline`, { method: 'POST', body: { reason: 'not staff' } });
    expect(declined).toMatchObject({ status: 200, body: { status: 'declined', reason: 'not staff' } });
    expect((await open.services.members.list(org.id)).total).toBe(0);
  });

  it('when sign-up is invite-only, then a person with no invitation is offered to ask for access (recorded for the operator) and no org is created, while an invited person still joins', async () => {
    const inviteOnly = install.daemons['invite-only'];
    const page = await (await fetch(`${inviteOnly.url}/signup`)).text();
    expect(page).toContain('Sign-up here is by invitation');
    const orgsBefore = (await open.services.orgs.list()).total;
    as('g-walt', 'walt@nowhere.example');
    const { landed, jar } = await signUp(inviteOnly.url);
    expect(landed.text).toContain('Request access');
    const { action, fields } = formFields(landed.text, 'Request access');
    const sent = await postForm(new URL(action, inviteOnly.url).href, { ...fields, note: 'I run the platform team' }, jar);
    expect(sent.text).toContain('The operator of this installation was told');
    const provider = await open.store.listAudit(PROVIDER_SCOPE);
    expect(provider.at(-1)).toMatchObject({ action: 'signup.access_requested', after: { email: 'walt@nowhere.example', note: 'I run the platform team' } });
    expect((await open.services.orgs.list()).total).toBe(orgsBefore);

    const org = await open.services.orgs.create({ name: 'Invite Only Org' }, SETUP);
    await open.services.links.create(org.id, { role: 'member', allowedDomains: ['linked.example'] }, SETUP);
    as('g-lin', 'lin@linked.example');
    const invited = await signUp(inviteOnly.url);
    const join = formFields(invited.landed.text, 'Join Invite Only Org');
    expect(join.fields.kind).toBe('link');
    const joined = await postForm(new URL(join.action, inviteOnly.url).href, join.fields, invited.jar);
    expect(joined.status).toBe(200);
    expect(joined.text).toContain('Where to go next');
    expect((await open.store.findMembersByEmail(org.id, 'lin@linked.example'))[0]).toMatchObject({ status: 'active', role: 'member' });
  });
});
