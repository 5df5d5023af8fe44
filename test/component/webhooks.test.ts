import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { verifyWebhookSignature } from '../../src/services/webhooks/signing.js';
import { ApiClient } from '../support/api-client.js';
import { cli, startTestDaemon } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';
import { receiver, until, type Received } from '../support/webhook-receiver.js';

type Hook = { id: string; url: string; events: string[]; enabled: boolean; secret?: string };

type Delivery = { id: string; status: string; attempts: number; eventType: string; lastStatusCode?: number; lastError?: string };
const FAST = { IDSYNC_WEBHOOK_POLL_MS: '50', IDSYNC_WEBHOOK_RETRY_BASE_MS: '50', IDSYNC_WEBHOOK_MAX_ATTEMPTS: '3' };
const verified = (secret: string, r: Received) => verifyWebhookSignature(secret, String(r.headers['x-idsync-signature']), r.body, Math.floor(Date.now() / 1000));

describe.each(STORES)('signed webhooks on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let key: string;
  let org: Organization;
  const secrets: string[] = [];

  const createHook = async (path: string, body: Record<string, unknown> = {}) => {
    const res = await api.call<Hook>('post', `/orgs/${org.id}/webhooks`, key, { url: rx.url(path), ...body });
    expect(res.status).toBe(201);
    secrets.push(res.body.secret!);
    return res.body;
  };
  const addMember = async (email: string) => (await api.call<Member>('post', `/orgs/${org.id}/members`, key, { email, givenName: email.split('@')[0] })).body;
  const deliveries = async (hook: Hook, status = '') => (await api.call<{ items: Delivery[]; total: number }>('get', `/orgs/${org.id}/webhooks/${hook.id}/deliveries${status ? `?status=${status}` : ''}`, key)).body;

  beforeAll(async () => {
    f = await scimFixture(kind, FAST);
    api = await ApiClient.connect(f.daemon.url);
    rx = await receiver();
    key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    org = (await api.call<Organization>('post', '/orgs', key, { name: 'Hooked' })).body;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await rx.close();
    await f.dispose();
  });

  it('when a member is created through the API, then it arrives as member.created, signed with the secret given at creation', async () => {
    const hook = await createHook('/all');
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const m = await addMember('ada@hooked.example');
    const r = await until('member.created', () => rx.on('/all').find((x) => x.event.type === 'member.created'));
    expect(verified(hook.secret!, r)).toBe(true);
    expect(verified('not-the-secret-at-all', r)).toBe(false);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-idsync-event']).toBe('member.created');
    expect(r.headers['x-idsync-delivery']).toBe(`${hook.id}:${r.event.id}`);
    expect(Number(r.headers['x-idsync-timestamp'])).toBeGreaterThan(Date.now() / 1000 - 60);
    expect(r.event).toMatchObject({ type: 'member.created', orgId: org.id, data: { action: 'member.created', target: { type: 'member', id: m.id } } });
    const d = await until('delivered status', async () => (await deliveries(hook, 'delivered')).items.find((x) => x.eventType === 'member.created'));
    expect(d).toMatchObject({ attempts: 1, lastStatusCode: 200 });
  });

  it('when an endpoint filters events, then only matching types are delivered', async () => {
    const hook = await createHook('/teams', { events: ['team.*'] });
    await addMember('bob@hooked.example');
    await api.call('post', `/orgs/${org.id}/teams`, key, { displayName: 'Filtered' });
    await until('team.created', () => rx.on('/teams').find((x) => x.event.type === 'team.created'));
    await until('member.created elsewhere', () => rx.on('/all').find((x) => JSON.stringify(x.event.data).includes('bob@hooked.example')));
    expect(rx.on('/teams').map((x) => x.event.type)).toEqual(['team.created']);
    expect((await deliveries(hook)).items.map((d) => d.eventType)).toEqual(['team.created']);
  });

  it('when the receiver answers 500 twice and then 200, then the same delivery is retried and finally delivered', async () => {
    rx.answer('/flaky', 500, 500, 200);
    const hook = await createHook('/flaky', { events: ['member.created'] });
    await addMember('cy@hooked.example');
    const d = await until('delivered after retries', async () => (await deliveries(hook, 'delivered')).items[0]);
    expect(d).toMatchObject({ attempts: 3, lastStatusCode: 200 });
    const seen = rx.on('/flaky');
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((x) => x.headers['x-idsync-delivery']))).toEqual(new Set([d.id]));
    expect(seen.every((x) => verified(hook.secret!, x))).toBe(true);
  });

  it('when the receiver keeps failing, then after maxAttempts the delivery is failed and listed as such', async () => {
    rx.answer('/down', 503);
    const hook = await createHook('/down', { events: ['member.created'] });
    await addMember('dee@hooked.example');
    const d = await until('failed', async () => (await deliveries(hook, 'failed')).items[0]);
    expect(d).toMatchObject({ attempts: 3, lastStatusCode: 503, lastError: 'HTTP 503' });
    expect(rx.on('/down')).toHaveLength(3);
    expect((await deliveries(hook, 'pending')).total).toBe(0);
  });

  it('when an endpoint is pinged, then a signed webhook.ping is sent now and the answer reported', async () => {
    const hook = await createHook('/ping', { events: ['nothing.matches'] });
    const res = await api.call<{ delivered: boolean; statusCode: number }>('post', `/orgs/${org.id}/webhooks/${hook.id}/ping`, key);
    expect(res.body).toMatchObject({ delivered: true, statusCode: 200 });
    const [r] = rx.on('/ping');
    expect(r?.event).toMatchObject({ type: 'webhook.ping', orgId: org.id, data: { webhookId: hook.id } });
    expect(verified(hook.secret!, r!)).toBe(true);
  });

  it('when endpoints are read, updated and deleted, then secrets never appear, changes are audited and other orgs see 404', async () => {
    const hook = await createHook('/crud');
    const list = await api.call<{ items: Hook[] }>('get', `/orgs/${org.id}/webhooks`, key);
    const got = await api.call<Hook>('get', `/orgs/${org.id}/webhooks/${hook.id}`, key);
    const patched = await api.call<Hook>('patch', `/orgs/${org.id}/webhooks/${hook.id}`, key, { enabled: false, events: ['member.*'] });
    expect(patched.body).toMatchObject({ enabled: false, events: ['member.*'] });
    expect(patched.body.secret).toBeUndefined();
    const rotated = await api.call<Hook>('patch', `/orgs/${org.id}/webhooks/${hook.id}`, key, { rotateSecret: true });
    expect(rotated.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    secrets.push(rotated.body.secret!);
    expect((await api.call('post', `/orgs/${org.id}/webhooks`, key, { url: 'http://example.com/hook' })).status).toBe(400);

    const other = (await api.call<Organization>('post', '/orgs', key, { name: 'Other' })).body;
    const otherKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', other.id, '--json')).json<{ key: string }>().key;
    expect((await api.call('get', `/orgs/${org.id}/webhooks/${hook.id}`, otherKey)).status).toBe(404);
    expect((await api.call('get', `/orgs/${other.id}/webhooks/${hook.id}`, otherKey)).status).toBe(404);
    expect((await api.call('delete', `/orgs/${org.id}/webhooks/${hook.id}`, key)).status).toBe(204);
    expect((await api.call('get', `/orgs/${org.id}/webhooks/${hook.id}`, key)).status).toBe(404);

    const audit = await api.call<{ items: { action: string; target: { id: string } }[] }>('get', `/orgs/${org.id}/audit?target=${hook.id}`, key);
    expect(audit.body.items.map((a) => a.action)).toEqual(expect.arrayContaining(['webhook.created', 'webhook.updated', 'webhook.deleted']));

    const shown = JSON.stringify([list.body, got.body, patched.body, audit.body, await deliveries(hook)]);
    const logs = f.daemon.logs.lines.join('\n');
    for (const s of secrets) {
      expect(shown).not.toContain(s);
      expect(logs).not.toContain(s);
    }
    expect(shown).not.toContain('secretCiphertext');
  });
});

