import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { standardWebhookHeaders, verifyWebhookSignature } from '../../src/services/webhooks/signing.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { STORES } from '../support/scim.js';
import { startClockedInstall, type ClockedInstall } from '../support/support-install.js';
import { receiver, until, type Received } from '../support/webhook-receiver.js';

type Hook = { id: string; orgId: string; url: string; events: string[]; secret: string; standardSecret: string };
type Delivery = { id: string; orgId: string; status: string; attempts: number; eventType: string; lastStatusCode?: number };
type ErrorBody = { error: { code: string } };
const DAY = 86_400_000;

describe.each(STORES)("the operator's (provider-scope) webhooks on %s", (kind) => {
  let f: ClockedInstall;
  let api: ApiClient;
  let provider: string;
  let rx: Awaited<ReturnType<typeof receiver>>;

  /** Both signatures check out against the secret (at the attempt's own time: the daemon's clock is moved in these tests). */
  const signed = (hook: Hook, r: Received) => {
    const ts = Number(r.headers['webhook-timestamp']);
    const now = Number(r.headers['x-idsync-timestamp']);
    const standard = standardWebhookHeaders(hook.secret, String(r.headers['webhook-id']), ts, r.body)['webhook-signature'];
    return verifyWebhookSignature(hook.secret, String(r.headers['x-idsync-signature']), r.body, now) && r.headers['webhook-signature'] === standard && r.headers['webhook-id'] === r.event.id;
  };
  const createHook = async (path: string, body: Record<string, unknown> = {}) => {
    const res = await api.call<Hook>('post', '/webhooks', provider, { url: rx.url(path), ...body });
    expect(res.status).toBe(201);
    return res.body;
  };
  const deliveries = async (hook: Hook, status = '') => (await api.call<{ items: Delivery[]; total: number }>('get', `/webhooks/${hook.id}/deliveries${status ? `?status=${status}` : ''}`, provider)).body;
  const about = (orgId: string) => (r: Received) => r.event.orgId === orgId || (r.event.data.target as { id?: string } | undefined)?.id === orgId;

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

  it('when an org is created, deleted, restored, deleted again and purged, then the operator endpoint receives each lifecycle event signed, org.purged after the purge, and nothing else of the org', async () => {
    // Arrange: an operator endpoint for every event it can receive.
    const hook = await createHook('/ops');
    expect(hook).toMatchObject({ orgId: 'provider', events: [] });
    expect(hook.secret).toMatch(/^whsec_/);

    // Act: the org's life, to its purge after the grace period.
    const o = await f.newOrg('Initech');
    expect((await api.call('post', `/orgs/${o.org.id}/members`, o.orgKey, { email: 'ada@initech.test' })).status).toBe(201);
    expect((await api.call('delete', `/orgs/${o.org.id}`, o.orgKey)).status).toBe(202);
    expect((await api.call('post', `/orgs/${o.org.id}/restore`, o.orgKey)).status).toBe(200);
    expect((await api.call('delete', `/orgs/${o.org.id}`, provider)).status).toBe(202);
    await until('org.restored and the second org.deleted', () => rx.on('/ops').filter((r) => r.event.type === 'org.deleted').length === 2 || undefined);
    f.clock.offsetMs += 31 * DAY;
    const pass = await f.daemon.services.orgDeletion.purgeDue();
    expect(pass.purged.map((r) => r.orgId)).toEqual([o.org.id]);

    // Assert: org.purged arrives after the org (and its own endpoints) are gone, from the provider chain.
    const purged = await until('org.purged', () => rx.on('/ops').find((r) => r.event.type === 'org.purged'));
    expect(purged.event).toMatchObject({ orgId: 'provider', data: { action: 'org.purged', target: { type: 'org', id: o.org.id }, after: { orgId: o.org.id, name: 'Initech' } } });
    const got = rx.on('/ops').filter(about(o.org.id));
    expect(got.map((r) => r.event.type).sort()).toEqual(['org.created', 'org.deleted', 'org.deleted', 'org.purged', 'org.restored']);
    expect(got.find((r) => r.event.type === 'org.restored')?.event).toMatchObject({ orgId: o.org.id, data: { target: { type: 'org', id: o.org.id }, after: { state: 'active' } } });
    expect(got.every((r) => signed(hook, r))).toBe(true);
    expect(got.every((r) => r.headers['x-idsync-delivery'] === `${hook.id}:${r.event.id}`)).toBe(true);
    expect(signed({ ...hook, secret: 'whsec_bm90LXRoZS1zZWNyZXQtYXQtYWxsLW5vdC1ldmVu' }, purged)).toBe(false);
    expect(rx.on('/ops').filter((r) => r.event.type.startsWith('member.') || r.event.type.startsWith('admin_key.'))).toEqual([]);
    const d = await until('delivered org.purged', async () => (await deliveries(hook, 'delivered')).items.find((x) => x.eventType === 'org.purged'));
    expect(d).toMatchObject({ orgId: 'provider', attempts: 1, lastStatusCode: 200 });
  });

  it('when an org-scoped key asks for the operator endpoints, then it is refused with 403, and the provider scope is no org under /orgs', async () => {
    const hook = await createHook('/ops-private', { events: ['org.purged'] });
    const o = await f.newOrg('Hooli');
    for (const [method, path, body] of [
      ['get', '/webhooks', undefined],
      ['post', '/webhooks', { url: rx.url('/sneaky') }],
      ['get', `/webhooks/${hook.id}`, undefined],
      ['patch', `/webhooks/${hook.id}`, { enabled: false }],
      ['get', `/webhooks/${hook.id}/deliveries`, undefined],
      ['post', `/webhooks/${hook.id}/ping`, undefined],
      ['delete', `/webhooks/${hook.id}`, undefined],
    ] as const) {
      const r = await api.call<ErrorBody>(method, path, o.orgKey, body);
      expect([method, path, r.status, r.body.error.code]).toEqual([method, path, 403, 'auth.forbidden']);
    }
    for (const key of [provider, o.orgKey]) expect((await api.call('get', `/orgs/provider/webhooks/${hook.id}`, key)).status).toBe(404);
    expect((await api.call('get', `/orgs/${o.org.id}/webhooks/${hook.id}`, provider)).status).toBe(404);
    // The operator's own tools: the API and the CLI see it; the secret is never shown again.
    expect((await api.call<{ items: Hook[] }>('get', '/webhooks', provider)).body.items.map((h) => h.id)).toContain(hook.id);
    const listed = await cli(f.env, f.cwd, 'webhooks', 'list', '--provider', '--json');
    expect(listed.json<Hook[]>().map((h) => h.id)).toContain(hook.id);
    expect(listed.stdout).not.toContain(hook.secret);
    expect((await cli(f.env, f.cwd, 'webhooks', 'list')).stderr).toContain('--org <id> or --provider is required');
    const ping = await api.call<{ delivered: boolean }>('post', `/webhooks/${hook.id}/ping`, provider);
    expect(ping.body.delivered).toBe(true);
    expect(rx.on('/ops-private').map((r) => [r.event.type, r.event.orgId, signed(hook, r)])).toEqual([['webhook.ping', 'provider', true]]);
    const audit = await cli(f.env, f.cwd, 'audit', 'list', '--provider', '--json');
    expect(audit.json<{ action: string; target: { id: string } }[]>().filter((e) => e.target.id === hook.id).map((e) => e.action)).toEqual(['webhook.created']);
  });

  it('when the operator endpoint answers 5xx, then the delivery is retried with backoff until it is delivered', async () => {
    // Arrange: the daemon's clock back to the store's (which stamps the outbox): an endpoint takes events from its registration on.
    f.clock.offsetMs = 0;
    rx.answer('/ops-flaky', 500, 503, 200);
    const hook = await createHook('/ops-flaky', { events: ['org.updated'] });
    const o = await f.newOrg('Pied Piper');

    // Act: a renamed org; the daemon's clock is moved past each backoff.
    expect((await api.call('patch', `/orgs/${o.org.id}`, provider, { name: 'Pied Piper Inc' })).status).toBe(200);
    const d = await until('delivered after retries', async () => {
      f.clock.offsetMs += 3_600_000;
      return (await deliveries(hook, 'delivered')).items[0];
    });

    // Assert
    expect(d).toMatchObject({ eventType: 'org.updated', attempts: 3, lastStatusCode: 200 });
    const seen = rx.on('/ops-flaky');
    expect(seen.map((r) => r.event.type)).toEqual(['org.updated', 'org.updated', 'org.updated']);
    expect(new Set(seen.map((r) => r.headers['x-idsync-delivery']))).toEqual(new Set([d.id]));
    expect(seen.every((r) => r.event.orgId === o.org.id && signed(hook, r))).toBe(true);
    // Counted like an org's deliveries (the only retries of this daemon are these two).
    expect(await (await fetch(`${f.daemon.url}/metrics`)).text()).toMatch(/^idsync_webhook_deliveries_total\{status="retrying"\} 2$/m);
  });
});
