/**
 * The console's directory area over HTTP, on both stores: secrets go in and never come back out
 * (and a blank secret keeps the stored one), every POST needs the session's CSRF token, runs are
 * found only under their own connection, and only a held run can be approved or rejected.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Actor, Organization } from '../../src/domain/model.js';
import { GithubFake } from '../fakes/github-fake.js';
import { GoogleFake } from '../fakes/google-fake.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { rsaKeys } from '../support/connectors.js';
import { openConsole, startConsoleInstall, type ConsoleClient, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const TOKEN = 'ghp_console_test_token_0123456789';
const HOOK_SECRET = 'hook-secret-0123456789abcdef';

describe.each(['sqlite', 'redis'] as const)('the console directory area over HTTP (%s)', (storeKind) => {
  let install: ConsoleInstall;
  let fake: GraphFake;
  let org: Organization;
  let web: ConsoleClient;
  let area: string;

  beforeAll(async () => {
    fake = await new GraphFake({ users: 3, tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret' }).start();
    install = await startConsoleInstall(storeKind);
    org = await install.daemon.services.orgs.create({ name: 'Forms' }, SETUP);
    const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--intent', 'directory', '--json');
    web = await openConsole(install.env.IDSYNC_PUBLIC_URL!, r.json<{ url: string }>().url, `/console/orgs/${org.id}`);
    area = `/console/orgs/${org.id}/directory`;
  }, 30_000);
  afterAll(async () => {
    await install?.dispose();
    await fake?.stop();
  });

  const conns = () => install.daemon.store.listConnections(org.id);

  it('when a form lacks the CSRF token, then nothing is created and the answer is the 403 page', async () => {
    const res = await web.post(area, { provider: 'github', org: 'acme', token: TOKEN }, { csrf: false });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('This form could not be accepted');
    expect(await conns()).toEqual([]);
  });

  it('when a GitHub connection is saved with a token and a webhook secret, then no page carries them, and saving the settings with the secrets blank keeps both', async () => {
    const created = await web.post(area, { provider: 'github', name: 'GitHub acme', org: 'acme', token: TOKEN, webhookSecret: HOOK_SECRET });
    expect(created.status).toBe(200);
    const html = await created.text();
    expect(html).toContain('Saved GitHub acme. Sync is off');
    const [conn] = await conns();
    expect(conn).toMatchObject({ provider: 'github', enabled: false, settings: { org: 'acme' } });
    for (const page of [html, await (await web.get(`${area}/${conn!.id}`)).text(), await (await web.get(area)).text()]) {
      expect(page).not.toContain(TOKEN);
      expect(page).not.toContain(HOOK_SECRET);
    }

    const saved = await web.post(`${area}/${conn!.id}/settings`, { name: 'GitHub acme', org: 'acme-corp', token: '', webhookSecret: '', privateKey: '' });
    expect(saved.status).toBe(200);
    const after = (await conns())[0]!;
    expect(after.settings).toMatchObject({ org: 'acme-corp' });
    expect(install.daemon.services.connections.webhookSecret(after)).toBe(HOOK_SECRET);

    // Both an app and a token: the connector's rule comes back at the field, and nothing changes.
    const refused = await web.post(`${area}/${conn!.id}/settings`, { name: 'GitHub acme', org: 'acme-corp', appId: '12', installationId: '34' });
    expect(refused.status).toBe(400);
    expect(await refused.text()).toMatch(/id="f-token-error" class="field-error">connector.invalid_config: give either token or appId \+ installationId \+ privateKey, not both/);
    expect((await conns())[0]!.settings.appId).toBeUndefined();
    await install.daemon.services.connections.delete(conn!.id, SETUP);
  });

  it('when a run is asked for under another connection, or a run that is not held is approved, then the answer says so and nothing runs', async () => {
    const a = await install.daemon.services.connections.create(org.id, { provider: 'microsoft', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: fake.url, authorityHost: fake.url } }, SETUP);
    const b = await install.daemon.services.connections.create(org.id, { provider: 'microsoft', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: fake.url, authorityHost: fake.url } }, SETUP);
    const dry = await web.post(`${area}/${a.id}/dry-run`, {});
    expect(dry.status).toBe(303);
    const location = dry.headers.get('location')!;
    expect(location).toMatch(new RegExp(`^${area}/${a.id}/runs/[0-9a-f-]{36}\\?done=dry-run$`));
    const runId = /runs\/([0-9a-f-]{36})/.exec(location)![1]!;
    expect(await (await web.get(location)).text()).toContain('Dry run finished: this is what a run would do now. Nothing was changed.');

    expect((await web.get(`${area}/${b.id}/runs/${runId}`)).status).toBe(404);
    const before = (await install.daemon.store.listRuns(a.id)).total;
    const approve = await web.post(`${area}/${a.id}/runs/${runId}/approve`, { max: '2' });
    expect(approve.status).toBe(409);
    expect(await approve.text()).toContain('Not approved: this run is a dry run, not held; nothing was changed.');
    const badMax = await web.post(`${area}/${a.id}/runs/${runId}/approve`, { max: '-1' });
    expect(badMax.status).toBe(400);
    expect(await badMax.text()).toContain('Not approved: request.invalid: give the most people to deactivate as a whole number (0 or more).');
    expect((await install.daemon.store.listRuns(a.id)).total).toBe(before);
    expect((await web.post(`${area}/${a.id}/runs/${runId}/reject`, {})).status).toBe(409);
    expect((await web.post(`${area}/${a.id}/dry-run`, {}, { csrf: false })).status).toBe(403);
  });

  it('when the console and the API approve one held run at the same moment, then one approval runs and the other is refused with run.not_held', async () => {
    // Arrange: its own org, members the directory lists, a budget of 0 and one disabled user.
    const held = await install.daemon.services.orgs.create({ name: 'Race' }, SETUP);
    for (let i = 0; i < 3; i++) await install.daemon.services.members.create(held.id, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' }, SETUP);
    const c = await install.daemon.services.connections.create(held.id, { provider: 'microsoft', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: fake.url, authorityHost: fake.url }, policy: { maxDeactivations: 0, maxDeactivationPercent: 100 } }, SETUP);
    expect(await install.daemon.services.reconcile.run(c.id)).toMatchObject({ status: 'completed', linked: 3 });
    fake.disable(2);
    try {
      const run = await install.daemon.services.reconcile.run(c.id);
      expect(run).toMatchObject({ status: 'held', held: 1 });
      const link = await cli(install.env, install.cwd, 'console-link', '--org', held.id, '--intent', 'directory', '--json');
      const browser = await openConsole(install.env.IDSYNC_PUBLIC_URL!, link.json<{ url: string }>().url, `/console/orgs/${held.id}`);

      // Act
      const [page, api] = await Promise.all([
        browser.post(`/console/orgs/${held.id}/directory/${c.id}/runs/${run.runId}/approve`, { max: '1', confirmed: 'yes' }),
        install.daemon.services.reconcile.approve(run.runId, SETUP, 1).then(() => 'ok', (err: { code?: string }) => err.code),
      ]);

      // Assert: exactly one of them approved; the loser was told why.
      const outcomes = [page.status === 303 ? 'ok' : String(page.status), api].sort();
      expect(outcomes).toEqual(page.status === 303 ? ['ok', 'run.not_held'] : ['409', 'ok']);
      // Refused by the page's own check or by the service's claim, whichever saw it first.
      if (page.status !== 303) expect(await page.text()).toMatch(/this run is approved, not held|it was already approved/);
      const approvals = (await install.daemon.store.listRuns(c.id)).items.filter((r) => r.trigger === 'approval');
      expect(approvals).toHaveLength(1);
      expect((await install.daemon.store.listAudit(held.id)).filter((e) => e.action === 'reconcile.approved')).toHaveLength(1);
    } finally {
      fake.enable(2);
    }
  });

  it('when the policy keeps a directory invite link and a run has made it, then the connection page shows its address to copy', async () => {
    const c = await install.daemon.services.connections.create(org.id, { provider: 'microsoft', name: 'Linked', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: fake.url, authorityHost: fake.url } }, SETUP);
    const saved = await web.post(`${area}/${c.id}/policy`, { schedule: '*/30 * * * *', maxDeactivations: '5', matchByEmail: 'on', deactivateSuspended: 'on', deactivateMissing: 'on', inviteLink: 'on' });
    expect(saved.status).toBe(200);
    expect((await install.daemon.store.getConnection(c.id))!).toMatchObject({ schedule: '*/30 * * * *', policy: { inviteLink: true, autoInvite: false, maxDeactivations: 5 } });
    expect(await saved.text()).not.toContain('Invite link of this connection');
    expect((await web.post(`${area}/${c.id}/run`, {})).status).toBe(303);
    const page = await (await web.get(`${area}/${c.id}`)).text();
    const { url } = await install.daemon.services.reconcile.inviteLinkUrl(c.id);
    expect(page).toContain(`<label for="directory-link">Invite link of this connection</label>`);
    expect(page).toContain(`value="${url}"`);
  });

  it('when Google Workspace and GitHub are set up through their forms, then the pasted JSON key and PEM work, and missing delegation is named with where to grant it', async () => {
    const keys = rsaKeys();
    const sa = 'idsync@project.iam.gserviceaccount.com';
    const google = await new GoogleFake({ users: 3, serviceAccountEmail: sa, publicKeyPem: keys.publicPem, admins: ['admin@example.com'], delegatedScopes: [] }).start();
    const github = await new GithubFake({ org: 'acme', members: 4, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem }).start();
    try {
      const key = JSON.stringify({ type: 'service_account', client_email: sa, private_key: keys.pkcs8, private_key_id: 'k1' }, null, 2);
      const g = await web.post(area, { provider: 'google', name: 'Workspace', adminEmail: 'admin@example.com', serviceAccountKey: key, apiBaseUrl: google.url, tokenUrl: google.tokenUrl });
      expect(g.status).toBe(200);
      const gConn = (await conns()).find((c) => c.name === 'Workspace')!;
      const gTest = await (await web.post(`${area}/${gConn.id}/test`, {})).text();
      expect(gTest).toContain('The test failed: connector.forbidden');
      expect(gTest).toContain('Manage Domain Wide Delegation → add the service account’s client ID with https://www.googleapis.com/auth/admin.directory.user.readonly');
      expect(gTest).not.toContain('PRIVATE KEY');

      const h = await web.post(area, { provider: 'github', name: 'GitHub app', org: 'acme', appId: '4242', installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: github.url });
      expect(h.status).toBe(200);
      const hConn = (await conns()).find((c) => c.name === 'GitHub app')!;
      expect(await (await web.post(`${area}/${hConn.id}/test`, {})).text()).toContain('The connection works: 4 users listed in 1 page, complete');
    } finally {
      await google.stop();
      await github.stop();
    }
  });
});
