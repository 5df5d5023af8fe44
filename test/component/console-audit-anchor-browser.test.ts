import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { Actor, Organization } from '../../src/domain/model.js';
import { seedAuditChain } from '../support/audit-chain.js';
import { openTamper } from '../support/audit-tamper.js';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { startConsoleInstall, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe('Audit page anchors in a real browser: the head to copy, an anchor to verify against (headless Chromium, sqlite)', () => {
  let install: ConsoleInstall;
  let browser: Browser;
  let org: Organization;

  beforeAll(async () => {
    install = await startConsoleInstall('sqlite');
    browser = await launchChromium();
    org = await install.daemon.services.orgs.create({ name: 'Anchored Ltd' }, SETUP);
    await seedAuditChain(install.env, install.daemon.store, org.id, 300);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
  });

  const auditPage = async (): Promise<{ context: BrowserContext; page: Page; csp: string[] }> => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: install.env.IDSYNC_PUBLIC_URL! });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--intent', 'all', '--json');
    await openConsoleLink(page, r.json<{ url: string }>().url);
    await page.waitForURL(/\/console\/orgs\/[^/]+(\/members)?$/);
    await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' }).click();
    return { context, page, csp };
  };

  it('when the head is copied and the last events are then deleted in the database, then Verify chain with that anchor says the trail was cut; a typo is refused next to the field, as typed', async () => {
    const { context, page, csp } = await auditPage();
    try {
      const head = (await install.daemon.store.listAudit(org.id, { afterSeq: 300, limit: 1 }))[0]!;
      const shown = page.getByRole('textbox', { name: 'Anchor of the current head' });
      expect(await shown.inputValue()).toBe(`${head.seq}:${head.hash}`);
      await page.getByRole('button', { name: 'Copy anchor' }).click();
      await page.getByText('Anchor copied.').waitFor();
      const anchor = String(await page.evaluate('navigator.clipboard.readText()'));
      expect(anchor).toBe(`${head.seq}:${head.hash}`);
      expect(await seriousA11yViolations(page)).toEqual([]);

      // A typo: refused on the page, the anchor kept as typed.
      const field = page.getByRole('textbox', { name: 'Anchor to check (optional)' });
      await field.fill('301:not-a-hash');
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await page.getByText('Not verified: the anchor was refused (see the field).').waitFor();
      expect(await page.getByRole('textbox', { name: 'Anchor to check (optional)' }).getAttribute('aria-invalid')).toBe('true');
      expect(await page.locator('#verify-anchor-error').textContent()).toContain('anchor must be SEQ:HASH');
      expect(await page.getByRole('textbox', { name: 'Anchor to check (optional)' }).inputValue()).toBe('301:not-a-hash');

      // Someone with database access cuts the last ten events.
      const tamper = await openTamper(install.env);
      await tamper.cutAfter(org.id, head.seq - 10);
      await tamper.close();

      await page.getByRole('textbox', { name: 'Anchor to check (optional)' }).fill(anchor);
      await page.getByRole('button', { name: 'Verify chain' }).click();
      const broken = page.getByRole('alert').filter({ hasText: `The chain is broken at event #${head.seq - 9}` });
      await broken.waitFor({ timeout: 30_000 });
      const text = (await broken.textContent()) ?? '';
      expect(text).toContain('the trail ends before the anchored event: events were cut from its end');
      expect(text).toContain(`Anchor ${anchor}: the trail ends before that seq (the last event is #${head.seq - 10}).`);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'console-audit-anchor-truncated');
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
