import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { personIn, SETUP, startSignInInstall, type SignInInstall } from '../support/console-sign-in.js';
import { cli } from '../support/harness.js';

describe.each(['sqlite', 'redis'] as const)('console sign-in in a real browser (headless Chromium, %s)', (storeKind) => {
  let install: SignInInstall;
  let browser: Browser;
  let n = 0;
  const org = (name: string) => install.daemon.services.orgs.create({ name }, SETUP);
  const sub = () => `browser-${storeKind}-${++n}`;

  beforeAll(async () => {
    install = await startSignInInstall(storeKind);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
  });

  /** A fresh profile (no provider session either) on the console's sign-in page. */
  const fresh = async (): Promise<{ context: BrowserContext; page: Page; csp: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    return { context, page, csp: collectCspErrors(page) };
  };
  const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const noViolations = async (page: Page) => expect(await seriousA11yViolations(page)).toEqual([]);

  const signIn = async (page: Page, who: { sub: string; email: string }, refused = false) => {
    install.op.user = { sub: who.sub, email: who.email, email_verified: true };
    await page.goto(`${install.base}/console/sign-in`);
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    // A refusal is the callback's own page; a sign-in moves on into the console.
    await page.waitForURL((u) => (refused ? u.pathname === '/auth/callback/google/console' : u.pathname.startsWith('/console/') && !u.pathname.startsWith('/console/sign-in')));
  };

  it('when an admin signs in with Google, then the sign-in page and the members page of their organization open and pass axe and the CSP', async () => {
    const acme = await org(`Acme Browser ${storeKind}`);
    const id = sub();
    await personIn(install, acme, 'ada@acme.example', 'admin', id);
    const { context, page, csp } = await fresh();
    try {
      await page.goto(`${install.base}/console/sign-in`);
      await expect(h1(page)).resolves.toBe('Sign in to the idsync console');
      await noViolations(page);
      await screenshot(page, `console-sign-in-${storeKind}`);
      await signIn(page, { sub: id, email: 'ada@acme.example' });
      expect(new URL(page.url()).pathname).toBe(`/console/orgs/${acme.id}/members`);
      await expect(h1(page)).resolves.toBe('Members');
      await page.getByRole('row').filter({ hasText: 'ada@acme.example' }).first().waitFor();
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when an owner of two organizations signs in, then the picker opens one and "Organizations" switches to the other without signing in again', async () => {
    const north = await org(`North ${storeKind}`);
    const south = await org(`South ${storeKind}`);
    const id = sub();
    await personIn(install, north, 'kim@corp.example', 'owner', id);
    await personIn(install, south, 'kim@corp.example', 'owner', id);
    const { context, page, csp } = await fresh();
    try {
      await signIn(page, { sub: id, email: 'kim@corp.example' });
      await expect(h1(page)).resolves.toBe('Choose an organization');
      await noViolations(page);
      await screenshot(page, `console-org-picker-${storeKind}`);
      // At a phone's width the table turns into cards; still every link by its name, still no violation.
      await page.setViewportSize({ width: 390, height: 844 });
      await expect(page.getByRole('link', { name: `Open ${south.name}` }).isVisible()).resolves.toBe(true);
      await noViolations(page);
      await screenshot(page, `console-org-picker-phone-${storeKind}`);
      await page.setViewportSize({ width: 1280, height: 900 });
      await page.getByRole('link', { name: `Open ${north.name}` }).click();
      await page.waitForURL(`**/console/orgs/${north.id}/members`);
      await expect(h1(page)).resolves.toBe('Members');
      const interactions = install.op.interactions;
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Organizations' }).click();
      await page.waitForURL('**/console/orgs');
      await page.getByRole('link', { name: `Open ${south.name}` }).click();
      await page.waitForURL(`**/console/orgs/${south.id}/members`);
      await expect(page.getByText(south.name).first().isVisible()).resolves.toBe(true);
      expect(install.op.interactions).toBe(interactions);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when a plain member signs in, then they are refused with a clear page that passes axe', async () => {
    const acme = await org(`Plain ${storeKind}`);
    const id = sub();
    await personIn(install, acme, 'pat@plain.example', 'member', id);
    const { context, page } = await fresh();
    try {
      await signIn(page, { sub: id, email: 'pat@plain.example' }, true);
      await expect(h1(page)).resolves.toBe('You are not an owner or admin of any organization');
      await expect(page.getByRole('link', { name: 'Sign in with another account' }).isVisible()).resolves.toBe(true);
      await noViolations(page);
      await screenshot(page, `console-sign-in-refused-${storeKind}`);
      expect((await context.cookies()).some((c) => c.name === 'idsync_console')).toBe(false);
    } finally {
      await context.close();
    }
  });

  it('when the operator opens an operator link, then every organization is listed and one opens on its members page', async () => {
    const acme = await org(`Operated ${storeKind}`);
    await install.daemon.services.members.create(acme.id, { email: 'bob@operated.example', givenName: 'Bob' }, SETUP);
    const r = await cli(install.env, install.cwd, 'console-link', '--operator', '--json');
    expect(r.code).toBe(0);
    const { context, page, csp } = await fresh();
    try {
      await openConsoleLink(page, r.json<{ url: string }>().url);
      await page.waitForURL('**/console/orgs');
      await expect(h1(page)).resolves.toBe('All organizations');
      const row = page.getByRole('row').filter({ hasText: acme.name });
      await expect(row.getByRole('cell', { name: '1', exact: true }).count()).resolves.toBe(1);
      await expect(row.getByRole('cell', { name: 'active', exact: true }).count()).resolves.toBe(1);
      await noViolations(page);
      await screenshot(page, `console-operator-orgs-${storeKind}`);
      await row.getByRole('link', { name: `Open ${acme.name}` }).click();
      await page.waitForURL(`**/console/orgs/${acme.id}/members`);
      await expect(h1(page)).resolves.toBe('Members');
      await page.getByRole('row').filter({ hasText: 'bob@operated.example' }).first().waitFor();
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