describe('webhook delivery across a crash (sqlite)', () => {
  it('when the daemon stops after a change but before delivery, then a new daemon on the same data dir delivers it', async () => {
    const f = await scimFixture('sqlite', { ...FAST, IDSYNC_WEBHOOK_POLL_MS: '3600000' });
    const rx = await receiver();
    try {
      const key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
      const api = await ApiClient.connect(f.daemon.url);
      const org = (await api.call<Organization>('post', '/orgs', key, { name: 'Crashy' })).body;
      const hook = (await api.call<Hook>('post', `/orgs/${org.id}/webhooks`, key, { url: rx.url('/crash'), events: ['member.created'] })).body;
      const m = (await api.call<Member>('post', `/orgs/${org.id}/members`, key, { email: 'eve@crashy.example' })).body;
      await new Promise((r) => setTimeout(r, 200));
      expect(rx.got).toHaveLength(0);
      await f.daemon.stop();
      // And one more change while nothing runs, straight into the store by the CLI.
      const fay = await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', 'fay@crashy.example', '--json');
      expect(fay.code).toBe(0);

      const again = await startTestDaemon({ ...f.env, IDSYNC_WEBHOOK_POLL_MS: '50' }, f.cwd);
      try {
        const r = await until('delivery after restart', () => rx.on('/crash').find((x) => JSON.stringify(x.event.data).includes(m.id)));
        expect(verifyWebhookSignature(hook.secret!, String(r.headers['x-idsync-signature']), r.body, Math.floor(Date.now() / 1000))).toBe(true);
        await until('the change made while stopped', () => rx.on('/crash').find((x) => JSON.stringify(x.event.data).includes(fay.json<Member>().id)));
        expect(rx.on('/crash')).toHaveLength(2);
      } finally {
        await again.stop();
      }
    } finally {
      await rx.close();
      await f.dispose();
    }
  });
});
