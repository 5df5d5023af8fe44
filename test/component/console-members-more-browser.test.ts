/**
 * The members page's later additions in headless Chromium, by role and accessible name, each page
 * checked with axe and the CSP: the invitation from the form to the mail's link, the join page and
 * a sign-in with the local provider, until the person is on the members page (and a resent link
 * replaces the old one, a revoked one stops working); adding someone from another organization;
 * deleting a directory connection; the nav at a phone's width.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { personIn, SETUP, startSignInInstall, type SignInInstall } from '../support/console-sign-in.js';
import { joinLinkFromMail } from '../support/eml.js';
import { cli } from '../support/harness.js';
import { STORES } from '../support/scim.js';

describe.each(STORES)('console members page additions in a real browser (headless Chromium, %s)', (storeKind) => {
  let install: SignInInstall;
  let browser: Browser;
  const org = (name: string) => install.daemon.services.orgs.create({ name }, SETUP);
  const s = () => install.daemon.services;

  beforeAll(async () => {
    install = await startSignInInstall(storeKind);
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
  });

  const fresh = async (viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; page: Page; csp: string[] }> => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    return { context, page, csp: collectCspErrors(page) };
  };
  const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const noViolations = async (page: Page) => expect(await seriousA11yViolations(page)).toEqual([]);
  const link = async (...args: string[]) => {
    const r = await cli(install.env, install.cwd, 'console-link', ...args, '--json');
    expect(r.code).toBe(0);
    return r.json<{ url: string }>().url;
  };
  const mailDir = () => join(install.cwd, 'data', 'mail');

  it('when an admin invites someone, then the mailed link opens the join page, Google sign-in makes them a member shown on the members page; a resent mail replaces the link and a revoked one stops working', async () => {
    const acme = await org('Acme Robotics');
    const admin = await fresh();
    const guest = await fresh({ width: 390, height: 844 });
    try {
      await openConsoleLink(admin.page, await link('--org', acme.id));
      await admin.page.waitForURL(/\/members$/);
      await admin.page.getByRole('textbox', { name: 'Email', exact: true }).fill('nia@acme.example');
      await admin.page.getByRole('textbox', { name: 'First name (optional)' }).fill('Nia');
      await admin.page.getByRole('button', { name: 'Send invitation' }).click();
      await admin.page.getByRole('status').filter({ hasText: 'Invited nia@acme.example. The invitation was emailed.' }).waitFor();

      // The invitee clicks the link in the mail, continues with Google (the local provider) and is in.
      const mailed = joinLinkFromMail(mailDir());
      expect(mailed).toBe(await admin.page.getByRole('textbox', { name: /Invitation link/ }).inputValue());
      install.op.user = { sub: `nia-${storeKind}`, email: 'nia@acme.example', email_verified: true };
      await guest.page.goto(mailed);
      await expect(h1(guest.page)).resolves.toBe(`Join ${acme.name}`);
      await noViolations(guest.page);
      await guest.page.getByRole('link', { name: 'Continue with Google' }).click();
      await guest.page.waitForURL(/\/auth\/callback\/google/);
      await expect(h1(guest.page)).resolves.toBe(`You're in: ${acme.name} as member`);
      await noViolations(guest.page);
      await screenshot(guest.page, `console-invite-joined-${storeKind}`);

      // Back on the members page: the person is a member, linked, joined by invitation; nothing pending.
      await admin.page.goto(`${install.base}/console/orgs/${acme.id}/members`);
      const row = admin.page.getByRole('row').filter({ hasText: 'nia@acme.example' });
      await row.getByRole('cell', { name: 'Admins (joined by invitation)' }).waitFor();
      await expect(row.getByRole('cell', { name: 'active', exact: true }).count()).resolves.toBe(1);
      await admin.page.getByText('No pending invitations.').waitFor();
      const [nia] = await install.daemon.store.findMembersByEmail(acme.id, 'nia@acme.example');
      expect(nia?.identities).toEqual([{ provider: 'google', subject: `nia-${storeKind}`, email: 'nia@acme.example' }]);

      // Resend mails a new link and the first one stops working; revoke ends the second.
      await admin.page.getByRole('textbox', { name: 'Email', exact: true }).fill('omar@acme.example');
      await admin.page.getByRole('button', { name: 'Send invitation' }).click();
      await admin.page.getByRole('status').filter({ hasText: 'Invited omar@acme.example' }).waitFor();
      const first = joinLinkFromMail(mailDir());
      await admin.page.getByRole('row').filter({ hasText: 'omar@acme.example' }).getByRole('button', { name: 'Resend for omar@acme.example' }).click();
      await admin.page.getByRole('status').filter({ hasText: 'Sent the invitation to omar@acme.example again' }).waitFor();
      const second = joinLinkFromMail(mailDir());
      expect(second).not.toBe(first);
      expect((await guest.page.goto(first))?.status()).toBe(404);
      await expect(h1(guest.page)).resolves.toBe('This invitation link is not valid');
      expect((await guest.page.goto(second))?.status()).toBe(200);
      await expect(h1(guest.page)).resolves.toBe(`Join ${acme.name}`);
      await admin.page.getByRole('row').filter({ hasText: 'omar@acme.example' }).getByRole('button', { name: 'Revoke for omar@acme.example' }).click();
      await admin.page.getByRole('status').filter({ hasText: 'Revoked the invitation of omar@acme.example' }).waitFor();
      expect((await guest.page.goto(second))?.status()).toBe(410);
      await expect(h1(guest.page)).resolves.toBe('This invitation was revoked');
      await noViolations(guest.page);
      expect(admin.csp).toEqual([]);
      expect(guest.csp).toEqual([]);
    } finally {
      await admin.context.close();
      await guest.context.close();
    }
  });

  it('when an owner of two organizations adds a person from the other one, then they search, choose by name, give a role and the person is listed as a member', async () => {
    const north = await org('North Labs');
    const south = await org('South Works');
    const kim = `kim-browser-${storeKind}`;
    await personIn(install, north, 'kim@corp.example', 'owner', kim);
    await personIn(install, south, 'kim@corp.example', 'owner', kim);
    const sol = await s().members.create(south.id, { email: 'sol@south.example', givenName: 'Sol', familyName: 'Sun' }, SETUP);
    await s().members.linkIdentity(south.id, sol.id, { provider: 'github', subject: `sol-${storeKind}`, email: 'sol@south.example' }, SETUP);
    await s().teams.create(north.id, { displayName: 'Platform' }, SETUP);
    const { context, page, csp } = await fresh();
    try {
      install.op.user = { sub: kim, email: 'kim@corp.example', email_verified: true };
      await page.goto(`${install.base}/console/sign-in`);
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await page.getByRole('link', { name: `Open ${north.name}` }).click();
      await page.waitForURL(`**/console/orgs/${north.id}/members`);
      await page.getByRole('link', { name: 'Add someone from another organization' }).click();
      await expect(h1(page)).resolves.toBe('Add someone from another organization');
      await page.getByRole('searchbox', { name: 'Name or email' }).fill('sol');
      await page.getByRole('combobox', { name: 'From organization' }).selectOption({ label: south.name });
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByRole('radio', { name: `Choose Sol Sun of ${south.name}` }).check();
      await page.getByRole('combobox', { name: `Role in ${north.name}` }).selectOption('admin');
      await page.getByRole('listbox', { name: `Teams in ${north.name} (optional)` }).selectOption({ label: 'Platform' });
      await noViolations(page);
      await screenshot(page, `console-add-existing-${storeKind}`);
      // At a phone's width the results turn into cards; the choice is still found by its name.
      await page.setViewportSize({ width: 375, height: 812 });
      await expect(page.getByRole('radio', { name: `Choose Sol Sun of ${south.name}` }).isChecked()).resolves.toBe(true);
      await noViolations(page);
      await screenshot(page, `console-add-existing-phone-${storeKind}`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.getByRole('button', { name: `Add to ${north.name}` }).click();
      await page.getByRole('status').filter({ hasText: `Added Sol Sun from ${south.name} as admin.` }).waitFor();
      const row = page.getByRole('row').filter({ hasText: 'sol@south.example' });
      await expect(row.getByRole('combobox', { name: 'Role of Sol Sun' }).inputValue()).resolves.toBe('admin');
      await row.getByRole('cell', { name: 'Platform' }).waitFor();
      await noViolations(page);

      // Again: the page says why not, next to the person.
      await page.goto(`${install.base}/console/orgs/${north.id}/members/add-existing?q=sol`);
      await page.getByRole('row').filter({ hasText: 'Already a member here (active)' }).waitFor();
      await expect(page.getByRole('radio').count()).resolves.toBe(0);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when an admin deletes a directory connection, then the confirmation names it and what happens, and the directory page says it is gone', async () => {
    const acme = await org('Acme Directory');
    const conn = await s().connections.create(acme.id, { provider: 'github', name: 'GitHub acme', config: { org: 'acme', token: 'ghp_browser_delete_token_0123456789' } }, SETUP);
    await s().members.create(acme.id, { email: 'dee@acme.example', givenName: 'Dee' }, SETUP, { kind: 'directory', connectionId: conn.id });
    const { context, page, csp } = await fresh();
    try {
      await openConsoleLink(page, await link('--org', acme.id, '--intent', 'directory'));
      await page.waitForURL(new RegExp(`/console/orgs/${acme.id}$`));
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Directory sync' }).click();
      await page.getByRole('link', { name: 'GitHub acme' }).click();
      await page.getByRole('button', { name: 'Delete connection' }).click();
      await expect(h1(page)).resolves.toBe('Delete GitHub acme?');
      await page.getByText('It manages 1 member (1 active, 0 inactive).', { exact: false }).waitFor();
      await noViolations(page);
      await screenshot(page, `console-connection-delete-${storeKind}`);
      await page.getByRole('button', { name: 'Delete GitHub acme' }).click();
      await page.getByRole('status').filter({ hasText: 'Deleted GitHub acme: its runs have stopped.' }).waitFor();
      await page.getByText('No directory is connected yet.').waitFor();
      await expect(page.getByRole('link', { name: 'GitHub acme' }).count()).resolves.toBe(0);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when the console is opened on a phone (375 px), then every nav link shows on one line without sideways scrolling and passes axe', async () => {
    const acme = await org('Phone Co');
    const { context, page, csp } = await fresh({ width: 375, height: 812 });
    try {
      await openConsoleLink(page, await link('--operator'));
      await page.waitForURL(/\/console\/orgs$/);
      await page.goto(`${install.base}/console/orgs/${acme.id}/members`);
      const nav = page.getByRole('navigation', { name: 'Console' });
      for (const name of ['Overview', 'Members', 'Directory sync', 'SCIM', 'Audit', 'Organizations']) {
        const box = (await nav.getByRole('link', { name, exact: true }).boundingBox())!;
        // On one line (a wrapped label is twice as tall), and inside the screen.
        expect(box.height).toBeLessThan(48);
        expect(box.x).toBeGreaterThanOrEqual(0);
        expect(box.x + box.width).toBeLessThanOrEqual(375);
      }
      expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(375);
      await expect(nav.getByRole('link', { name: 'Members', exact: true }).getAttribute('aria-current')).resolves.toBe('page');
      await noViolations(page);
      await screenshot(page, `console-nav-phone-${storeKind}`);
      await nav.getByRole('link', { name: 'Directory sync', exact: true }).click();
      await expect(h1(page)).resolves.toBe('Directory sync');
      await noViolations(page);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
