/**
 * Graph's change-notification side for the local Graph fake: POST /v1.0/subscriptions validates
 * both notification URLs the documented way (a POST with ?validationToken=…, answered 200
 * text/plain with the token within 10 s) before answering 201; PATCH renews (404 for a
 * subscription Graph dropped); POST …/reauthorize; DELETE. It then SENDS notifications over HTTP:
 * `{ value: [ { subscriptionId, clientState, changeType, resource, resourceData, … } ] }`, and the
 * lifecycle events (reauthorizationRequired, subscriptionRemoved, missed) to lifecycleNotificationUrl.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { FakeRequest, Reply } from './server.js';

export interface FakeSubscription {
  id: string;
  resource: string;
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl: string;
  clientState: string;
  expirationDateTime: string;
}

const err = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message } } });
/** users: the longest a subscription may last (the subscription resource's table), in minutes. */
const MAX_MINUTES = 4230;

export class GraphSubscriptionsFake {
  readonly subs = new Map<string, FakeSubscription>();
  /** Every validation request sent and what came back. */
  readonly validations: { url: string; ok: boolean }[] = [];
  renewals = 0;
  reauthorizations = 0;

  /** Graph's clock; tests that move the daemon's clock move this one with it. */
  now: () => number = Date.now;

  constructor(private readonly tenantId: string) {}

  route(req: FakeRequest): { route: 'subscriptions'; handle: () => Promise<Reply> | Reply } | undefined {
    const p = req.url.pathname;
    if (req.method === 'POST' && p === '/v1.0/subscriptions') return { route: 'subscriptions', handle: () => this.create(req) };
    const m = /^\/v1\.0\/subscriptions\/([^/]+)(\/reauthorize)?$/.exec(p);
    if (!m) return undefined;
    const id = decodeURIComponent(m[1]!);
    if (m[2] && req.method === 'POST') return { route: 'subscriptions', handle: () => this.reauthorize(id) };
    if (req.method === 'PATCH') return { route: 'subscriptions', handle: () => this.renew(id, req) };
    if (req.method === 'DELETE') return { route: 'subscriptions', handle: () => (this.subs.delete(id) ? { status: 204 } : err(404, 'ResourceNotFound', 'The object was not found.')) };
    return undefined;
  }

  private async create(req: FakeRequest): Promise<Reply> {
    const b = JSON.parse(req.body) as Partial<FakeSubscription>;
    if (b.resource !== 'users' || !b.notificationUrl || !b.lifecycleNotificationUrl || !b.clientState || !b.expirationDateTime || !b.changeType) return err(400, 'InvalidRequest', 'missing subscription properties');
    // Measured from the requester's own clock (tests move the daemon's clock ahead of this one).
    if (new Date(b.expirationDateTime).getTime() - this.now() > MAX_MINUTES * 60_000) return err(400, 'InvalidRequest', `Subscription expiration can only be ${MAX_MINUTES} minutes in the future.`);
    for (const url of new Set([b.notificationUrl, b.lifecycleNotificationUrl])) {
      if (!(await this.validate(url))) return err(400, 'ValidationError', `Subscription validation request failed. Notification endpoint must respond with 200 OK to validation request.`);
    }
    const sub: FakeSubscription = { id: randomUUID(), resource: b.resource, changeType: b.changeType, notificationUrl: b.notificationUrl, lifecycleNotificationUrl: b.lifecycleNotificationUrl, clientState: b.clientState, expirationDateTime: b.expirationDateTime };
    this.subs.set(sub.id, sub);
    return { status: 201, body: { '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#subscriptions/$entity', ...sub, applicationId: 'app', creatorId: 'creator', latestSupportedTlsVersion: 'v1_2' } };
  }

  private async validate(url: string): Promise<boolean> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    try {
      const res = await fetch(`${url}?validationToken=${encodeURIComponent(token)}`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, signal: AbortSignal.timeout(10_000) });
      const ok = res.status === 200 && (res.headers.get('content-type') ?? '').startsWith('text/plain') && (await res.text()) === token;
      this.validations.push({ url, ok });
      return ok;
    } catch {
      this.validations.push({ url, ok: false });
      return false;
    }
  }

  private renew(id: string, req: FakeRequest): Reply {
    const sub = this.subs.get(id);
    if (!sub) return err(404, 'ResourceNotFound', `The object was not found.`);
    const { expirationDateTime } = JSON.parse(req.body) as { expirationDateTime: string };
    sub.expirationDateTime = expirationDateTime;
    this.renewals += 1;
    return { status: 200, body: sub };
  }

  private reauthorize(id: string): Reply {
    if (!this.subs.has(id)) return err(404, 'ResourceNotFound', 'The object was not found.');
    this.reauthorizations += 1;
    return { status: 200, body: {} };
  }

  only(): FakeSubscription {
    const [sub, ...rest] = [...this.subs.values()];
    if (!sub || rest.length) throw new Error(`expected one subscription, have ${this.subs.size}`);
    return sub;
  }

  /** Graph forgets a subscription (it expired, or was removed): renewals answer 404. */
  drop(id: string): void {
    this.subs.delete(id);
  }

  /** A change notification for one user (rich: no; resourceData carries the id only, as for users). */
  item(userId: string, changeType: 'updated' | 'deleted', over: { clientState?: string } = {}) {
    const sub = this.only();
    return {
      id: randomUUID(),
      subscriptionId: sub.id,
      subscriptionExpirationDateTime: sub.expirationDateTime,
      changeType,
      resource: `Users/${userId}`,
      resourceData: { '@odata.type': '#Microsoft.Graph.User', '@odata.id': `Users/${userId}`, id: userId, organizationId: this.tenantId },
      clientState: over.clientState ?? sub.clientState,
      tenantId: this.tenantId,
    };
  }

  /** POSTs `{ value: items }` to the subscription's notificationUrl; the HTTP status it got. */
  async send(items: unknown[], url = this.only().notificationUrl): Promise<number> {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: JSON.stringify({ value: items }) });
    await res.arrayBuffer();
    return res.status;
  }

  async notify(userId: string, changeType: 'updated' | 'deleted' = 'updated', over: { clientState?: string } = {}): Promise<number> {
    return this.send([this.item(userId, changeType, over)]);
  }

  /** A lifecycle notification to the lifecycleNotificationUrl. */
  async lifecycle(event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'): Promise<number> {
    const sub = this.only();
    const item = { subscriptionId: sub.id, subscriptionExpirationDateTime: sub.expirationDateTime, tenantId: this.tenantId, clientState: sub.clientState, lifecycleEvent: event, id: randomBytes(8).toString('hex') };
    return this.send([item], sub.lifecycleNotificationUrl);
  }
}
