import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser } from 'playwright-core';
import type { Actor, AuditEvent, Organization } from '../../src/domain/model.js';
import { seedAuditChain } from '../support/audit-chain.js';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { startConsoleInstall, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };
/** Long enough that the run is still going when the page after the click renders (about a second here). */
const CHAIN = 100_000;

describe('Verify chain on a long trail in a real browser: progress, then the verdict (headless Chromium, sqlite)', () => {
  let install: ConsoleInstall;
  let browser: Browser;
  let org: Organization;
  let head: AuditEvent;

  beforeAll(async () => {
    install = await startConsoleInstall('sqlite');
    browser = await launchChromium();
    org = await install.daemon.services.orgs.create({ name: 'Long Trail Ltd' }, SETUP);
    head = await seedAuditChain(install.env, install.daemon.store, org.id, CHAIN - 1);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
  });

  it('when Verify chain is pressed, then the page shows the run checking events, refreshes itself, and shows the intact verdict with when and who', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    try {
      const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--intent', 'all', '--json');
      await openConsoleLink(page, r.json<{ url: string }>().url);
      await page.waitForURL(/\/console\/orgs\/[^/]+(\/members)?$/);
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' }).click();
      await page.getByRole('button', { name: 'Verify chain' }).click();

      // The click answers at once with the page of a running verification, not the verdict.
      await page.waitForURL(new RegExp(`/console/orgs/${org.id}/audit$`));
      const running = page.getByRole('status').filter({ hasText: 'Verifying the chain…' });
      await running.waitFor({ timeout: 5_000 });
      expect(await running.textContent()).toMatch(new RegExp(`of ${CHAIN.toLocaleString('en')} events checked`));
      expect(await page.getByRole('progressbar', { name: 'Events verified' }).getAttribute('max')).toBe(String(CHAIN));
      expect(await page.getByRole('button', { name: 'Verify chain' }).count()).toBe(0);
      // The page does not reload while a form field has focus (typing is never lost): that holds it still for axe.
      const search = page.getByRole('searchbox', { name: 'Action starts with' });
      await search.focus();
      await screenshot(page, 'console-audit-verify-running');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await search.blur();

      // No click: console.js reloads the page until the verdict is in.
      const intact = page.getByRole('status').filter({ hasText: `The chain is intact. ${CHAIN.toLocaleString('en')} events verified; the last is #${head.seq}` });
      await intact.waitFor({ timeout: 60_000 });
      expect(await intact.textContent()).toMatch(/Verified \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC, asked by console session \(portal link[^)]*\)\./);
      await page.getByRole('button', { name: 'Verify chain' }).waitFor();
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'console-audit-verify-intact');
      expect(csp).toEqual([]);

      const events = await install.daemon.store.listAudit(org.id, { afterSeq: head.seq });
      expect(events.map((e) => [e.action, e.actor.kind])).toEqual([['audit.verified', 'portal']]);
    } finally {
      await context.close();
    }
  }, 120_000);

  it('when an event was changed outside idsync, then the verdict names the first broken event, its id and why', async () => {
    const tampered = await install.daemon.services.orgs.create({ name: 'Edited Trail Inc' }, SETUP);
    await seedAuditChain(install.env, install.daemon.store, tampered.id, 2_000, { changeAt: 1_500 });
    const changed = (await install.daemon.store.listAudit(tampered.id, { afterSeq: 1_499, limit: 1 }))[0]!;
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    try {
      const r = await cli(install.env, install.cwd, 'console-link', '--org', tampered.id, '--intent', 'all', '--json');
      await openConsoleLink(page, r.json<{ url: string }>().url);
      await page.waitForURL(/\/console\/orgs\/[^/]+(\/members)?$/);
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL!}/console/orgs/${tampered.id}/audit`);
      await page.getByRole('button', { name: 'Verify chain' }).click();
      const broken = page.getByRole('alert').filter({ hasText: 'The chain is broken at event #1500' });
      await broken.waitFor({ timeout: 30_000 });
      expect(await broken.textContent()).toContain(`(id ${changed.id}): its content no longer matches its hash. 1,499 events before it verified.`);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, 'console-audit-verify-broken');
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 120_000);
});
