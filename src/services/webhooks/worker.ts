import type { OutboxRecord, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import { batchesAfter } from '../../ports/paging.js';
import { PROVIDER_SCOPE, type Store } from '../../ports/store.js';
import type { SecretBox } from '../secret-box.js';
import type { LookupAll } from './destination.js';
import { sendWebhook, type FetchLike } from './send.js';
import { reachesOperator } from './provider-events.js';
import { backoffDelayMs, eventMatches } from './signing.js';

/** The outbox consumer name of webhook fan-out. */
export const WEBHOOK_CONSUMER = 'webhooks';

export type DeliveryOutcome = 'delivered' | 'retrying' | 'failed';

export interface WebhookWorkerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** `new SecretBox(secretKey, 'webhook secrets')`. */
  box: SecretBox;
  fetch?: FetchLike;
  pollMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Outbox records read, and due deliveries attempted, per batch. */
  batchSize?: number;
  timeoutMs?: number;
  random?: () => number;
  /** Called once per attempt (metrics). */
  onOutcome?: (outcome: DeliveryOutcome) => void;
  /** This replica's name in store leases: with several replicas, one attempt is made by one of them. */
  holder?: string;
  /** webhooks.allowPrivateNetworks; false (the default) refuses deliveries to internal addresses. */
  allowPrivateNetworks?: boolean;
  /** Resolver of the destination check (tests); default node:dns/promises lookup. */
  lookup?: LookupAll;
}

/**
 * Delivers the outbox to webhook endpoints, at least once.
 * Each tick (a) fans new outbox records out into `pending` deliveries, one per matching enabled
 * endpoint, and only then moves the org's `webhooks` cursor, so a crash between the two repeats
 * the fan-out instead of losing it; (b) attempts the due deliveries, rescheduling failures with
 * exponential backoff until `maxAttempts`, after which a delivery is `failed` (the dead letter).
 * The operator's endpoints (provider scope) are fanned out to from the provider chain and from every
 * org's lifecycle events; their deliveries are kept in the provider scope, so they outlive the org.
 * One tick at a time per process; stop() aborts in-flight requests (they stay pending) and waits.
 */
export class WebhookWorker {
  private readonly o: Required<Omit<WebhookWorkerOptions, 'onOutcome' | 'lookup'>> & Pick<WebhookWorkerOptions, 'onOutcome' | 'lookup'>;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private readonly shutdown = new AbortController();
  private started = false;

  constructor(opts: WebhookWorkerOptions) {
    this.o = {
      fetch: (u, i) => fetch(u, i),
      pollMs: 1000,
      maxAttempts: 8,
      retryBaseMs: 10_000,
      retryMaxMs: 3_600_000,
      batchSize: 100,
      timeoutMs: 10_000,
      random: Math.random,
      holder: `webhook-worker:${process.pid}`,
      allowPrivateNetworks: false,
      ...opts,
    };
  }

  /** Ticks now and then every pollMs until stop() or until `signal` aborts. */
  start(signal?: AbortSignal): void {
    if (this.started || this.shutdown.signal.aborted) return;
    this.started = true;
    signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.shutdown.abort();
    await this.current;
  }

  /** One fan-out and delivery pass; joins the running one rather than starting a second. */
  tick(): Promise<void> {
    this.current ??= this.runTick().finally(() => {
      this.current = undefined;
    });
    return this.current;
  }

  private schedule(ms: number): void {
    if (this.shutdown.signal.aborted) return;
    this.timer = setTimeout(() => {
      void this.tick().then(() => this.schedule(this.o.pollMs));
    }, ms);
    this.timer.unref();
  }

