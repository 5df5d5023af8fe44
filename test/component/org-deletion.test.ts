import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent, Organization } from '../../src/domain/model.js';
import type { PurgeReceipt } from '../../src/domain/support.js';
import { PROVIDER_SCOPE } from '../../src/ports/store.js';
import type { PurgeOutcome } from '../../src/services/org-deletion/service.js';
import { aConnection, draft } from '../../src/store/conformance/fixtures.js';
import { ApiClient } from '../support/api-client.js';
import { openConsole } from '../support/console.js';
import { cli } from '../support/harness.js';
import { ScimClient, STORES } from '../support/scim.js';
import { startClockedInstall, type ClockedInstall } from '../support/support-install.js';
import { receiver, until } from '../support/webhook-receiver.js';

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
const DAY = 86_400_000;

describe.each(STORES)('org deletion with a grace period on %s', (kind) => {
  let f: ClockedInstall;
  let api: ApiClient;
  let provider: string;
  let rx: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    f = await startClockedInstall(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    rx = await receiver();
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await rx.close();
    await f.dispose();
  });

  /** An org with people, an invitation, an open link, a directory connection, a webhook and SCIM working. */
  async function populated(name: string) {
    const o = await f.newOrg(name);
    const scim = new ScimClient(`${f.daemon.url}/scim/v2`, o.scimToken);
    expect((await api.call('post', `/orgs/${o.org.id}/members`, o.orgKey, { email: `ada@${name}.test` })).status).toBe(201);
    expect((await api.call('post', `/orgs/${o.org.id}/invitations`, o.orgKey, { email: `bob@${name}.test` })).status).toBe(201);
    // The join URL carries the configured public URL; the page is fetched from this daemon.
    const link = `${f.daemon.url}${new URL((await api.call<{ url: string }>('post', `/orgs/${o.org.id}/links`, o.orgKey, { role: 'member' })).body.url).pathname}`;
    const conn = aConnection(o.org.id);
    await f.daemon.store.createConnection(conn, draft(o.org.id, 'connection.created', conn.id));
    expect((await api.call('post', `/orgs/${o.org.id}/webhooks`, o.orgKey, { url: rx.url(`/${o.org.id}`), events: ['org.*'] })).status).toBe(201);
    expect((await scim.get('/Users')).status).toBe(200);
    return { ...o, scim, link, conn };
  }

  it('when an owner deletes the org, then tokens, links and SCIM refuse with org.deleting and the purge time, and a restore brings everything back', async () => {
    // Arrange
    const o = await populated('Umbrella');

    // Act: the owner deletes it.
    const del = await api.call<Organization>('delete', `/orgs/${o.org.id}`, o.orgKey, { reason: 'signed up by mistake' });

    // Assert: deleting, purge in 30 days; every way in refuses with the purge time.
    expect(del.status).toBe(202);
    expect(del.body.state).toBe('deleting');
    const purgeAt = del.body.deletion!.purgeAt;
    expect(Date.parse(purgeAt) - Date.parse(del.body.deletion!.requestedAt)).toBe(30 * DAY);
    const scim = await o.scim.get('/Users');
    expect(scim.status).toBe(403);
    expect(JSON.stringify(scim.body)).toContain('scheduled for deletion');
    for (const [key, path] of [
      [o.orgKey, 'members'],
      [provider, 'invitations'],
      [o.orgKey, 'connections'],
    ] as const) {
      const r = await api.call<ErrorBody>('get', `/orgs/${o.org.id}/${path}`, key);
      expect([path, r.status, r.body.error.code, r.body.error.details?.purgeAt]).toEqual([path, 409, 'org.deleting', purgeAt]);
    }
    expect((await api.call<ErrorBody>('get', `/orgs/${o.org.id}/access?email=ada@umbrella.test`, provider)).body.error.code).toBe('org.deleting');
    const page = await fetch(o.link);
    expect(page.status).toBe(409);
    expect(await page.text()).toContain('This organization is being deleted');
    expect((await api.call<Organization>('get', `/orgs/${o.org.id}`, provider)).body).toMatchObject({ state: 'deleting', deletion: { purgeAt } });
    expect((await cli(f.env, f.cwd, 'members', 'add', '--org', o.org.id, '--email', 'late@umbrella.test')).stderr).toContain('org.deleting');
    expect((await api.call<Organization>('delete', `/orgs/${o.org.id}`, provider)).body.deletion!.purgeAt).toBe(purgeAt);

    // Act 2: the operator restores it.
    const restored = await cli(f.env, f.cwd, 'orgs', 'restore', o.org.id, '--json');

    // Assert 2
    expect(restored.json<Organization>().state).toBe('active');
    expect((await o.scim.get('/Users')).status).toBe(200);
    expect((await api.call('get', `/orgs/${o.org.id}/members`, o.orgKey)).status).toBe(200);
    expect((await fetch(o.link)).status).toBe(200);
    expect((await api.call<ErrorBody>('post', `/orgs/${o.org.id}/restore`, o.orgKey)).body.error.code).toBe('org.deletion_refused');
    const types = await until('org.deleted and org.restored webhooks', () => {
      const t = rx.on(`/${o.org.id}`).map((r) => r.event.type);
      return t.includes('org.restored') ? t : undefined;
    });
    expect(types).toEqual(['org.deleted', 'org.restored']);
    const audit = (await api.call<{ items: AuditEvent[] }>('get', `/orgs/${o.org.id}/audit?limit=1000`, o.orgKey)).body.items;
    expect(audit.find((e) => e.action === 'org.deleted')).toMatchObject({ reason: 'signed up by mistake', actor: { kind: 'admin' } });
    expect(audit.find((e) => e.action === 'org.restored')?.actor.kind).toBe('cli');
  });

  it('when the grace period passes, then the purge removes the org data on the store, keeps the receipt of its chain, and a second pass changes nothing', async () => {
    // Arrange: two orgs; one is deleted.
    const o = await populated('Cyberdyne');
    const kept = await populated('Tyrell');
    const del = await api.call<Organization>('delete', `/orgs/${o.org.id}`, provider);
    expect(del.status).toBe(202);
    const chain = await f.daemon.store.listAudit(o.org.id);
    const store = f.daemon.store;

    // Act 1: a pass before the end of the grace period purges nothing.
    f.clock.offsetMs += 29 * DAY;
    expect((await f.daemon.services.orgDeletion.purgeDue()).purged).toEqual([]);

    // Act 2: after it, the daemon's purge runs.
    f.clock.offsetMs += 2 * DAY;
    const pass = await f.daemon.services.orgDeletion.purgeDue();

    // Assert: the org's data is gone, the receipt holds its chain's end, the other org is intact.
    expect(pass.failed).toEqual([]);
    expect(pass.purged.map((r) => [r.orgId, r.auditCount, r.lastAuditHash])).toEqual([[o.org.id, chain.length, chain.at(-1)!.hash]]);
    expect(chain.at(-1)!.action).toBe('org.deleted');
    expect(await store.getOrg(o.org.id)).toBeUndefined();
    expect((await store.listMembers(o.org.id)).total).toBe(0);
    expect((await store.listInvitations(o.org.id)).total).toBe(0);
    expect((await store.listInviteLinks(o.org.id)).total).toBe(0);
    expect(await store.listConnections(o.org.id)).toEqual([]);
    expect(await store.getConnection(o.conn.id)).toBeUndefined();
    expect(await store.listAudit(o.org.id)).toEqual([]);
    expect((await o.scim.get('/Users')).status).toBe(401);
    expect((await api.call('get', `/orgs/${o.org.id}/members`, o.orgKey)).status).toBe(401);
    expect((await api.call<ErrorBody>('get', `/orgs/${o.org.id}`, provider)).body.error.code).toBe('org.not_found');
    expect((await fetch(o.link)).status).toBe(404);
    expect((await store.listMembers(kept.org.id)).total).toBe(2);
    expect((await kept.scim.get('/Users')).status).toBe(200);

    const receipts = (await api.call<{ items: PurgeReceipt[] }>('get', '/purge-receipts', provider)).body.items;
    expect(receipts.find((r) => r.orgId === o.org.id)).toEqual(pass.purged[0]);
    expect((await api.call<PurgeReceipt>('get', `/purge-receipts/${o.org.id}`, provider)).body.name).toBe('Cyberdyne');
    expect((await api.call('get', '/purge-receipts', kept.orgKey)).status).toBe(403);
    const purgedEvents = (await store.listAudit(PROVIDER_SCOPE)).filter((e) => e.action === 'org.purged' && e.target.id === o.org.id);
    expect(purgedEvents).toHaveLength(1);

    // Act 3: another pass (the CLI's) and the store's purge again: nothing more.
    const again = await cli(f.env, f.cwd, 'orgs', 'purge', '--json');
    expect(again.json<PurgeOutcome>()).toEqual({ purged: [], failed: [] });
    const direct = await store.purgeOrg({ ...pass.purged[0]!, purgedAt: new Date().toISOString() }, draft(PROVIDER_SCOPE, 'org.purged', o.org.id));
    expect(direct).toEqual({ receipt: pass.purged[0], purged: false });
    expect((await cli(f.env, f.cwd, 'orgs', 'receipts')).stdout).toContain(chain.at(-1)!.hash);
  });
  it("when an org is purged while a console session is open on it, then the session's next request is refused and asks to sign in again", async () => {
    // Arrange: the owner's console open on the org; the org deleted, its grace period over.
    const o = await f.newOrg('Soylent');
    const link = (await api.call<{ url: string }>('post', `/orgs/${o.org.id}/portal-links`, o.orgKey, {})).body.url;
    const members = `/console/orgs/${o.org.id}/members`;
    const c = await openConsole(f.daemon.url, `${f.daemon.url}${new URL(link).pathname}${new URL(link).search}`, members);
    expect((await c.get(members)).status).toBe(200);
    expect((await api.call('delete', `/orgs/${o.org.id}`, o.orgKey)).status).toBe(202);
    // The grace period is over without moving the clock (that would end the session by its idle timeout anyway).
    const past = new Date(Date.now() - DAY).toISOString();
    await f.daemon.store.updateOrg(o.org.id, (cur) => ({ next: { ...cur, deletion: { ...cur.deletion!, purgeAt: past } }, audit: draft(o.org.id, 'org.test_purge_due', o.org.id) }));

    // Act
    const pass = await f.daemon.services.orgDeletion.purgeDue();

    // Assert: purged; the session is gone on every store (Redis too, not at its TTL): sign in again.
    expect(pass.purged.map((r) => r.orgId)).toContain(o.org.id);
    const after = await c.get(members);
    expect(after.status).toBe(401);
    expect(await after.text()).toContain('Your console session has ended');
    // Besides the operator's webhooks (webhooks-provider.test.ts), the daemon counts it for Prometheus.
    expect(await (await fetch(`${f.daemon.url}/metrics`)).text()).toMatch(/^idsync_org_purges_total\{outcome="purged"\} [1-9]/m);
  });
});
