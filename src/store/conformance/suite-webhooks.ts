import { describe, expect, it } from '@jest/globals';
import type { WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { aDelivery, aWebhook, draft, hoursFrom, NOW } from './fixtures.js';
import { codeOf, type StoreHarness } from './harness.js';

const disable = (cur: WebhookEndpoint) => ({ next: { ...cur, enabled: false }, audit: draft(cur.orgId, 'webhook.updated', cur.id) });
const ids = (xs: { id: string }[]) => xs.map((x) => x.id);
const minutes = (n: number) => hoursFrom(NOW, n / 60);

export function webhookConformance(h: StoreHarness): void {
  async function newWebhook(orgId: string) {
    const ep = aWebhook(orgId);
    await h.store.createWebhook(ep, draft(orgId, 'webhook.created', ep.id));
    return ep;
  }

  describe('webhook endpoints', () => {
    it('when endpoints are created, updated and deleted, then reads follow and each change is audited once', async () => {
      const org = await h.newOrg();
      const other = await h.newOrg();
      const a = aWebhook(org.id);
      expect(await h.auditDelta(org.id, () => h.store.createWebhook(a, draft(org.id, 'webhook.created', a.id)))).toBe(1);
      const b = await newWebhook(org.id);
      expect(await h.store.getWebhook(org.id, a.id)).toEqual(a);
      expect(await h.store.getWebhook(other.id, a.id)).toBeUndefined();
      expect(ids(await h.store.listWebhooks(org.id))).toEqual([a.id, b.id]);
      expect(await h.store.listWebhooks(other.id)).toEqual([]);

      const res = await h.store.updateWebhook(org.id, a.id, disable);
      expect(res).toMatchObject({ changed: true, record: { enabled: false, version: 2 } });
      expect(await codeOf(h.store.updateWebhook(org.id, a.id, disable, { ifVersion: 1 }))).toBe('version.mismatch');
      expect(await codeOf(h.store.updateWebhook(other.id, a.id, disable))).toBe('webhook.not_found');

      expect(await h.auditDelta(org.id, () => h.store.deleteWebhook(org.id, a.id, draft(org.id, 'webhook.deleted', a.id)))).toBe(1);
      expect(await h.store.getWebhook(org.id, a.id)).toBeUndefined();
      expect(ids(await h.store.listWebhooks(org.id))).toEqual([b.id]);
      expect(await codeOf(h.store.deleteWebhook(org.id, a.id, draft(org.id, 'webhook.deleted', a.id)))).toBe('webhook.not_found');
      expect(await codeOf(h.store.createWebhook(aWebhook('no-such-org'), draft('no-such-org', 'webhook.created', 'x')))).toBe('org.not_found');
    });
  });

  describe('webhook deliveries', () => {
    it('when deliveries are saved again, then they are replaced in place and list newest first, filtered by endpoint and status', async () => {
      const org = await h.newOrg();
      const [e1, e2] = [await newWebhook(org.id), await newWebhook(org.id)];
      const saved: WebhookDelivery[] = [];
      const appended = await h.auditDelta(org.id, async () => {
        for (let i = 0; i < 6; i++) {
          const d = aDelivery(org.id, (i % 2 ? e2 : e1).id, { createdAt: minutes(i) });
          await h.store.saveDelivery(d);
          saved.push(d);
        }
      });
      expect(appended).toBe(0);
      const delivered: WebhookDelivery = { ...saved[0]!, status: 'delivered', attempts: 1, lastAttemptAt: minutes(10), lastStatusCode: 204, updatedAt: minutes(10) };
      delete delivered.nextAttemptAt;
      await h.store.saveDelivery(delivered);
      await h.store.saveDelivery({ ...saved[3]!, status: 'failed', attempts: 8, lastError: 'HTTP 500' });
      expect(await h.store.getDelivery(org.id, delivered.id)).toEqual(delivered);
      expect(await h.store.getDelivery(org.id, 'missing')).toBeUndefined();

      const all = await h.store.listDeliveries(org.id);
      expect(all.total).toBe(6);
      expect(ids(all.items)).toEqual(ids(saved).reverse());
      expect(ids((await h.store.listDeliveries(org.id, { offset: 4, limit: 10 })).items)).toEqual([saved[1]!.id, saved[0]!.id]);
      expect(ids((await h.store.listDeliveries(org.id, { endpointId: e1.id })).items)).toEqual([saved[4]!.id, saved[2]!.id, saved[0]!.id]);
      expect(ids((await h.store.listDeliveries(org.id, { status: 'pending' })).items)).toEqual([saved[5]!.id, saved[4]!.id, saved[2]!.id, saved[1]!.id]);
      const e2Pending = await h.store.listDeliveries(org.id, { endpointId: e2.id, status: 'pending', limit: 1 });
      expect(e2Pending.total).toBe(2);
      expect(ids(e2Pending.items)).toEqual([saved[5]!.id]);
      expect(ids((await h.store.listDeliveries(org.id, { endpointId: e2.id, status: 'failed' })).items)).toEqual([saved[3]!.id]);
      expect(await h.store.listDeliveries(org.id, { endpointId: e1.id, status: 'failed' })).toEqual({ items: [], total: 0 });
      expect(await codeOf(h.store.saveDelivery(aDelivery('no-such-org', e1.id)))).toBe('org.not_found');
    });

    it('when deliveries of two orgs are due, then pending ones due by now come back oldest due first, and nothing else', async () => {
      const a = await h.newOrg();
      const b = await h.newOrg();
      const [ea, eb] = [await newWebhook(a.id), await newWebhook(b.id)];
      const d1 = aDelivery(a.id, ea.id, { nextAttemptAt: minutes(-30) });
      const d2 = aDelivery(b.id, eb.id, { nextAttemptAt: minutes(-20) });
      const d3 = aDelivery(a.id, ea.id, { nextAttemptAt: minutes(-10) });
      const d4 = aDelivery(b.id, eb.id, { nextAttemptAt: NOW });
      const future = aDelivery(a.id, ea.id, { nextAttemptAt: minutes(1) });
      const done = aDelivery(b.id, eb.id, { status: 'delivered', nextAttemptAt: minutes(-40) });
      const failed = aDelivery(a.id, ea.id, { status: 'failed', nextAttemptAt: minutes(-50) });
      for (const d of [d4, future, done, d3, failed, d2, d1]) await h.store.saveDelivery(d);

      expect(await h.store.listDueDeliveries(NOW, 10)).toEqual([d1, d2, d3, d4]);
      expect(ids(await h.store.listDueDeliveries(NOW, 2))).toEqual([d1.id, d2.id]);
      expect(await h.store.listDueDeliveries(minutes(-60), 10)).toEqual([]);

      // A delivery that succeeded, or was rescheduled, stops being due; one set back to pending is due again.
      await h.store.saveDelivery({ ...d1, status: 'delivered', attempts: 1 });
      await h.store.saveDelivery({ ...d2, attempts: 1, nextAttemptAt: minutes(5) });
      await h.store.saveDelivery({ ...done, status: 'pending', nextAttemptAt: minutes(-1) });
      expect(ids(await h.store.listDueDeliveries(NOW, 10))).toEqual([d3.id, done.id, d4.id]);
      expect(ids(await h.store.listDueDeliveries(minutes(5), 10))).toEqual([d3.id, done.id, d4.id, future.id, d2.id]);
    });
  });

  describe('outbox cursors', () => {
    it('when consumers move their cursors, then only orgs with outbox records past the cursor have a backlog', async () => {
      const a = await h.newOrg();
      const b = await h.newOrg();
      const c = await h.newOrg();
      expect(await h.store.getOutboxCursor(a.id, 'webhooks')).toBe(0);
      expect((await h.store.listOrgsWithOutboxBacklog('webhooks')).sort()).toEqual([a.id, b.id, c.id].sort());

      await h.store.appendAudit(draft(b.id, 'test.event', 'x'));
      const appended = await h.auditDelta(a.id, async () => {
        await h.store.setOutboxCursor(a.id, 'webhooks', 1);
        await h.store.setOutboxCursor(b.id, 'webhooks', 1);
        await h.store.setOutboxCursor(c.id, 'webhooks', 1);
      });
      expect(appended).toBe(0);
      expect(await h.store.getOutboxCursor(b.id, 'webhooks')).toBe(1);
      expect(await h.store.getOutboxCursor(b.id, 'metrics')).toBe(0);
      expect(await h.store.listOrgsWithOutboxBacklog('webhooks')).toEqual([b.id]);
      expect((await h.store.listOrgsWithOutboxBacklog('metrics')).sort()).toEqual([a.id, b.id, c.id].sort());

      await h.store.setOutboxCursor(b.id, 'webhooks', 2);
      expect(await h.store.listOrgsWithOutboxBacklog('webhooks')).toEqual([]);
      await h.store.createWebhook(aWebhook(c.id), draft(c.id, 'webhook.created', 'w'));
      expect(await h.store.listOrgsWithOutboxBacklog('webhooks')).toEqual([c.id]);
    });
  });

  describe('provider-scope webhooks', () => {
    it("when the operator's endpoints and deliveries are kept in the provider scope, then they behave like an org's, are audited in the provider chain and outlive an org's purge", async () => {
      const org = await h.newOrg();
      const ep = aWebhook(PROVIDER_SCOPE);
      expect(await h.auditDelta(PROVIDER_SCOPE, () => h.store.createWebhook(ep, draft(PROVIDER_SCOPE, 'webhook.created', ep.id)))).toBe(1);
      const orgEp = await newWebhook(org.id);
      expect(ids(await h.store.listWebhooks(PROVIDER_SCOPE))).toEqual([ep.id]);
      expect(ids(await h.store.listWebhooks(org.id))).toEqual([orgEp.id]);
      expect(await h.store.getWebhook(org.id, ep.id)).toBeUndefined();
      expect(await h.auditDelta(PROVIDER_SCOPE, () => h.store.updateWebhook(PROVIDER_SCOPE, ep.id, disable))).toBe(1);
      expect((await h.store.getWebhook(PROVIDER_SCOPE, ep.id))?.enabled).toBe(false);

      const event = { type: 'org.deleted', time: NOW, orgId: org.id, data: { action: 'org.deleted', target: { type: 'org', id: org.id } } };
      const d = aDelivery(PROVIDER_SCOPE, ep.id, { eventType: 'org.deleted', event, nextAttemptAt: minutes(-1) });
      const od = aDelivery(org.id, orgEp.id, { nextAttemptAt: minutes(-2) });
      await h.store.saveDelivery(d);
      await h.store.saveDelivery(od);
      expect(await h.store.getDelivery(PROVIDER_SCOPE, d.id)).toEqual(d);
      expect(await h.store.getDelivery(org.id, d.id)).toBeUndefined();
      expect(ids(await h.store.listDueDeliveries(NOW, 10))).toEqual([od.id, d.id]);
      expect(ids((await h.store.listDeliveries(PROVIDER_SCOPE, { endpointId: ep.id, status: 'pending' })).items)).toEqual([d.id]);

      const receipt = { orgId: org.id, name: org.name, deletionRequestedAt: NOW, purgeAt: NOW, purgedAt: NOW };
      expect((await h.store.purgeOrg(receipt, draft(PROVIDER_SCOPE, 'org.purged', org.id))).purged).toBe(true);
      expect(await h.store.listDueDeliveries(NOW, 10)).toEqual([d]);
      expect(ids(await h.store.listWebhooks(PROVIDER_SCOPE))).toEqual([ep.id]);
      await h.store.saveDelivery({ ...d, status: 'delivered', attempts: 1 });
      expect(await h.store.listDueDeliveries(NOW, 10)).toEqual([]);
      expect(await h.auditDelta(PROVIDER_SCOPE, () => h.store.deleteWebhook(PROVIDER_SCOPE, ep.id, draft(PROVIDER_SCOPE, 'webhook.deleted', ep.id)))).toBe(1);
      expect(await h.store.listWebhooks(PROVIDER_SCOPE)).toEqual([]);
    });
  });
}
