import type { OutboxRecord } from '../../domain/model.js';
import { PUSH_METHOD, type QueuedSet, type SignalStream } from '../../domain/signals.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import { batchesAfter } from '../../ports/paging.js';
import type { Store } from '../../ports/store.js';
import type { SecretBox } from '../secret-box.js';
import type { LookupAll } from '../webhooks/destination.js';
import type { FetchLike } from '../webhooks/pinned-fetch.js';
import { backoffDelayMs } from '../webhooks/signing.js';
import type { SigningKeys } from './keys.js';
import { pushSet } from './push.js';
import { queueSet, setsForRecord, streamWants, type SetDraft } from './set.js';

/** The outbox consumer name of Shared Signals fan-out. */
export const SIGNALS_CONSUMER = 'signals';

export type SetOutcome = 'delivered' | 'retrying' | 'failed';

export interface SignalWorkerOptions {
  store: Store;
  clock: Clock;
  logger: Logger;
  keys: SigningKeys;
  /** Opens the streams' sealed authorization headers. */
  box: SecretBox;
  /** The `iss` of every SET (server.publicUrl). */
  issuer: string;
  fetch?: FetchLike;
  pollMs?: number;
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  batchSize?: number;
  timeoutMs?: number;
  random?: () => number;
  holder?: string;
  allowPrivateNetworks?: boolean;
  lookup?: LookupAll;
  onOutcome?: (streamId: string, outcome: SetOutcome) => void;
}

/**
 * Turns the outbox into signed SETs and pushes them, at least once (the WebhookWorker's design):
 * each tick (a) signs a SET per member change and stream that wants it and queues it, moving the
 * org's `signals` cursor only after, so a crash repeats the fan-out (same jti: the queue keeps one)
 * instead of losing it; (b) pushes the due SETs of push streams, one replica per attempt (a lease),
 * rescheduling failures with backoff until maxAttempts. Poll streams' SETs wait for the receiver.
 * A paused stream keeps its SETs until it is enabled again; a disabled one gets none.
 */
export class SignalWorker {
  private readonly o: Required<Omit<SignalWorkerOptions, 'onOutcome' | 'lookup'>> & Pick<SignalWorkerOptions, 'onOutcome' | 'lookup'>;
  private timer: NodeJS.Timeout | undefined;
  private current: Promise<void> | undefined;
  private readonly shutdown = new AbortController();
  private started = false;

  constructor(opts: SignalWorkerOptions) {
    this.o = {
      fetch: (u, i) => fetch(u, i),
      pollMs: 1000,
      maxAttempts: 8,
      retryBaseMs: 10_000,
      retryMaxMs: 3_600_000,
      batchSize: 100,
      timeoutMs: 10_000,
      random: Math.random,
      holder: `signal-worker:${process.pid}`,
      allowPrivateNetworks: false,
      ...opts,
    };
  }

