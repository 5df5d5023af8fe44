import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import type { Actor, Organization } from '../../src/domain/model.js';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { startConsoleInstall, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };
const PHONE = { width: 390, height: 844 };

describe.each(['sqlite', 'redis'] as const)('the setup portal in a real browser: SCIM, audit, open invite links (headless Chromium, %s)', (storeKind) => {
  let install: ConsoleInstall;
  let browser: Browser;
  let org: Organization;
  let base: string;

  beforeAll(async () => {
    install = await startConsoleInstall(storeKind);
    base = install.env.IDSYNC_PUBLIC_URL!;
    browser = await launchChromium();
    const s = install.daemon.services;
    org = await s.orgs.create({ name: 'Acme Robotics' }, SETUP);
    await s.members.create(org.id, { email: 'grace@acme.example', givenName: 'Grace', familyName: 'Hopper', role: 'owner' }, SETUP);
    await s.teams.create(org.id, { displayName: 'Platform' }, SETUP);
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

  const signedIn = async (opts: { phone?: boolean; intent?: string } = {}): Promise<{ context: BrowserContext; page: Page; csp: string[] }> => {
    const context = await browser.newContext({ viewport: opts.phone ? PHONE : { width: 1280, height: 900 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    await openConsoleLink(page, await consoleLink(opts.intent ?? 'all'));
    await page.waitForURL(/\/console\/orgs\/[^/]+(\/members)?$/);
    return { context, page, csp };
  };

  const one = async (l: Locator) => {
    await l.first().waitFor();
    expect(await l.count()).toBe(1);
  };
  const row = (page: Page, text: string | RegExp) => page.getByRole('row').filter({ hasText: text });
  const scim = (token: string, path: string, init: RequestInit = {}) =>
    fetch(`${base}/scim/v2${path}`, { ...init, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0', ...(init.headers ?? {}) } });

  /** Reloads until the locator shows (the request log is written in batches, about once a second). */
  const eventually = async (page: Page, l: () => Locator) => {
    for (let i = 0; i < 40; i += 1) {
      if ((await l().count()) > 0) return;
      await new Promise((r) => setTimeout(r, 250));
      await page.reload();
    }
    await l().first().waitFor({ timeout: 1000 });
  };

  it('when a SCIM token is created, then it is revealed once, works against /scim/v2/Users, shows its last use, and after revoke answers 401', async () => {
    const { context, page, csp } = await signedIn();
    try {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'SCIM' }).click();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('SCIM provisioning');
      await expect(page.getByRole('textbox', { name: 'SCIM base URL' }).inputValue()).resolves.toBe(`${base}/scim/v2`);
      // The Okta and Entra steps name the fields each asks for.
      for (const text of ['SCIM connector base URL', 'Unique identifier field for users', 'Supported provisioning actions', 'Authentication Mode']) {
        await one(page.getByRole('region', { name: 'Set up Okta' }).getByText(text, { exact: true }));
      }
      for (const text of ['Tenant URL', 'Secret Token', 'Test Connection', 'Automatic']) {
        await one(page.getByRole('region', { name: 'Set up Microsoft Entra ID' }).getByText(text, { exact: true }));
      }

      await page.getByRole('textbox', { name: 'Token label' }).fill('okta');
      await page.getByRole('button', { name: 'Create token' }).click();
      const token = await page.getByRole('textbox', { name: 'New SCIM bearer token' }).inputValue();
      expect(token).toMatch(/^idsync_scim_/);
      await page.getByRole('button', { name: 'Copy token' }).click();
      await one(page.getByText('Token copied to the clipboard.'));
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(token);
      await one(row(page, 'okta').getByRole('cell', { name: 'never' }));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-scim-token-created-${storeKind}`);

      // Shown once: the page read again does not carry it.
      await page.goto(`${base}/console/orgs/${org.id}/scim`);
      await expect(page.getByRole('textbox', { name: 'New SCIM bearer token' }).count()).resolves.toBe(0);
      expect(await page.content()).not.toContain(token);

      expect((await scim(token, '/Users')).status).toBe(200);
      await page.reload();
      await expect(row(page, 'okta').getByRole('cell', { name: 'never' }).count()).resolves.toBe(0);
      const lastUsed = await row(page, 'okta').locator('td[data-label="Last used"] time').getAttribute('datetime');
      expect(Date.now() - Date.parse(lastUsed!)).toBeLessThan(60_000);

      // Revoking asks first, saying provisioning stops; Cancel leaves the token live.
      await row(page, 'okta').getByRole('button', { name: 'Revoke token okta' }).click();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Revoke the token okta?');
      await one(page.getByText('This cannot be undone.'));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-scim-confirm-revoke-${storeKind}`);
      await page.getByRole('link', { name: 'Cancel' }).click();
      expect((await scim(token, '/Users')).status).toBe(200);
      await row(page, 'okta').getByRole('button', { name: 'Revoke token okta' }).click();
      await page.getByRole('button', { name: 'Revoke token okta' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Revoked the token okta' }));
      expect((await scim(token, '/Users')).status).toBe(401);
      const events = (await install.daemon.store.listAudit(org.id)).filter((e) => e.action.startsWith('scim_token.'));
      expect(events.map((e) => [e.action, e.actor.kind])).toEqual([
        ['scim_token.created', 'portal'],
        ['scim_token.revoked', 'portal'],
      ]);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when the IdP sends a malformed request, then the log shows it among the errors with its SCIM error and the body sent; all requests on demand', async () => {
    const { token } = await install.daemon.services.credentials.createScimToken(org.id, SETUP, 'entra-test');
    const sent = JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: 'ada@acme.example', active: 'maybe' });
    const bad = await scim(token, '/Users', { method: 'POST', body: sent });
    expect(bad.status).toBe(400);
    const scimError = (await bad.json()) as { scimType?: string; detail: string };
    expect((await scim(token, '/Users?count=1')).status).toBe(200);

    const { context, page, csp } = await signedIn();
    try {
      await page.goto(`${base}/console/orgs/${org.id}/scim`);
      const log = () => page.getByRole('region', { name: 'SCIM request log' });
      await eventually(page, () => row(page, 'POST /Users'));
      const entry = row(page, 'POST /Users');
      await one(entry.getByRole('cell', { name: '400', exact: true }));
      if (scimError.scimType) await one(entry.getByText(scimError.scimType));
      await one(entry.getByText(scimError.detail, { exact: false }));
      await entry.getByText('Body the IdP sent').click();
      await expect(entry.locator('pre').textContent()).resolves.toContain('"active": "maybe"');
      // Errors only by default: the successful listing is not there until asked for.
      await expect(log().getByRole('row').filter({ hasText: 'GET /Users' }).count()).resolves.toBe(0);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-scim-log-${storeKind}`);
      await page.setViewportSize(PHONE);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-scim-phone-${storeKind}`);
      await log().getByRole('link', { name: 'Show all requests' }).click();
      await one(log().getByRole('row').filter({ hasText: 'GET /Users?count=1' }));
      await one(log().getByRole('row').filter({ hasText: 'POST /Users' }));
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('when an OAuth client is created, then its id and secret are shown once and it gets access tokens until it is revoked', async () => {
    const { context, page, csp } = await signedIn();
    try {
      await page.goto(`${base}/console/orgs/${org.id}/scim`);
      await page.getByRole('textbox', { name: 'Client label' }).fill('entra');
      await page.getByRole('button', { name: 'Create OAuth client' }).click();
      const clientId = await page.getByRole('textbox', { name: 'Client ID', exact: true }).inputValue();
      const secret = await page.getByRole('textbox', { name: 'Client secret' }).inputValue();
      await expect(page.getByRole('textbox', { name: 'Token endpoint' }).inputValue()).resolves.toBe(`${base}/oauth/token`);
      const grant = () =>
        fetch(`${base}/oauth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret }) });
      expect((await grant()).status).toBe(200);
      await one(row(page, clientId).getByRole('cell', { name: 'live' }));
      await row(page, clientId).getByRole('button', { name: 'Revoke OAuth client entra' }).click();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Revoke the OAuth client entra?');
      await page.getByRole('button', { name: 'Revoke OAuth client entra' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Revoked the OAuth client entra' }));
      expect((await grant()).status).toBe(401);
      expect(await page.content()).not.toContain(secret);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when the audit page is filtered by action, actor and dates, then only matching events show; Verify chain says the chain is intact', async () => {
    const { context, page, csp } = await signedIn();
    try {
      await page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'Audit' }).click();
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Audit trail');
      await one(page.getByRole('cell', { name: 'org.created' }));

      await page.getByRole('searchbox', { name: 'Action starts with' }).fill('scim_token.');
      await page.getByRole('combobox', { name: 'Actor' }).selectOption({ label: 'Console session (portal link)' });
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(/action=scim_token/);
      const actions = await page.getByRole('table', { name: 'Audit events' }).locator('td[data-label="Action"]').allTextContents();
      expect(actions).toEqual(['scim_token.revoked', 'scim_token.created']);

      const today = new Date().toISOString().slice(0, 10);
      const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
      await page.goto(`${base}/console/orgs/${org.id}/audit?from=${today}&to=${today}&action=org.`);
      await one(page.getByRole('cell', { name: 'org.created' }));
      await page.goto(`${base}/console/orgs/${org.id}/audit?to=${yesterday}`);
      await one(page.getByText('No events match the filters.'));
      await page.goto(`${base}/console/orgs/${org.id}/audit?from=yesterday`);
      await one(page.getByRole('alert').filter({ hasText: 'From must be a date such as 2026-03-01' }));

      await page.goto(`${base}/console/orgs/${org.id}/audit`);
      // Counted before: the verdict appends audit.verified after the events it verified.
      const total = (await install.daemon.store.listAudit(org.id, { limit: 1000 })).length;
      await page.getByRole('button', { name: 'Verify chain' }).click();
      await one(page.getByRole('status').filter({ hasText: `The chain is intact. ${total} events verified` }));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-audit-verified-${storeKind}`);
      await page.setViewportSize(PHONE);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-audit-phone-${storeKind}`);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when an open invite link is created, then its limits show, copy puts it on the clipboard, rotate ends the old address and revoke ends the link', async () => {
    const { context, page, csp } = await signedIn();
    try {
      const card = page.getByRole('region', { name: 'Open invite links' });
      await one(card.getByText('No open invite link.'));
      await card.getByRole('spinbutton', { name: 'Expires after (hours, optional)' }).fill('24');
      await card.getByRole('spinbutton', { name: 'Maximum uses (optional)' }).fill('5');
      await card.getByRole('textbox', { name: 'Allowed email domains (optional, comma-separated)' }).fill('acme.example');
      await card.getByRole('button', { name: 'Create invite link' }).click();
      const first = await page.getByRole('textbox', { name: 'Open invite link' }).inputValue();
      expect(first).toMatch(new RegExp(`^${base}/join/`));
      await page.getByRole('button', { name: 'Copy link', exact: true }).click();
      await one(page.getByText('Link copied to the clipboard.'));
      expect(await page.evaluate('navigator.clipboard.readText()')).toBe(first);
      const link = card.getByRole('row').filter({ hasText: 'The whole organization' });
      await one(link.getByRole('cell', { name: '0 of 5' }));
      await one(link.getByRole('cell', { name: 'acme.example' }));
      await one(link.getByRole('cell', { name: 'active' }));
      expect((await fetch(first)).status).toBe(200);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-open-link-${storeKind}`);
      await page.setViewportSize(PHONE);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-open-link-phone-${storeKind}`);
      await page.setViewportSize({ width: 1280, height: 900 });

      await link.getByRole('button', { name: /^Rotate the link for the whole organization/ }).click();
      await one(page.getByRole('status').filter({ hasText: 'Rotated the link' }));
      const second = await page.getByRole('textbox', { name: 'Open invite link' }).inputValue();
      expect(second).not.toBe(first);
      expect((await fetch(first)).status).toBe(404);
      expect((await fetch(second)).status).toBe(200);

      await link.getByRole('button', { name: /^Revoke the link for the whole organization/ }).click();
      await one(page.getByRole('status').filter({ hasText: 'Revoked the link' }));
      await one(page.getByText('1 revoked link is not shown.'));
      expect((await fetch(second)).status).toBe(410);
      const events = (await install.daemon.store.listAudit(org.id)).filter((e) => e.action.startsWith('link.'));
      expect(events.map((e) => [e.action, e.actor.kind])).toEqual([
        ['link.created', 'portal'],
        ['link.rotated', 'portal'],
        ['link.revoked', 'portal'],
      ]);
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('when a session is for members only, then the SCIM page says it is not covered and the audit page opens', async () => {
    const { context, page } = await signedIn({ intent: 'members' });
    try {
      await expect(page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name: 'SCIM' }).count()).resolves.toBe(0);
      await page.goto(`${base}/console/orgs/${org.id}/scim`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Not part of this session');
      await page.goto(`${base}/console/orgs/${org.id}/audit`);
      await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toBe('Audit trail');
    } finally {
      await context.close();
    }
  });
});
