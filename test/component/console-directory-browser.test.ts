/**
 * The console's directory area in headless Chromium, on both stores, against the local Graph fake:
 * set up an Entra ID connection through the form (a field error first, then a wrong secret the
 * test names precisely), test it, dry-run it (nothing changes), set the policy, enable, run; then
 * a run that would deactivate more than the budget is held, approved in the browser with a
 * maximum, and what stays held is rejected. The store and the audit trail are checked after each.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Browser, Locator, Page } from 'playwright-core';
import type { Actor, Member, Organization } from '../../src/domain/model.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { collectCspErrors, launchChromium, openConsoleLink, screenshot, seriousA11yViolations } from '../support/browser.js';
import { startConsoleInstall, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'graph-secret-value-1234';
/** Directory users user0…user11; members for the first ten (the last two are invited). */
const USERS = 12;
const MEMBERS = 10;

describe.each(['sqlite', 'redis'] as const)('the console directory area in a real browser (headless Chromium, %s)', (storeKind) => {
  let install: ConsoleInstall;
  let browser: Browser;
  let fake: GraphFake;
  let org: Organization;
  const members: Member[] = [];

  beforeAll(async () => {
    fake = await new GraphFake({ users: USERS, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
    install = await startConsoleInstall(storeKind);
    browser = await launchChromium();
    const s = install.daemon.services;
    org = await s.orgs.create({ name: 'Contoso' }, SETUP);
    await s.members.create(org.id, { email: 'grace@contoso.example', givenName: 'Grace', familyName: 'Hopper', role: 'owner' }, SETUP);
    for (let i = 0; i < MEMBERS; i++) members.push(await s.members.create(org.id, { email: `user${i}@contoso.example`, givenName: `Given${i}`, familyName: `Sur${i}` }, SETUP));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await install?.dispose();
    await fake?.stop();
  });

  const link = async (intent: string) => {
    const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--intent', intent, '--json');
    expect(r.code).toBe(0);
    return r.json<{ url: string }>().url;
  };
  const one = async (l: Locator) => {
    await l.first().waitFor();
    expect(await l.count()).toBe(1);
  };
  const h1 = (page: Page) => page.getByRole('heading', { level: 1 }).textContent();
  /** The text of the element(s) an input's aria-describedby names (its help, and its error when refused). */
  const description = async (l: Locator) => {
    const ids = ((await l.getAttribute('aria-describedby')) ?? '').split(' ').filter(Boolean);
    return (await Promise.all(ids.map((id) => l.page().locator(`[id="${id}"]`).textContent()))).join(' | ');
  };
  const statusOf = async (i: number) => (await install.daemon.store.getMember(org.id, members[i]!.id))!.status;
  const connection = async () => (await install.daemon.store.listConnections(org.id))[0]!;

  it('when an IT admin sets up Entra ID, tests, dry-runs and enables it, then a held run is approved with a maximum and the rest rejected, all audited as the console session', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    try {
      await openConsoleLink(page, await link('directory'));
      await page.waitForURL(new RegExp(`/console/orgs/${org.id}$`));
      await page.getByRole('link', { name: 'Directory sync', exact: true }).first().click();
      await expect(h1(page)).resolves.toBe('Directory sync');
      await one(page.getByText('No directory is connected yet.'));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-${storeKind}`);
      await page.getByRole('link', { name: 'Set up Microsoft Entra ID' }).click();
      await expect(h1(page)).resolves.toBe('Set up Microsoft Entra ID');
      await one(page.getByText(/Identity → Overview → Tenant ID/));

      // A tenant id that is neither a GUID nor a domain: the field says so, with the connector's code; what was typed stays.
      await page.getByRole('textbox', { name: 'Connection name' }).fill('Entra production');
      const tenant = page.getByRole('textbox', { name: 'Tenant ID' });
      await tenant.fill('not a tenant');
      await page.getByRole('textbox', { name: 'Application (client) ID' }).fill(CLIENT);
      await page.getByLabel('Client secret', { exact: true }).fill('wrong-secret');
      await page.getByText('Advanced settings').click();
      await page.getByRole('textbox', { name: 'Graph base URL' }).fill(fake.url);
      await page.getByRole('textbox', { name: 'Authority host' }).fill(fake.url);
      await page.getByRole('button', { name: 'Save connection' }).click();
      await one(page.getByRole('alert').filter({ hasText: 'The connection was not saved: one field needs a fix.' }).filter({ hasText: 'Secrets you typed are never sent back to the browser: enter them again.' }));
      await expect(page.getByRole('textbox', { name: 'Tenant ID' }).getAttribute('aria-invalid')).resolves.toBe('true');
      await expect(description(page.getByRole('textbox', { name: 'Tenant ID' }))).resolves.toContain('connector.invalid_config: must be the directory (tenant) id GUID or a verified domain name');
      await expect(page.getByRole('textbox', { name: 'Application (client) ID' }).inputValue()).resolves.toBe(CLIENT);
      await expect(page.getByLabel('Client secret', { exact: true }).inputValue()).resolves.toBe('');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-field-error-${storeKind}`);
      expect(await install.daemon.store.listConnections(org.id)).toEqual([]);

      // Saved with a wrong secret: the test names Entra's error and the fix.
      await page.getByRole('textbox', { name: 'Tenant ID' }).fill(TENANT);
      await page.getByLabel('Client secret', { exact: true }).fill('wrong-secret');
      await page.getByRole('button', { name: 'Save connection' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Saved Entra production. Sync is off' }));
      expect((await connection()).enabled).toBe(false);
      await page.getByRole('button', { name: 'Test connection' }).click();
      const failed = page.getByRole('alert').filter({ hasText: 'The test failed: connector.auth_failed' });
      await one(failed);
      await expect(failed.textContent()).resolves.toMatch(/AADSTS7000215: Invalid client secret provided[\s\S]*How to fix it: Check the tenant ID, the application \(client\) ID and the client secret: paste the secret’s Value, not its Secret ID/);
      await screenshot(page, `console-directory-test-failed-${storeKind}`);

      // The right secret through the settings form; no secret is ever sent back to the browser.
      await page.getByLabel('Client secret', { exact: true }).fill(SECRET);
      await page.getByRole('button', { name: 'Save settings' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Saved the connection settings.' }));
      const html = await page.content();
      expect(html).not.toContain(SECRET);
      expect(html).not.toContain('wrong-secret');
      await expect(description(page.getByLabel('Client secret', { exact: true }))).resolves.toContain('Stored and never shown again: leave blank to keep it.');
      await expect(page.getByLabel('Client secret', { exact: true }).inputValue()).resolves.toBe('');
      await page.getByRole('button', { name: 'Test connection' }).click();
      await one(page.getByRole('status').filter({ hasText: `The connection works: ${USERS} users listed in 1 page, complete` }));

      // Schedule and policy: a bad schedule is refused at its field; then a budget of one and auto-invite.
      await page.getByRole('textbox', { name: 'Schedule (cron)' }).fill('every day');
      await page.getByRole('button', { name: 'Save schedule and policy' }).click();
      await expect(description(page.getByRole('textbox', { name: 'Schedule (cron)' }))).resolves.toContain('request.invalid: invalid cron expression');
      await page.getByRole('textbox', { name: 'Schedule (cron)' }).fill('0 * * * *');
      await page.getByRole('spinbutton', { name: 'Deactivation budget per run', exact: true }).fill('1');
      await page.getByRole('spinbutton', { name: 'Deactivation budget per run (% of active members)' }).fill('100');
      await page.getByRole('checkbox', { name: 'Invite directory users who are not members' }).check();
      await page.getByRole('button', { name: 'Save schedule and policy' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Saved the schedule and policy.' }));
      expect(await connection()).toMatchObject({ schedule: '0 * * * *', policy: { maxDeactivations: 1, maxDeactivationPercent: 100, autoInvite: true } });

      // Dry run: who would be linked and invited, with the evidence, and nothing written.
      await page.getByRole('button', { name: 'Dry run' }).click();
      await expect(h1(page)).resolves.toMatch(/^Dry run of /);
      await one(page.getByText('Completed (dry run: nothing was changed)'));
      const plan = page.getByRole('table', { name: 'Every action of the plan with its evidence' });
      await one(plan.getByRole('row', { name: 'Link Given3 Sur3' }).getByRole('cell', { name: 'Matched by email to directory user 00000000-0000-4000-8000-000000000003' }));
      await one(plan.getByRole('row', { name: 'Link Given3 Sur3' }).getByRole('cell', { name: 'Would be done (dry run)' }));
      await one(plan.getByRole('row', { name: 'Invite user11@contoso.example' }).getByRole('cell', { name: 'Active in the directory as user11@contoso.example, not a member' }));
      await expect(plan.getByRole('row', { name: /^Link / }).count()).resolves.toBe(MEMBERS);
      await expect(plan.getByRole('row', { name: /^Invite / }).count()).resolves.toBe(USERS - MEMBERS);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-dry-run-${storeKind}`);
      expect((await install.daemon.store.getMember(org.id, members[3]!.id))!.identities).toEqual([]);
      expect((await install.daemon.store.listInvitations(org.id, { statuses: ['pending'] })).items).toEqual([]);

      // Enable, and a first run links everyone and invites the two.
      await page.getByRole('link', { name: 'Back to Entra production' }).click();
      await page.getByRole('button', { name: 'Enable sync' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Sync is on: runs follow the schedule 0 * * * *.' }));
      expect((await connection()).enabled).toBe(true);
      await page.getByRole('button', { name: 'Run now' }).click();
      await one(page.getByText(`${USERS} listed, ${MEMBERS} linked, 0 deactivated, 0 held, ${USERS - MEMBERS} invited`, { exact: true }));
      expect((await install.daemon.store.getMember(org.id, members[3]!.id))!.identities.map((i) => i.subject)).toEqual(['00000000-0000-4000-8000-000000000003']);

      // Four people leave the directory; the budget is one: one is deactivated, three are held.
      for (const i of [1, 2, 3, 4]) fake.remove(i, 'deleted');
      await page.getByRole('link', { name: 'Back to Entra production' }).click();
      await page.getByRole('button', { name: 'Run now' }).click();
      await one(page.getByText('Held for approval', { exact: true }));
      await one(page.getByRole('heading', { name: '3 deactivations held for approval' }));
      const held = page.getByRole('table', { name: 'Held deactivations with their evidence' });
      await expect(held.getByRole('row', { name: /^Deactivate / }).count()).resolves.toBe(3);
      await expect(held.getByRole('cell', { name: /^Deleted in the directory; a lookup of this one user confirmed it \(matched by identity, directory id 00000000-0000-4000-8000-00000000000[1-4]\)$/ }).count()).resolves.toBe(3);
      await expect(held.getByRole('cell', { name: 'Held: over the deactivation budget' }).count()).resolves.toBe(3);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-held-run-${storeKind}`);
      const heldRunUrl = page.url();
      const inactiveAfterHold = (await Promise.all([1, 2, 3, 4].map(statusOf))).filter((x) => x === 'inactive').length;
      expect(inactiveAfterHold).toBe(1);

      // Approve with at most one released: the approval run's own budget takes one more, the maximum one more, one stays held.
      await page.getByRole('spinbutton', { name: 'Deactivate at most' }).fill('1');
      await page.getByRole('button', { name: 'Approve' }).click();
      // The confirmation says what the approval does and who is first in line.
      await expect(h1(page)).resolves.toBe('Release up to 1 held deactivation?');
      await one(page.getByText('Deactivated people lose access at once.'));
      await expect(page.getByRole('list').filter({ hasText: 'Deleted in the directory' }).first().getByRole('listitem').count()).resolves.toBe(1);
      await expect(page.getByRole('list').filter({ hasText: 'Deleted in the directory' }).nth(1).getByRole('listitem').count()).resolves.toBe(2);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-confirm-approval-${storeKind}`);
      await page.getByRole('button', { name: 'Release up to 1' }).click();
      await one(page.getByRole('status').filter({ hasText: 'with at most 1 held deactivation released. This approval run read the directory again: 2 deactivated, 1 still held.' }));
      await expect(h1(page)).resolves.toMatch(/^Approval run of /);
      const statuses = await Promise.all([1, 2, 3, 4].map(statusOf));
      expect(statuses.filter((x) => x === 'inactive')).toHaveLength(3);
      expect(statuses.filter((x) => x === 'active')).toHaveLength(1);
      expect(await statusOf(5)).toBe('active');
      await screenshot(page, `console-directory-approved-${storeKind}`);

      // What stays held is rejected: nobody else loses access.
      await one(page.getByRole('heading', { name: '1 deactivation held for approval' }));
      await page.getByRole('button', { name: 'Reject' }).click();
      await one(page.getByRole('status').filter({ hasText: 'Rejected: the held deactivations were not applied.' }));
      await one(page.getByText('Rejected', { exact: true }));
      expect((await Promise.all([1, 2, 3, 4].map(statusOf))).filter((x) => x === 'active')).toHaveLength(1);

      // The first held run now reads approved, and both decisions are audited as the console session.
      await page.goto(heldRunUrl);
      await one(page.getByText('Approved', { exact: true }));
      await expect(page.getByRole('button', { name: 'Approve' }).count()).resolves.toBe(0);
      const audit = (await install.daemon.store.listAudit(org.id)).filter((e) => e.action === 'reconcile.approved' || e.action === 'reconcile.rejected' || e.action.startsWith('connection.'));
      expect(audit.map((e) => [e.action, e.actor.kind])).toEqual([
        ['connection.created', 'portal'],
        ['connection.updated', 'portal'],
        ['connection.updated', 'portal'],
        ['connection.updated', 'portal'],
        ['reconcile.approved', 'portal'],
        ['reconcile.rejected', 'portal'],
      ]);
      expect(audit.find((e) => e.action === 'reconcile.approved')?.after).toMatchObject({ max: 1 });

      // The connection page lists the runs with their outcomes.
      await page.getByRole('link', { name: 'Back to Entra production' }).click();
      const runs = page.getByRole('table', { name: 'Runs of this connection, newest first' });
      await expect(runs.getByRole('row').count()).resolves.toBe(4 + 1);
      await one(runs.getByRole('cell', { name: 'Rejected' }));
      await one(runs.getByRole('cell', { name: 'Approved' }));
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);

  it('when the connection and a run are opened at phone width, then they pass axe and a members-only session is refused the directory area', async () => {
    expect(await install.daemon.store.listConnections(org.id)).toHaveLength(1);
    const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    const csp = collectCspErrors(page);
    try {
      const conn = await connection();
      await openConsoleLink(page, await link('directory'));
      await page.waitForURL(new RegExp(`/console/orgs/${org.id}$`));
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL}/console/orgs/${org.id}/directory/${conn.id}`);
      await expect(h1(page)).resolves.toBe('Entra production');
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-connection-phone-${storeKind}`);
      await page.getByRole('link', { name: /^Approval run of / }).first().click();
      await expect(h1(page)).resolves.toMatch(/^Approval run of /);
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-run-phone-${storeKind}`);
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL}/console/orgs/${org.id}/directory/new?provider=google`);
      await expect(h1(page)).resolves.toBe('Set up Google Workspace');
      await one(page.getByText(/Manage Domain Wide Delegation/));
      expect(await seriousA11yViolations(page)).toEqual([]);
      await screenshot(page, `console-directory-google-form-phone-${storeKind}`);

      await openConsoleLink(page, await link('members'));
      await page.waitForURL(/\/members$/);
      await page.goto(`${install.env.IDSYNC_PUBLIC_URL}/console/orgs/${org.id}/directory`);
      await expect(h1(page)).resolves.toBe('Not part of this session');
      expect(csp).toEqual([]);
    } finally {
      await context.close();
    }
  }, 90_000);
});
