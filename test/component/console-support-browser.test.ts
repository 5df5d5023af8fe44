import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { collectCspErrors, launchChromium, screenshot, seriousA11yViolations } from '../support/browser.js';
import { personIn, SETUP, startSignInInstall, type SignInInstall } from '../support/console-sign-in.js';

describe.each(['sqlite', 'redis'] as const)('the support access page in a real browser (headless Chromium, %s)', (storeKind) => {
  let install: SignInInstall;
  let browser: Browser;
  let n = 0;
  const sub = () => `support-${storeKind}-${++n}`;

  beforeAll(async () => {
    install = await startSignInInstall(storeKind);
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
  });

  const fresh = async (): Promise<{ context: BrowserContext; page: Page; csp: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    return { context, page, csp: collectCspErrors(page) };
  };
  const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  const noViolations = async (page: Page) => expect(await seriousA11yViolations(page)).toEqual([]);
  const signIn = async (page: Page, who: { sub: string; email: string }) => {
    install.op.user = { sub: who.sub, email: who.email, email_verified: true };
    await page.goto(`${install.base}/console/sign-in`);
    await page.getByRole('link', { name: 'Continue with Google' }).click();
    await page.waitForURL((u) => u.pathname.startsWith('/console/orgs/'));
  };

  it('when an owner requires consent, grants access and revokes it after confirming, then each page passes axe and the CSP and the audit names the owner', async () => {
    // Arrange
    const org = await install.daemon.services.orgs.create({ name: `Initech ${storeKind}` }, SETUP);
    const id = sub();
    const olga = await personIn(install, org, 'olga@initech.example', 'owner', id);
    const { context, page, csp } = await fresh();
    try {
      await signIn(page, { sub: id, email: 'olga@initech.example' });

      // Act 1: the nav link, then consent.
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Support access' }).click();
      await expect(h1(page)).resolves.toBe('Support access');
      await noViolations(page);
      await screenshot(page, `console-support-open-${storeKind}`);
      await page.getByRole('radio', { name: "Consent: only while an owner's grant is live" }).check();
      await page.getByRole('button', { name: 'Save support access' }).click();
      await page.getByRole('status').filter({ hasText: "Support access now needs an owner's consent" }).waitFor();

      // Act 2: a grant.
      await page.getByRole('spinbutton', { name: 'Hours (1 to 720)' }).fill('3');
      await page.getByRole('textbox', { name: 'Reason' }).fill('ticket 12: SCIM stopped');
      await page.getByRole('button', { name: 'Grant access' }).click();
      const live = page.getByRole('table', { name: 'Live grants' });
      await live.getByRole('cell', { name: 'ticket 12: SCIM stopped', exact: true }).waitFor();
      await expect(live.getByRole('cell', { name: '3 h 0 min left', exact: true }).count()).resolves.toBe(1);
      await expect(live.getByRole('cell', { name: 'olga@initech.example', exact: false }).count()).resolves.toBe(1);
      await noViolations(page);
      await screenshot(page, `console-support-granted-${storeKind}`);
      await page.setViewportSize({ width: 390, height: 844 });
      await noViolations(page);
      await screenshot(page, `console-support-granted-phone-${storeKind}`);
      await page.setViewportSize({ width: 1280, height: 900 });

      // Act 3: revoke, confirmed.
      await page.getByRole('button', { name: 'Revoke the grant for ticket 12: SCIM stopped' }).click();
      await expect(h1(page)).resolves.toBe('Revoke the support grant for ticket 12: SCIM stopped?');
      await noViolations(page);
      await screenshot(page, `console-support-revoke-confirm-${storeKind}`);
      await page.getByRole('button', { name: 'Revoke the grant' }).click();

      // Assert
      const history = page.getByRole('table', { name: 'Expired and revoked grants' });
      await history.getByRole('cell', { name: 'ticket 12: SCIM stopped', exact: true }).waitFor();
      await expect(page.getByRole('table', { name: 'Live grants' }).count()).resolves.toBe(0);
      await noViolations(page);
      await screenshot(page, `console-support-history-${storeKind}`);
      expect(csp).toEqual([]);
      const events = await install.daemon.store.listAudit(org.id, { limit: 1000 });
      for (const action of ['org.support_access_changed', 'support.granted', 'support.revoked']) {
        expect(events.find((e) => e.action === action)?.actor).toMatchObject({ kind: 'member', id: olga.id });
      }
    } finally {
      await context.close();
    }
  });

  it('when an admin (not an owner) opens the page, then it is read-only and says why', async () => {
    const org = await install.daemon.services.orgs.create({ name: `Umbrella ${storeKind}` }, SETUP);
    const id = sub();
    await personIn(install, org, 'ada@umbrella.example', 'admin', id);
    await install.daemon.services.support.setMode({ kind: 'org', orgId: org.id, role: 'owner', actor: SETUP }, org.id, 'consent');
    await install.daemon.services.support.grant({ kind: 'org', orgId: org.id, role: 'owner', actor: { kind: 'admin', id: 'k1', label: 'owner key' } }, org.id, { hours: 5, reason: 'ticket 3' });
    const { context, page, csp } = await fresh();
    try {
      await signIn(page, { sub: id, email: 'ada@umbrella.example' });
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Support access' }).click();
      await expect(h1(page)).resolves.toBe('Support access');
      await page.getByText(`You are an admin of Umbrella ${storeKind}: only its owners can change support access, grant it or revoke a grant.`).waitFor();
      await page.getByRole('table', { name: 'Live grants' }).getByRole('cell', { name: 'ticket 3', exact: true }).waitFor();
      await expect(page.getByRole('button', { name: 'Grant access' }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: 'Save support access' }).count()).resolves.toBe(0);
      await expect(page.getByRole('button', { name: /^Revoke/ }).count()).resolves.toBe(0);
      await noViolations(page);
      await screenshot(page, `console-support-admin-${storeKind}`);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });
});
