import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Organization } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture } from '../support/scim.js';
import { receiver, until, type Received } from '../support/webhook-receiver.js';

type Hook = { id: string; secret: string; standardSecret: string };

/**
 * A Standard Webhooks 1.0 verifier written from the spec, sharing no code with idsync: the key is
 * the base64 after `whsec_`, the signed content `id.timestamp.body`, the header a space-separated
 * list of `v1,<base64>` of which one must match; stale timestamps are refused.
 */
function standardVerify(whsec: string, r: Received, toleranceSec = 300): boolean {
  if (!whsec.startsWith('whsec_')) return false;
  const key = Buffer.from(whsec.slice('whsec_'.length), 'base64');
  const id = String(r.headers['webhook-id']);
  const ts = Number(r.headers['webhook-timestamp']);
  if (!Number.isInteger(ts) || Math.abs(Date.now() / 1000 - ts) > toleranceSec) return false;
  const expected = createHmac('sha256', key).update(`${id}.${ts}.${r.body}`).digest();
  return String(r.headers['webhook-signature'])
    .split(' ')
    .some((sig) => {
      const [version, value] = sig.split(',', 2);
      const given = Buffer.from(value ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

describe('Standard Webhooks headers (sqlite)', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let key: string;
  let org: Organization;
  const hook = async (path: string, body: Record<string, unknown> = {}) => {
    const res = await api.call<Hook>('post', `/orgs/${org.id}/webhooks`, key, { url: rx.url(path), ...body });
    expect(res.status).toBe(201);
    return res.body;
  };

  beforeAll(async () => {
    f = await scimFixture('sqlite', { IDSYNC_WEBHOOK_POLL_MS: '50', IDSYNC_WEBHOOK_RETRY_BASE_MS: '50', IDSYNC_WEBHOOK_MAX_ATTEMPTS: '3' });
    api = await ApiClient.connect(f.daemon.url);
    rx = await receiver();
    key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    org = (await api.call<Organization>('post', '/orgs', key, { name: 'Standard' })).body;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await rx.close();
    await f.dispose();
  });

  it('when a secret is generated, then it is in whsec_ form and every attempt carries verifiable webhook-* headers with the event id', async () => {
    rx.answer('/gen', 500, 200);
    const h = await hook('/gen', { events: ['member.created'] });
    expect(h.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(h.secret.slice(6), 'base64')).toHaveLength(32);
    expect(h.standardSecret).toBe(h.secret);
    await api.call('post', `/orgs/${org.id}/members`, key, { email: 'sw@standard.example' });
    const seen = await until('two attempts', () => (rx.on('/gen').length >= 2 ? rx.on('/gen') : undefined));
    for (const r of seen) {
      expect(standardVerify(h.secret, r)).toBe(true);
      expect(r.headers['webhook-id']).toBe(r.event.id);
      expect(r.headers['webhook-timestamp']).toBe(r.headers['x-idsync-timestamp']);
      expect(r.headers['x-idsync-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    }
    expect(new Set(seen.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const forged = { ...seen[0]!, body: seen[0]!.body.replace('sw@', 'xx@') };
    expect(standardVerify(h.secret, forged)).toBe(false);
    expect(standardVerify(`whsec_${Buffer.alloc(32, 7).toString('base64')}`, seen[0]!)).toBe(false);
  });

  it('when an endpoint keeps a secret that is not in whsec_ form, then its whsec_ form is base64 of the secret and verifies', async () => {
    const legacy = 'an-old-style-secret-0123456789';
    const h = await hook('/legacy', { secret: legacy, events: ['member.created'] });
    expect(h.secret).toBe(legacy);
    expect(h.standardSecret).toBe(`whsec_${Buffer.from(legacy, 'utf8').toString('base64')}`);
    await api.call('post', `/orgs/${org.id}/members`, key, { email: 'legacy@standard.example' });
    const r = await until('legacy delivery', () => rx.on('/legacy')[0]);
    expect(standardVerify(h.standardSecret, r)).toBe(true);
    const rotated = await api.call<Hook>('patch', `/orgs/${org.id}/webhooks/${h.id}`, key, { rotateSecret: true });
    expect(rotated.body.standardSecret).toBe(rotated.body.secret);
  });

  it('when a caller gives a whsec_ secret, then it must be base64 of 24 to 64 bytes, and a ping is signed with it', async () => {
    expect((await api.call('post', `/orgs/${org.id}/webhooks`, key, { url: rx.url('/bad'), secret: 'whsec_not!base64!at-all' })).status).toBe(400);
    expect((await api.call('post', `/orgs/${org.id}/webhooks`, key, { url: rx.url('/bad'), secret: `whsec_${Buffer.alloc(16, 1).toString('base64')}` })).status).toBe(400);
    const given = `whsec_${Buffer.alloc(24, 9).toString('base64')}`;
    const h = await hook('/ping', { secret: given });
    expect((await api.call('post', `/orgs/${org.id}/webhooks/${h.id}/ping`, key)).status).toBe(200);
    const r = await until('ping', () => rx.on('/ping')[0]);
    expect(r.event.type).toBe('webhook.ping');
    expect(standardVerify(given, r)).toBe(true);
  });
});
