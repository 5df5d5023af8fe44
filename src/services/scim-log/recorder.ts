import type { ScimLogEntry } from '../../domain/scim-log.js';
import type { Logger } from '../../ports/logger.js';
import type { ScimLogStore } from '../../ports/store.js';

export interface ScimLogRecorderOptions<R> {
  store: ScimLogStore;
  logger: Logger;
  /**
   * The entry a recorded item stands for, made when its batch is written (a thousand in one pass
   * cost less than one at a time amid each request's own work). Without it, items are entries.
   * One that throws is left out of the log (logged), the rest of its batch is written.
   */
  entryOf?: (item: R) => ScimLogEntry;
  /** A flush runs at least this often while entries wait. Default 1000 ms. */
  flushMs?: number;
  /**
   * Entries per store call; a full batch is flushed without waiting for the timer. Default 1000: a
   * store's cost is largely per batch (SQLite: a page row, its index updates and WAL frames, a
   * message to its writer thread; Redis and PostgreSQL: a round trip). bench/scim-log-cost.mjs:
   * 2.9 µs of CPU per entry at 1000 against 3.7 at 100. Making a batch's entries and its SQLite
   * page on the event loop takes ~2 ms at this size; the drain yields to I/O between batches.
   */
  batchSize?: number;
  /** Entries held while the store cannot take them; past it the oldest are dropped (counted). Default 20,000. */
  maxBuffered?: number;
  /** Told how many entries a failed flush held back (a metric). */
  onFlushFailed?: (entries: number) => void;
  /** Told how many entries were dropped because the buffer was full (a metric). */
  onDropped?: (entries: number) => void;
  /** Each org's bound (scim.requestLogMaxPerOrg), passed on with every batch: a store in memory trims as it appends. */
  maxPerOrg?: number;
}

/**
 * Takes SCIM log entries off the request path: record() only pushes onto an in-memory buffer, and
 * batches go to the store asynchronously, each item made into its entry then (entryOf). A flush
 * that fails keeps its items for the next one (bounded by maxBuffered), is counted, and is logged
 * once per outage: the request that produced an entry has long been answered and never learns of
 * it. stop() flushes what is left.
 */
export class ScimLogRecorder<R = ScimLogEntry> {
  private buffer: R[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failing = false;
  private stopped = false;
  /** Entries dropped from the buffer's front while the current batch was being written. */
  private droppedInFlight = 0;
  private readonly flushMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly entryOf: (item: R) => ScimLogEntry;

  constructor(private readonly opts: ScimLogRecorderOptions<R>) {
    this.flushMs = opts.flushMs ?? 1000;
    this.batchSize = opts.batchSize ?? 1000;
    this.maxBuffered = opts.maxBuffered ?? 20_000;
    // Without entryOf the items are entries (R defaults to ScimLogEntry).
    this.entryOf = opts.entryOf ?? ((item) => item as unknown as ScimLogEntry);
  }

  /** Entries waiting for a flush. */
  get pending(): number {
    return this.buffer.length;
  }

  record(item: R): void {
    this.buffer.push(item);
    if (this.buffer.length > this.maxBuffered) this.drop(this.buffer.length - this.maxBuffered);
    if (this.stopped) return;
    if (this.buffer.length >= this.batchSize && !this.flushing) {
      // Outside the request's own tick: the answer is already sent, the flush is nobody's latency.
      setImmediate(() => void this.flush());
    } else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        void this.flush();
      }, this.flushMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered, batch by batch; one flush at a time. Never throws. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Stops the timer and flushes what is buffered (shutdown). Entries still refused by the store are reported and dropped. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
    await this.flush();
    if (this.buffer.length > 0) {
      this.opts.logger.warn('SCIM request log entries lost at shutdown: the store did not take them', { entries: this.buffer.length });
      this.drop(this.buffer.length);
    }
  }

  private async drain(): Promise<void> {
    for (let first = true; this.buffer.length > 0; first = false) {
      // Between batches, requests waiting on sockets go first (a resolved await would not let them).
      if (!first) await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.buffer.slice(0, this.batchSize);
      this.droppedInFlight = 0;
      try {
        await this.opts.store.appendScimLog(this.entriesOf(batch), this.opts.maxPerOrg === undefined ? undefined : { maxPerOrg: this.opts.maxPerOrg });
      } catch (err) {
        this.opts.onFlushFailed?.(batch.length);
        if (!this.failing) {
          this.failing = true;
          this.opts.logger.warn('SCIM request log cannot be written; holding entries and retrying (SCIM requests are unaffected)', { entries: this.buffer.length, error: (err as Error).message });
        }
        this.retryLater();
        return;
      }
      // The batch is written; entries dropped meanwhile were the oldest, so they came off its front.
      this.buffer.splice(0, Math.max(0, batch.length - this.droppedInFlight));
      if (this.failing) {
        this.failing = false;
        this.opts.logger.info('SCIM request log is written again');
      }
    }
  }

  private entriesOf(batch: readonly R[]): ScimLogEntry[] {
    const entries: ScimLogEntry[] = [];
    let failed: unknown;
    for (const item of batch) {
      try {
        entries.push(this.entryOf(item));
      } catch (err) {
        failed ??= err;
      }
    }
    if (failed !== undefined) this.opts.logger.warn('SCIM request log entries could not be built; they are left out', { entries: batch.length - entries.length, error: (failed as Error).message });
    return entries;
  }

  private retryLater(): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs);
    this.timer.unref();
  }

  private drop(n: number): void {
    this.buffer.splice(0, n);
    this.droppedInFlight += n;
    this.opts.onDropped?.(n);
  }
}
