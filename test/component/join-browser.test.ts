import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Actor } from '../../src/domain/model.js';
import { captureLogger } from '../support/connectors.js';
import { startOidcProvider, type TestOidcProvider } from '../fakes/oidc-provider.js';
import { joinLinkFromMail } from '../support/eml.js';
import { tempDir, testEnv } from '../support/harness.js';
import { freePort } from '../support/join.js';

const CHROMIUM = '/usr/bin/chromium';
const ADMIN: Actor = { kind: 'system', label: 'Grace Hopper' };

describe('join page in a real browser (headless Chromium)', () => {
  let dir: string;
  let op: TestOidcProvider;
  let daemon: Daemon;

  beforeAll(async () => {
    dir = tempDir();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    op = await startOidcProvider([`${publicUrl}/auth/callback/google`]);
    const env = testEnv(dir, {
      IDSYNC_PORT: String(port),
      IDSYNC_PUBLIC_URL: publicUrl,
      IDSYNC_OIDC_GOOGLE_CLIENT_ID: op.clientId,
      IDSYNC_OIDC_GOOGLE_CLIENT_SECRET: op.clientSecret,
      IDSYNC_OIDC_GOOGLE_ISSUER: op.issuer,
    });
    daemon = await startDaemon(loadConfig({ env, cwd: dir }), { logger: captureLogger() });
  });

  afterAll(async () => {
    await daemon?.stop();
    await op?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when an invited person opens the link from their mail and continues with Google, then they land on the success page as a linked member', async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium; .ci/run does this) to run the browser test`);
    }
    const org = await daemon.services.orgs.create({ name: 'Acme' }, ADMIN);
    const inv = await daemon.services.invitations.invite(org.id, { email: 'ada@example.com', givenName: 'Ada' }, ADMIN);
    op.user = { sub: 'browser-sub-1', email: 'ada@example.com', email_verified: true };
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
      // launch() gives each run a fresh temporary profile (it refuses an explicit --user-data-dir).
    });
    try {
      const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
      const cspErrors: string[] = [];
      page.on('console', (m) => {
        // The browser's own /favicon.ico probe 404s; what matters is that the CSP blocked nothing.
        if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
      });
      // What the person clicks: the link in the mail they received.
      const link = joinLinkFromMail(join(dir, 'mail'));
      expect(link).toBe(inv.link);
      await page.goto(link);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Join Acme');
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await page.waitForURL(/\/auth\/callback\/google/);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe("You're in: Acme as member");
      const out = join(process.cwd(), 'test-output');
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: join(out, 'join-success.png'), fullPage: true });
      expect(cspErrors).toEqual([]);
    } finally {
      await browser.close();
    }
    const [member] = await daemon.store.findMembersByEmail(org.id, 'ada@example.com');
    expect(member?.identities).toEqual([{ provider: 'google', subject: 'browser-sub-1', email: 'ada@example.com' }]);
    expect(op.interactions).toBeGreaterThanOrEqual(1);
  });
});