  start(): void {
    if (this.started || this.shutdown.signal.aborted) return;
    this.started = true;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.shutdown.abort();
    await this.current;
  }

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
      if (!this.shutdown.signal.aborted) await this.pushDue();
    } catch (err) {
      this.o.logger.error('signal worker tick failed', { error: err instanceof Error ? err.message : String(err) });
    }
  }

  private async fanOut(): Promise<void> {
    const { store } = this.o;
    const backlog = await store.listOrgsWithOutboxBacklog(SIGNALS_CONSUMER);
    if (backlog.length === 0) return;
    const streams = (await store.listSignalStreams()).filter((s) => s.status !== 'disabled');
    for (const orgId of backlog) {
      if (this.shutdown.signal.aborted) return;
      try {
        const cursor = await store.getOutboxCursor(orgId, SIGNALS_CONSUMER);
        for await (const records of batchesAfter((c) => store.listOutbox(orgId, c), cursor, this.o.batchSize)) {
          for (const rec of records) await this.fanOutRecord(rec, streams);
          await store.setOutboxCursor(orgId, SIGNALS_CONSUMER, records.at(-1)!.seq);
          if (this.shutdown.signal.aborted) break;
        }
      } catch (err) {
        this.o.logger.error('signal fan-out failed', { orgId, error: err instanceof Error ? err.message : String(err) });
      }
    }
  }

  private async fanOutRecord(rec: OutboxRecord, streams: SignalStream[]): Promise<void> {
    const drafts = setsForRecord(rec);
    if (drafts.length === 0) return;
    for (const stream of streams) {
      // A stream gets the changes made from its creation on (no replay of history).
      if (rec.createdAt < stream.createdAt) continue;
      for (const d of drafts) if (streamWants(stream, d)) await this.enqueue(stream, d);
    }
  }

  private enqueue(stream: SignalStream, d: SetDraft): Promise<boolean> {
    return queueSet({ store: this.o.store, keys: this.o.keys, clock: this.o.clock, issuer: this.o.issuer }, stream, d);
  }

  private async pushDue(): Promise<void> {
    const due = await this.o.store.listDueSets(this.o.clock.now().toISOString(), this.o.batchSize);
    await Promise.all(
      due.map((s) =>
        this.attempt(s).catch((err: unknown) => {
          this.o.logger.error('SET push attempt failed', { streamId: s.streamId, jti: s.jti, error: err instanceof Error ? err.message : String(err) });
        }),
      ),
    );
  }

  private async attempt(s: QueuedSet): Promise<void> {
    const { store, logger } = this.o;
    if (!(await store.tryAcquireLease(`ssf:${s.streamId}:${s.jti}:${s.attempts}`, this.o.holder, this.o.timeoutMs * 3))) return;
    const stream = await store.getSignalStream(s.streamId);
    const now = this.o.clock.now();
    if (!stream) return void (await store.ackSets(s.streamId, [s.jti]));
    if (stream.delivery.method !== PUSH_METHOD) return store.saveSet({ ...withoutDue(s), updatedAt: now.toISOString() });
    if (stream.status === 'disabled') return this.finish(s, 'failed', { lastError: 'stream disabled' });
    if (stream.status === 'paused') {
      // Held, not attempted: looked at again a few ticks later, and sent once the stream is enabled.
      return store.saveSet({ ...s, nextAttemptAt: new Date(now.getTime() + this.o.pollMs * 5).toISOString(), updatedAt: now.toISOString() });
    }
    const authorization = stream.delivery.authorizationHeaderCiphertext ? this.o.box.open(stream.delivery.authorizationHeaderCiphertext) : undefined;
    const result = await pushSet(stream.delivery.endpointUrl, s.jwt, {
      fetch: this.o.fetch,
      timeoutMs: this.o.timeoutMs,
      signal: this.shutdown.signal,
      allowPrivateNetworks: this.o.allowPrivateNetworks,
      ...(authorization ? { authorization } : {}),
      ...(this.o.lookup ? { lookup: this.o.lookup } : {}),
    });
    if (result.aborted) return;
    const attempts = s.attempts + 1;
    const fields = { streamId: s.streamId, jti: s.jti, attempts, statusCode: result.statusCode };
    if (result.ok) {
      logger.info('SET delivered', fields);
      this.o.onOutcome?.(s.streamId, 'delivered');
      await store.ackSets(s.streamId, [s.jti]);
      return;
    }
    const last = { attempts, lastAttemptAt: now.toISOString(), ...(result.statusCode !== undefined ? { lastStatusCode: result.statusCode } : {}), lastError: result.error ?? 'failed' };
    if (result.rejected || attempts >= this.o.maxAttempts) {
      logger.warn('SET delivery failed for good', { ...fields, error: result.error });
      return this.finish(s, 'failed', last);
    }
    const delay = backoffDelayMs(attempts, { baseMs: this.o.retryBaseMs, maxMs: this.o.retryMaxMs }, this.o.random);
    const nextAttemptAt = new Date(now.getTime() + delay).toISOString();
    logger.warn('SET delivery will be retried', { ...fields, error: result.error, nextAttemptAt });
    this.o.onOutcome?.(s.streamId, 'retrying');
    await store.saveSet({ ...s, ...last, nextAttemptAt, updatedAt: now.toISOString() });
  }

  private async finish(s: QueuedSet, status: 'failed', change: Partial<QueuedSet>): Promise<void> {
    this.o.onOutcome?.(s.streamId, status);
    await this.o.store.saveSet({ ...withoutDue(s), ...change, status, updatedAt: this.o.clock.now().toISOString() });
  }
}

function withoutDue(s: QueuedSet): QueuedSet {
  const { nextAttemptAt: _due, ...rest } = s;
  return rest;
}
