import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Actor, Organization } from '../../src/domain/model.js';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { startConsoleInstall, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe.each(['sqlite', 'redis'] as const)('the console in a real browser (headless Chromium, %s)', (storeKind) => {
  let install: ConsoleInstall;
  let browser: Browser;
  let org: Organization;

  beforeAll(async () => {
    install = await startConsoleInstall(storeKind);
    browser = await launchChromium();
    const s = install.daemon.services;
    org = await s.orgs.create({ name: 'Acme Robotics' }, SETUP);
    const people: [string, string, string][] = [
      ['Grace', 'Hopper', 'owner'],
      ['Bob', 'Brown', 'member'],
      ['Carol', 'Chen', 'member'],
      ['Dan', 'Diaz', 'member'],
      ['Eve', 'Evans', 'admin'],
      ['Frank', 'Fox', 'member'],
      ['Hal', 'Hart', 'member'],
    ];
    const ids: Record<string, string> = {};
    for (const [givenName, familyName, role] of people) {
      ids[givenName] = (await s.members.create(org.id, { email: `${givenName.toLowerCase()}@acme.example`, givenName, familyName, role: role as 'member' }, SETUP)).id;
    }
    await s.members.create(org.id, { email: 'sam@acme.example', givenName: 'Sam', familyName: 'Scim' }, SETUP, { kind: 'scim' });
    const team = await s.teams.create(org.id, { displayName: 'Platform' }, SETUP);
    await s.teams.addMembers(org.id, team.id, [ids.Bob!, ids.Carol!], SETUP);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
  });

  const consoleLink = async (intent = 'all') => {
    const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--intent', intent, '--json');
    expect(r.code).toBe(0);
    return r.json<{ url: string }>().url;
  };

  /** A fresh browser profile (cookies, clipboard permission) with the console opened from a new link. */
  const signedIn = async (opts: { phone?: boolean } = {}): Promise<{ context: BrowserContext; page: Page; csp: string[]; link: string }> => {
    const context = await browser.newContext({ viewport: opts.phone ? { width: 390, height: 844 } : { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: install.env.IDSYNC_PUBLIC_URL! });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    const link = await consoleLink();
    await openConsoleLink(page, link);
    await page.waitForURL(/\/members$/);
    return { context, page, csp, link };
  };

  /** Waits for the element (pages answer a click with a new document), then checks it is the only one. */
  const one = async (l: Locator) => {
    await l.first().waitFor();
    expect(await l.count()).toBe(1);
  };
  const row = (page: Page, name: string) => page.getByRole('row').filter({ hasText: name });

  it('when the operator opens a console link, then the members page lists each member with role, teams, status and who manages them, passes axe and the CSP', async () => {
    const { context, page, csp, link } = await signedIn();
    try {
      expect(page.url()).not.toContain('token=');
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Members');
      const bob = row(page, 'Bob Brown');
      await one(bob.getByRole('cell', { name: 'bob@acme.example' }));
      await one(bob.getByRole('cell', { name: 'Platform' }));
      await one(bob.getByRole('cell', { name: 'Admins', exact: true }));
      await expect(bob.getByRole('combobox', { name: 'Role of Bob Brown' }).inputValue()).resolves.toBe('member');
      // A SCIM-managed member says why its status is not changed here instead of offering it.
      const sam = row(page, 'Sam Scim');
      await one(sam.getByRole('cell', { name: 'SCIM', exact: true }));
      await one(sam.getByText(/Managed by SCIM provisioning: change this person in your identity provider/));
      await expect(sam.getByRole('button', { name: /Deactivate|Remove/ }).count()).resolves.toBe(0);
      // Search and filters run on the server.
      // By keyboard: type in the search box and press Enter.
      await page.getByRole('searchbox', { name: 'Search by name or email' }).focus();
      await page.keyboard.type('carol');
      await page.keyboard.press('Enter');
      await page.waitForURL(/q=carol/);
      await one(page.getByRole('cell', { name: 'Carol Chen', exact: true }));
      await expect(page.getByRole('cell', { name: 'Bob Brown', exact: true }).count()).resolves.toBe(0);
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL}/console/orgs/${org.id}/members?role=admin`);
      await one(page.getByRole('cell', { name: 'Eve Evans', exact: true }));
      await expect(page.getByRole('cell', { name: 'Bob Brown', exact: true }).count()).resolves.toBe(0);
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL}/console/orgs/${org.id}/members`);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-members-${storeKind}`);

      // The link opened once: a second opening gets a clear page, not a second session.
      const again = await context.newPage();
      await again.goto(link);
      // The link's page only offers the button (a scanner's GET consumes nothing); it passes axe too.
      await expect(again.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Open the console');
      expect(await seriousA11yViolations(again)).toEqual([]);
      await screenshot(again, `console-link-continue-${storeKind}`);
      await again.getByRole('button', { name: 'Continue to the console' }).click();
      await expect(again.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This console link was already used');
      expect(await seriousA11yViolations(again)).toEqual([]);
      await screenshot(again, `console-link-used-${storeKind}`);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when an admin deactivates a member and reactivates them, then the row toggles and each change is audited as the console session; removing one member asks first', async () => {
    const { context, page, csp } = await signedIn({ phone: true });
    try {
      await row(page, 'Bob Brown').getByRole('button', { name: 'Deactivate Bob Brown' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Deactivated Bob Brown' }));
      await one(row(page, 'Bob Brown').getByText('inactive', { exact: true }));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-deactivated-phone-${storeKind}`);
      await row(page, 'Bob Brown').getByRole('button', { name: 'Reactivate Bob Brown' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Reactivated Bob Brown' }));
      await one(row(page, 'Bob Brown').getByText('active', { exact: true }));
      // One member's Remove asks first, saying removal is final.
      await row(page, 'Hal Hart').getByRole('button', { name: 'Remove Hal Hart' }).click();
      await page.waitForURL(/\/remove$/);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Remove Hal Hart?');
      await one(page.getByText('A removed member cannot be reactivated.'));
      await page.getByRole('button', { name: 'Remove Hal Hart' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Removed 1 member: Hal Hart.' }));
      expect((await install.daemon.store.findMembersByEmail(org.id, 'hal@acme.example')).length).toBe(0);
      const events = (await install.daemon.store.listAudit(org.id)).filter((e) => e.target.type === 'member' && (e.action === 'member.deactivated' || e.action === 'member.activated'));
      expect(events.map((e) => [e.action, e.source, e.actor.kind])).toEqual([
        ['member.deactivated', 'console', 'portal'],
        ['member.activated', 'console', 'portal'],
      ]);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when three members are selected and removed, then the confirmation asks "Remove 3 users?", says removal is final, and the result names anyone skipped', async () => {
    const { context, page, csp } = await signedIn();
    try {
      for (const name of ['Carol Chen', 'Dan Diaz', 'Frank Fox']) await page.getByRole('checkbox', { name: `Select ${name}` }).check();
      await page.getByRole('button', { name: 'Remove selected (3)' }).click();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Remove 3 users?');
      await one(page.getByText('A removed member cannot be reactivated.'));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-confirm-bulk-remove-${storeKind}`);
      await page.getByRole('button', { name: 'Remove 3 users' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Removed 3 members: Carol Chen, Dan Diaz, Frank Fox.' }));
      await expect(page.getByRole('cell', { name: 'Dan Diaz', exact: true }).count()).resolves.toBe(0);

      // A managed member in the selection is skipped, named, with the reason.
      await page.getByRole('checkbox', { name: 'Select Sam Scim' }).check();
      await page.getByRole('checkbox', { name: 'Select Eve Evans' }).check();
      await page.getByRole('button', { name: 'Remove selected (2)' }).click();
      await page.getByRole('button', { name: 'Remove 2 users' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Removed 1 member: Eve Evans.' }));
      await one(page.getByRole('alert').filter({ hasText: 'Skipped 1:Sam Scim: Managed by SCIM provisioning' }));
      await screenshot(page, `console-bulk-result-${storeKind}`);
      expect((await install.daemon.store.findMembersByEmail(org.id, 'sam@acme.example'))[0]?.status).toBe('active');
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when someone is invited, then a pending row shows the time left; copy puts the link on the clipboard, resend changes it, revoke ends it', async () => {
    const { context, page, csp } = await signedIn();
    try {
      await one(page.getByText('An invitation is valid for 72 hours. At most 50 can be pending at once (0 pending now).'));
      await page.getByRole('textbox', { name: 'Email', exact: true }).fill('nia@acme.example');
      await page.getByRole('textbox', { name: 'First name (optional)' }).fill('Nia');
      await page.getByRole('button', { name: 'Send invitation' }).click();
      const first = await page.getByRole('textbox', { name: /Invitation link/ }).inputValue();
      expect(first).toMatch(new RegExp(`^${install.env.IDSYNC_PUBLIC_URL}/join/idsync_inv_`));
      const pending = row(page, 'nia@acme.example');
      await one(pending.getByRole('cell', { name: /^7[12] h \d+ min left$/ }));
      await page.getByRole('button', { name: 'Copy link', exact: true }).click();
      await one(page.getByText('Link copied to the clipboard.'));
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(first);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-invited-${storeKind}`);

      await pending.getByRole('button', { name: 'Copy link for nia@acme.example' }).click();
      await expect(page.getByRole('textbox', { name: 'Invitation link' }).inputValue()).resolves.toBe(first);

      await row(page, 'nia@acme.example').getByRole('button', { name: 'Resend for nia@acme.example' }).click();
      const second = await page.getByRole('textbox', { name: 'New invitation link' }).inputValue();
      expect(second).toMatch(/\/join\/idsync_inv_/);
      expect(second).not.toBe(first);
      expect((await fetch(first)).status).toBe(404);
      expect((await fetch(second)).status).toBe(200);

      await row(page, 'nia@acme.example').getByRole('button', { name: 'Revoke for nia@acme.example' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Revoked the invitation of nia@acme.example' }));
      await one(page.getByText('No pending invitations.'));
      expect((await fetch(second)).status).toBe(410);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when links are expired or for another part of the console, or a form lacks its token, then the browser gets a clear page and nothing changes', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    try {
      const late = await consoleLink();
      install.clock.offsetMs = 6 * 60_000;
      try {
        await openConsoleLink(page, late);
        await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This console link has expired');
      } finally {
        install.clock.offsetMs = 0;
      }

      await openConsoleLink(page, await consoleLink('scim'));
      await page.waitForURL(new RegExp(`/console/orgs/${org.id}$`));
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL}/console/orgs/${org.id}/members`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not part of this session');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-wrong-intent-${storeKind}`);

      await openConsoleLink(page, await consoleLink('members'));
      await page.waitForURL(/\/members$/);
      // A form from elsewhere: the session cookie goes with it (same origin), the token does not.
      const bob = (await install.daemon.store.findMembersByEmail(org.id, 'bob@acme.example'))[0]!;
      const action = `/console/orgs/${org.id}/members/${bob.id}/deactivate`;
      await page.evaluate(`(() => { const f = document.createElement('form'); f.method = 'post'; f.action = ${JSON.stringify(action)}; document.body.append(f); f.submit(); })()`);
      await page.waitForURL(/\/deactivate$/);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('This form could not be accepted');
      expect((await install.daemon.store.getMember(org.id, bob.id))?.status).toBe('active');
      await screenshot(page, `console-csrf-refused-${storeKind}`);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
