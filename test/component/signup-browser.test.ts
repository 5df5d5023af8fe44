import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import type { Actor } from '../../src/domain/model.js';
import { collectCspErrors, launchChromium, seriousA11yViolations } from '../support/browser.js';
import { startSignupInstall, type SignupInstall } from '../support/signup.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe.each(['sqlite', 'redis'] as const)('the sign-up pages in a real browser (headless Chromium, %s)', (storeKind) => {
  let install: SignupInstall;
  let browser: Browser;
  let product: Server;
  let productUrl: string;

  beforeAll(async () => {
    install = await startSignupInstall(storeKind);
    browser = await launchChromium();
    // The host product the continue URL points at: it greets whoever arrives.
    product = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><html lang="en"><title>Product</title><h1>Welcome to the product</h1><p id="ids">${u.searchParams.get('orgId')} ${u.searchParams.get('memberId')}</p></html>`);
    });
    await new Promise<void>((resolve) => product.listen(0, '127.0.0.1', resolve));
    productUrl = `http://127.0.0.1:${(product.address() as AddressInfo).port}/start`;
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => product?.close(resolve));
    await install?.dispose();
  });

  const heading = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();

  async function fresh(): Promise<{ page: Page; csp: string[]; close: () => Promise<void> }> {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(8000);
    return { page, csp: collectCspErrors(page), close: () => context.close() };
  }

  it('when a new person names their organization and continues with Google, then they land on its first steps, and the invite step opens the console', async () => {
    const open = install.daemons.open;
    install.op.user = { sub: 'b-founder', email: 'founder@browserco.example', email_verified: true };
    const { page, csp, close } = await fresh();
    try {
      await page.goto(`${open.url}/signup`);
      await expect(heading(page)).resolves.toBe('Create your organization');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.getByRole('textbox', { name: 'Organization name' }).fill('Browser Co');
      await page.getByRole('button', { name: 'Continue with Google' }).click();
      await page.waitForURL(/\/signup\/callback\/google/);
      await expect(heading(page)).resolves.toBe('Browser Co is ready');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Invite your colleagues' }).click();
      await page.waitForURL(/\/console\//);
      await expect(heading(page)).resolves.toBe('Members');
      expect(csp).toEqual([]);
    } finally {
      await close();
    }
  });

  it('when the email domain was captured, then the person requests to join with one button and an approval makes them a member', async () => {
    const open = install.daemons.open;
    const org = await open.services.orgs.create({ name: 'Acme Browsers' }, SETUP);
    const claim = await open.services.domains.add(org.id, { domain: 'acmebrowsers.example' }, SETUP);
    install.dns.txt.set(claim.record.name, [[claim.record.value]]);
    await open.services.domains.verify(org.id, 'acmebrowsers.example', 'dns', SETUP);
    install.op.user = { sub: 'b-rita', email: 'rita@acmebrowsers.example', email_verified: true };
    const { page, csp, close } = await fresh();
    try {
      await page.goto(`${open.url}/signup`);
      await page.getByRole('button', { name: 'Continue with Google' }).click();
      await page.waitForURL(/\/signup\/callback\/google/);
      await expect(heading(page)).resolves.toBe('Welcome, rita@acmebrowsers.example');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await page.getByRole('button', { name: 'Request to join Acme Browsers' }).click();
      await page.waitForURL(/\/signup\/request$/);
      await expect(heading(page)).resolves.toBe('Request sent to Acme Browsers');
      expect(await seriousA11yViolations(page)).toEqual([]);
      expect(csp).toEqual([]);
    } finally {
      await close();
    }
    const [req] = await open.services.joinRequests.list(org.id, ['pending']);
    const { member } = await open.services.joinRequests.approve(org.id, req!.id, {}, SETUP);
    expect(member).toMatchObject({ status: 'active', role: 'member', identities: [{ provider: 'google', subject: 'b-rita' }] });
  });

  it('when an invited person signs up and their org has a continue URL, then one click on "Join" lands them in the product with org and member ids', async () => {
    const inviteOnly = install.daemons['invite-only'];
    const org = await inviteOnly.services.orgs.create({ name: 'Product Org', settings: { continueUrl: productUrl } }, SETUP);
    await inviteOnly.services.invitations.invite(org.id, { email: 'pat@productorg.example' }, SETUP);
    install.op.user = { sub: 'b-pat', email: 'pat@productorg.example', email_verified: true };
    const { page, close } = await fresh();
    try {
      await page.goto(`${inviteOnly.url}/signup`);
      await expect(page.getByText('Sign-up here is by invitation').count()).resolves.toBe(1);
      await page.getByRole('link', { name: 'Continue with Google' }).click();
      await page.waitForURL(/\/signup\/callback\/google/);
      await page.getByRole('button', { name: 'Join Product Org' }).click();
      await page.waitForURL((u) => u.href.startsWith(productUrl));
      await expect(heading(page)).resolves.toBe('Welcome to the product');
      const [member] = await inviteOnly.store.findMembersByEmail(org.id, 'pat@productorg.example');
      const url = new URL(page.url());
      expect([url.searchParams.get('orgId'), url.searchParams.get('memberId')]).toEqual([org.id, member!.id]);
    } finally {
      await close();
    }
  });
});