  private async runTick(): Promise<void> {
    try {
      await this.fanOut();
      if (!this.shutdown.signal.aborted) await this.deliverDue();
    } catch (err) {
      this.o.logger.error('webhook worker tick failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async fanOut(): Promise<void> {
    const { store } = this.o;
    const backlog = await store.listOrgsWithOutboxBacklog(WEBHOOK_CONSUMER);
    if (backlog.length === 0) return;
    // The operator's endpoints take the provider chain and every org's lifecycle events (provider-events.ts).
    const operator = (await store.listWebhooks(PROVIDER_SCOPE)).filter((e) => e.enabled);
    for (const orgId of backlog) {
      if (this.shutdown.signal.aborted) return;
      try {
        const endpoints = orgId === PROVIDER_SCOPE ? operator : [...(await store.listWebhooks(orgId)).filter((e) => e.enabled), ...operator];
        const cursor = await store.getOutboxCursor(orgId, WEBHOOK_CONSUMER);
        for await (const records of batchesAfter((c) => store.listOutbox(orgId, c), cursor, this.o.batchSize)) {
          for (const rec of records) {
            for (const ep of endpoints) if (this.wants(ep, rec)) await this.enqueue(ep, rec);
          }
          await store.setOutboxCursor(orgId, WEBHOOK_CONSUMER, records.at(-1)!.seq);
          if (this.shutdown.signal.aborted) break;
        }
      } catch (err) {
        this.o.logger.error('webhook fan-out failed', { orgId, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  /** Matches the filter, and happened after the endpoint was registered (no replay of history); an operator's endpoint takes only what reaches it. */
  private wants(ep: WebhookEndpoint, rec: OutboxRecord): boolean {
    if (ep.orgId === PROVIDER_SCOPE && !reachesOperator(rec)) return false;
    return rec.createdAt >= ep.createdAt && eventMatches(ep.events, rec.type);
  }

  private async enqueue(ep: WebhookEndpoint, rec: OutboxRecord): Promise<void> {
    const id = `${ep.id}:${rec.id}`;
    // A repeated fan-out (after a crash) must not reset a delivery that already progressed.
    if (await this.o.store.getDelivery(ep.orgId, id)) return;
    const at = this.o.clock.now().toISOString();
    await this.o.store.saveDelivery({
      id,
      orgId: ep.orgId,
      endpointId: ep.id,
      outboxId: rec.id,
      outboxSeq: rec.seq,
      eventType: rec.type,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: at,
      // An org's event for the operator: its body is kept, as the org's outbox may be purged before the last retry.
      ...(rec.orgId !== ep.orgId ? { event: { type: rec.type, time: rec.createdAt, orgId: rec.orgId, data: rec.payload } } : {}),
      createdAt: at,
      updatedAt: at,
    });
  }

  private async deliverDue(): Promise<void> {
    const due = await this.o.store.listDueDeliveries(this.o.clock.now().toISOString(), this.o.batchSize);
    await Promise.all(
      due.map((d) =>
        this.attempt(d).catch((err: unknown) => {
          this.o.logger.error('webhook delivery attempt failed', { deliveryId: d.id, orgId: d.orgId, error: err instanceof Error ? err.message : String(err) });
        }),
      ),
    );
  }

  private async attempt(d: WebhookDelivery): Promise<void> {
    const { store, logger } = this.o;
    // Every replica sees the same due deliveries; a lease per delivery and attempt number lets
    // exactly one of them send it (the lease outlives the request timeout).
    if (!(await store.tryAcquireLease(`webhook:${d.id}:${d.attempts}`, this.o.holder, this.o.timeoutMs * 3))) return;
    const ep = await store.getWebhook(d.orgId, d.endpointId);
    if (!ep || !ep.enabled) return this.finish(d, 'failed', { lastError: ep ? 'endpoint disabled' : 'endpoint deleted' });
    const event = d.event ? { id: d.outboxId, ...d.event } : await this.record(d).then((r) => r && { id: r.id, type: r.type, time: r.createdAt, orgId: r.orgId, data: r.payload });
    if (!event) return this.finish(d, 'failed', { lastError: 'event no longer in the outbox' });

    const now = this.o.clock.now();
    const result = await sendWebhook(
      ep.url,
      this.o.box.open(ep.secretCiphertext),
      event,
      { fetch: this.o.fetch, timeoutMs: this.o.timeoutMs, timestamp: Math.floor(now.getTime() / 1000), deliveryId: d.id, signal: this.shutdown.signal, ...this.destination() },
    );
    if (result.aborted) return; // shutdown: not an attempt; still pending, retried after restart

    const attempts = d.attempts + 1;
    const last = { attempts, lastAttemptAt: now.toISOString(), ...(result.statusCode !== undefined ? { lastStatusCode: result.statusCode } : {}) };
    const fields = { deliveryId: d.id, orgId: d.orgId, endpointId: d.endpointId, eventType: d.eventType, attempts, statusCode: result.statusCode, durationMs: result.durationMs };
    if (result.ok) {
      logger.info('webhook delivered', fields);
      return this.finish(d, 'delivered', last);
    }
    if (attempts >= this.o.maxAttempts) {
      logger.warn('webhook delivery failed for good', { ...fields, error: result.error });
      return this.finish(d, 'failed', { ...last, lastError: result.error ?? 'failed' });
    }
    const delay = backoffDelayMs(attempts, { baseMs: this.o.retryBaseMs, maxMs: this.o.retryMaxMs }, this.o.random);
    const nextAttemptAt = new Date(now.getTime() + delay).toISOString();
    logger.warn('webhook delivery will be retried', { ...fields, error: result.error, nextAttemptAt });
    this.o.onOutcome?.('retrying');
    await store.saveDelivery({ ...d, ...last, status: 'pending', nextAttemptAt, lastError: result.error ?? 'failed', updatedAt: now.toISOString() });
  }

  private destination() {
    return { allowPrivateNetworks: this.o.allowPrivateNetworks, ...(this.o.lookup ? { lookup: this.o.lookup } : {}) };
  }

  private async finish(d: WebhookDelivery, status: 'delivered' | 'failed', change: Partial<WebhookDelivery>): Promise<void> {
    const { nextAttemptAt: _due, lastError: _err, ...rest } = d;
    const at = this.o.clock.now().toISOString();
    this.o.onOutcome?.(status);
    if (status === 'failed' && change.attempts === undefined) this.o.logger.warn('webhook delivery dropped', { deliveryId: d.id, orgId: d.orgId, reason: change.lastError });
    await this.o.store.saveDelivery({ ...rest, ...change, status, updatedAt: at });
  }

  /** The delivery's outbox record, by its seq when known (else a scan of the org's outbox). */
  private async record(d: WebhookDelivery): Promise<OutboxRecord | undefined> {
    const { store } = this.o;
    if (d.outboxSeq !== undefined) {
      const [rec] = await store.listOutbox(d.orgId, { afterSeq: d.outboxSeq - 1, limit: 1 });
      if (rec?.id === d.outboxId) return rec;
    }
    for await (const batch of batchesAfter((c) => store.listOutbox(d.orgId, c), 0, 500)) {
      const hit = batch.find((r) => r.id === d.outboxId);
      if (hit) return hit;
    }
    return undefined;
  }
}
