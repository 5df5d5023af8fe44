import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Actor } from '../../src/domain/model.js';
import { captureLogger } from '../support/connectors.js';
import { startGithubOAuthFake, type GithubOAuthFake } from '../fakes/github-oauth-fake.js';
import { startOidcProvider, type TestOidcProvider } from '../fakes/oidc-provider.js';
import { tempDir, testEnv } from '../support/harness.js';
import { CookieJar, freePort, walk } from '../support/join.js';

const ADMIN: Actor = { kind: 'system', label: 'test admin' };
const HOUR = 3_600_000;

describe('join page (real OpenID provider, fake GitHub OAuth)', () => {
  let dir: string;
  let op: TestOidcProvider;
  let gh: GithubOAuthFake;
  let daemon: Daemon;
  let offsetMs = 0;
  const logs = captureLogger();

  beforeAll(async () => {
    dir = tempDir();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    op = await startOidcProvider([`${publicUrl}/auth/callback/google`]);
    gh = await startGithubOAuthFake();
    const env = testEnv(dir, {
      IDSYNC_PORT: String(port),
      IDSYNC_PUBLIC_URL: publicUrl,
      IDSYNC_OIDC_GOOGLE_CLIENT_ID: op.clientId,
      IDSYNC_OIDC_GOOGLE_CLIENT_SECRET: op.clientSecret,
      IDSYNC_OIDC_GOOGLE_ISSUER: op.issuer,
      IDSYNC_OIDC_GITHUB_CLIENT_ID: gh.clientId,
      IDSYNC_OIDC_GITHUB_CLIENT_SECRET: gh.clientSecret,
      IDSYNC_OIDC_GITHUB_AUTHORIZE_URL: `${gh.url}/login/oauth/authorize`,
      IDSYNC_OIDC_GITHUB_TOKEN_URL: `${gh.url}/login/oauth/access_token`,
      IDSYNC_OIDC_GITHUB_API_BASE_URL: gh.url,
      IDSYNC_LOG_LEVEL: 'debug',
    });
    daemon = await startDaemon(loadConfig({ env, cwd: dir }), { logger: logs, clock: { now: () => new Date(Date.now() + offsetMs) } });
  });

  afterAll(async () => {
    await daemon?.stop();
    await op?.close();
    await gh?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function orgWithTeam(name: string) {
    const org = await daemon.services.orgs.create({ name }, ADMIN);
    const team = await daemon.services.teams.create(org.id, { displayName: 'Engineering' }, ADMIN);
    return { org, team };
  }

  /** Opens the join link, clicks "Continue with <provider>" and follows the redirects to the end. */
  async function join(link: string, provider: 'google' | 'github', jar = new CookieJar()) {
    const landing = await walk(link, jar);
    expect(landing.status).toBe(200);
    const href = new RegExp(`href="(/join/[^"]+/start/${provider})"`).exec(landing.text)?.[1];
    expect(href).toBeDefined();
    return walk(new URL(href!, link).href, jar);
  }

  it('when the invited person signs in with Google using the invited email, then they are a member with the role, teams and linked identity', async () => {
    const { org, team } = await orgWithTeam('Acme');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'Ada@Example.com', role: 'admin', teamIds: [team.id] }, ADMIN);
    op.user = { sub: 'g-ada', email: 'ada@example.com', email_verified: true };
    const landing = await walk(inv.link, new CookieJar());
    expect(landing.text).toContain('Join Acme');
    expect(landing.text).toContain('test admin invited you');
    expect(landing.text).toContain('Continue with Google');
    expect(landing.text).toContain('Continue with GitHub');
    expect(landing.text).not.toContain('Continue with Microsoft');
    expect(landing.headers.get('content-security-policy')).toContain("default-src 'none'");

    const done = await join(inv.link, 'google');
    expect(done.status).toBe(200);
    expect(done.text).toContain("You're in: Acme as admin");
    const [member] = await daemon.store.findMembersByEmail(org.id, 'ada@example.com');
    expect(member).toMatchObject({ role: 'admin', status: 'active', identities: [{ provider: 'google', subject: 'g-ada', email: 'ada@example.com' }] });
    expect((await daemon.store.listTeamMembers(org.id, team.id)).items).toEqual([member!.id]);
    expect((await daemon.services.invitations.get(org.id, inv.invitation.id)).status).toBe('accepted');
    const token = new URL(inv.link).pathname.split('/').pop()!;
    expect(JSON.stringify(logs.lines)).not.toContain(token);
  });

  it('when the invitation is opened again after it was accepted, then the page says it was already used (409)', async () => {
    const { org } = await orgWithTeam('Reuse Inc');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'reuse@example.com' }, ADMIN);
    op.user = { sub: 'g-reuse', email: 'reuse@example.com', email_verified: true };
    expect((await join(inv.link, 'google')).status).toBe(200);
    const again = await walk(inv.link, new CookieJar());
    expect(again.status).toBe(409);
    expect(again.text).toContain('This invitation was already used');
  });

  it('when someone signs in with a different email, then a 403 page says so and nothing is created', async () => {
    const { org } = await orgWithTeam('Wrongmail');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'grace@example.com' }, ADMIN);
    op.user = { sub: 'g-mallory', email: 'mallory@example.com', email_verified: true };
    const done = await join(inv.link, 'google');
    expect(done.status).toBe(403);
    expect(done.text).toContain('This invitation is for a different email address');
    expect((await daemon.services.members.list(org.id)).total).toBe(0);
    expect((await daemon.services.invitations.get(org.id, inv.invitation.id)).status).toBe('pending');
  });

  it('when the invitation has passed its expiry, then the join page answers 410 expired', async () => {
    const { org } = await orgWithTeam('Expired Co');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'late@example.com' }, ADMIN);
    offsetMs = 73 * HOUR;
    try {
      const page = await walk(inv.link, new CookieJar());
      expect(page.status).toBe(410);
      expect(page.text).toContain('This invitation has expired');
    } finally {
      offsetMs = 0;
    }
  });

  it('when the invitation is revoked between the start and the callback, then the callback answers 410 revoked and nothing is created', async () => {
    const { org } = await orgWithTeam('Revoked Co');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'rev@example.com' }, ADMIN);
    op.user = { sub: 'g-rev', email: 'rev@example.com', email_verified: true };
    const jar = new CookieJar();
    const landing = await walk(inv.link, jar);
    const start = new URL(/href="(\/join\/[^"]+\/start\/google)"/.exec(landing.text)![1]!, inv.link);
    const atCallback = await walk(start.href, jar, (u) => u.pathname.startsWith('/auth/callback/'));
    await daemon.services.invitations.revoke(org.id, inv.invitation.id, ADMIN);
    const done = await walk(atCallback.url.href, jar);
    expect(done.status).toBe(410);
    expect(done.text).toContain('This invitation was revoked');
    expect((await daemon.services.members.list(org.id)).total).toBe(0);
    expect((await walk(inv.link, new CookieJar())).status).toBe(410);
  });

  it('when the state in the callback or the cookie is tampered with, then the sign-in is refused (400) and nothing is created', async () => {
    const { org } = await orgWithTeam('Tamper Co');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'tam@example.com' }, ADMIN);
    op.user = { sub: 'g-tam', email: 'tam@example.com', email_verified: true };
    const startHref = (text: string) => new URL(/href="(\/join\/[^"]+\/start\/google)"/.exec(text)![1]!, inv.link).href;
    const isCallback = (u: URL) => u.pathname.startsWith('/auth/callback/');

    const jar1 = new CookieJar();
    const cb1 = await walk(startHref((await walk(inv.link, jar1)).text), jar1, isCallback);
    cb1.url.searchParams.set('state', 'forged-state-value');
    const forgedState = await walk(cb1.url.href, jar1);
    expect(forgedState.status).toBe(400);
    expect(forgedState.text).toContain('Your sign-in could not be verified');

    const jar2 = new CookieJar();
    const cb2 = await walk(startHref((await walk(inv.link, jar2)).text), jar2, isCallback);
    const host = cb2.url.host;
    const sealed = Buffer.from(jar2.get(host, 'idsync_join')!, 'base64url');
    // The cookie is sealed (AES-GCM): flip one byte of the ciphertext and it no longer opens.
    sealed[20] = sealed[20]! ^ 0x01;
    jar2.set(host, 'idsync_join', sealed.toString('base64url'));
    const forgedCookie = await walk(cb2.url.href, jar2);
    expect(forgedCookie.status).toBe(400);

    const noCookie = await walk(cb2.url.href, new CookieJar());
    expect(noCookie.status).toBe(400);
    expect((await daemon.services.members.list(org.id)).total).toBe(0);
  });

  it('when an open link with max uses 1 is used by two people, then the second gets the "used up" page', async () => {
    const { org, team } = await orgWithTeam('Linkers');
    const { url } = await daemon.services.links.create(org.id, { maxUses: 1, teamId: team.id }, ADMIN);
    op.user = { sub: 'g-first', email: 'first@example.com', email_verified: true };
    const first = await join(url, 'google');
    expect(first.status).toBe(200);
    expect(first.text).toContain("You're in: Linkers as member");
    const [m] = await daemon.store.findMembersByEmail(org.id, 'first@example.com');
    expect(m?.identities).toEqual([{ provider: 'google', subject: 'g-first', email: 'first@example.com' }]);
    const second = await walk(url, new CookieJar());
    expect(second.status).toBe(409);
    expect(second.text).toContain('This invite link is used up');
  });

  it('when the joiner email domain is not one the link allows, then a 403 page says so and the use is not consumed', async () => {
    const { org } = await orgWithTeam('Domains');
    const { url, link } = await daemon.services.links.create(org.id, { allowedDomains: ['acme.test'] }, ADMIN);
    op.user = { sub: 'g-out', email: 'out@elsewhere.test', email_verified: true };
    const done = await join(url, 'google');
    expect(done.status).toBe(403);
    expect(done.text).toContain('Your email domain is not allowed');
    expect((await daemon.services.links.get(org.id, link.id)).uses).toBe(0);
  });

  it('when the person signs in with GitHub, then the member is linked to the GitHub user id and verified primary email', async () => {
    const { org } = await orgWithTeam('Octo Org');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'octo@example.com', role: 'member' }, ADMIN);
    gh.user = { id: 4242, login: 'octo', emails: [{ email: 'other@example.com', primary: false, verified: true }, { email: 'octo@example.com', primary: true, verified: true }] };
    const done = await join(inv.link, 'github');
    expect(done.status).toBe(200);
    expect(done.text).toContain("You're in: Octo Org as member");
    const [member] = await daemon.store.findMembersByEmail(org.id, 'octo@example.com');
    expect(member?.identities).toEqual([{ provider: 'github', subject: '4242', email: 'octo@example.com' }]);
  });

  it('when a member of another organization joins with the same identity, then they become a member here too', async () => {
    const a = await orgWithTeam('First Org');
    const b = await orgWithTeam('Second Org');
    op.user = { sub: 'g-multi', email: 'multi@example.com', email_verified: true };
    const invA = await daemon.services.invitations.invite(a.org.id, { email: 'multi@example.com' }, ADMIN);
    expect((await join(invA.link, 'google')).status).toBe(200);
    const { url } = await daemon.services.links.create(b.org.id, {}, ADMIN);
    const done = await join(url, 'google');
    expect(done.status).toBe(200);
    expect(done.text).toContain("You're in: Second Org as member");
    for (const orgId of [a.org.id, b.org.id]) {
      const [m] = await daemon.store.findMembersByEmail(orgId, 'multi@example.com');
      expect(m?.identities).toEqual([{ provider: 'google', subject: 'g-multi', email: 'multi@example.com' }]);
    }
  });

  it('when the token is unknown or the provider is not configured, then clear 404 pages answer and no redirect leaves the site', async () => {
    const unknown = await walk(`${daemon.url}/join/idsync_inv_${'A'.repeat(43)}`, new CookieJar());
    expect(unknown.status).toBe(404);
    expect(unknown.text).toContain('This invitation link is not valid');
    const { org } = await orgWithTeam('Providers');
    const inv = await daemon.services.invitations.invite(org.id, { email: 'p@example.com' }, ADMIN);
    const res = await fetch(`${inv.link}/start/microsoft`, { redirect: 'manual' });
    expect(res.status).toBe(404);
    expect(res.headers.get('location')).toBeNull();
  });
});
