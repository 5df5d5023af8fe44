import { Queue, Worker, type Job } from 'bullmq';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { RedisStoreConfig } from '../store/redis/index.js';
import { bullPrefix, createBullConnections, reconcileJobId, RECONCILE_QUEUE, RedisBackoff, type BullRedis } from './bullmq-redis.js';
import { runScheduled, waitsForAdmin, type RunTrigger, type ScheduledRunDeps, type TickOutcome, type TickRunner } from './tick-runner.js';

export interface BullmqRunnerOptions {
  store: Store;
  logger: Logger;
  redis: RedisStoreConfig;
  run: Omit<ScheduledRunDeps, 'backoff'>;
  /** After a failed run, later ticks of that connection wait min(base · 2^(failures-1), 1 h). */
  failureBackoffMs: number;
  /** This replica's name (the worker name stored on the jobs it takes). */
  holder: string;
  /** Runs of different connections this replica works on at once. Default 4. */
  concurrency?: number;
  /** A worker that stops renewing its job lock this long is presumed dead. Default 30 s. */
  lockDurationMs?: number;
  /** How often workers look for such stalled jobs to run them again. Default 30 s. */
  stalledIntervalMs?: number;
  clock?: Clock;
}

export interface ReconcileJobData {
  connectionId: string;
  /** The tick, ISO 8601 in whole seconds. */
  tick: string;
  /** Absent for cron ticks. */
  trigger?: RunTrigger;
}

/** Finished jobs are kept an hour (at most 1000), long enough that a late replica's add of the same tick is still a duplicate. */
const KEEP_COMPLETED = { age: 60 * 60, count: 1000 };
const KEEP_FAILED = { age: 24 * 60 * 60, count: 1000 };
/** The single-flight lease outlives the run's timeout by this much (the run is aborted at the timeout). */
const LEASE_MARGIN_MS = 60_000;
const TIMED_OUT = Symbol('timed out');

/** Cuts a queue's or worker's own Redis connections (the ioredis clients BullMQ made), without waiting for Redis. */
async function hangUp(q: Queue<ReconcileJobData, TickOutcome> | Worker<ReconcileJobData, TickOutcome>): Promise<void> {
  const backend = q.getBackend();
  for (const client of [await backend.client, await backend.blockingClient]) client?.disconnect();
}

/** How long shutdown waits for BullMQ to close cleanly before it disconnects (Redis may be away). */
const CLOSE_TIMEOUT_MS = 3000;

/**
 * Redis mode: every replica's cron tick adds a job with a deterministic id per connection and tick,
 * so N replicas firing one tick make one job, and a BullMQ worker on every replica runs it.
 * - Single-flight across replicas: a store lease `reconcile-running:{connectionId}` held by the job
 *   (TTL run timeout + margin, released at the end); a job finding it held by another job is skipped
 *   and logged, not queued up behind it. The holder is the job id, so the same job picked up again
 *   after its replica died takes the lease over at once.
 * - A replica dying mid-run: its job lock expires, BullMQ's stalled check moves the job back to
 *   waiting once and another worker runs it again. That is safe: a run re-plans from a fresh listing.
 *   A worker that loses its lock (another one may have the job now) aborts its run.
 * - Failure backoff is kept in Redis (RedisBackoff), so it holds whichever replica runs the next job.
 *   A terminal failure (credentials refused, …) is kept in the store as the connection's health
 *   (`action_required`), which every replica reads before it runs a tick.
 * - A Redis outage is logged once and waited out: ticks are skipped while the queue is unreachable,
 *   the worker reconnects by itself.
 */
export class BullmqTickRunner implements TickRunner {
  readonly kind = 'bullmq';
  private readonly prefix: string;
  private readonly log: Logger;
  private connections: { producer: BullRedis; consumer: BullRedis } | undefined;
  private queue: Queue<ReconcileJobData, TickOutcome> | undefined;
  private worker: Worker<ReconcileJobData, TickOutcome> | undefined;
  private backoff: RedisBackoff | undefined;
  /** Runs this worker is executing, by job id: aborted on shutdown or when the job's lock is lost. */
  private readonly active = new Map<string, { abort: AbortController; done: Promise<unknown> }>();
  private stopping: Promise<void> | undefined;
  private down = false;

  constructor(private readonly opts: BullmqRunnerOptions) {
    this.prefix = bullPrefix(opts.redis.keyPrefix);
    this.log = opts.logger;
  }

  /** Whether the queue's Redis connection is up now (a tick fired while it is not is skipped as 'error'). */
  get connected(): boolean {
    return this.connections?.producer.status === 'ready';
  }

  /** Does not wait for Redis: a daemon starts while Redis is away, and the worker starts work when it is back. */
  start(): Promise<void> {
    if (this.queue) return Promise.resolve();
    const connections = createBullConnections(this.opts.redis, () => this.stopping !== undefined);
    this.connections = connections;
    connections.producer.on('error', (err: Error) => this.outage(err));
    connections.consumer.on('error', (err: Error) => this.outage(err));
    connections.producer.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.log.info('redis connection restored; scheduled reconciles resume');
    });
    this.backoff = new RedisBackoff(connections.producer, this.prefix, this.opts.failureBackoffMs, this.opts.clock ?? systemClock);
    this.queue = new Queue<ReconcileJobData, TickOutcome>(RECONCILE_QUEUE, {
      connection: connections.producer,
      prefix: this.prefix,
      defaultJobOptions: { attempts: 1, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    });
    this.queue.on('error', (err: Error) => this.failure('queue', err));
    const worker = new Worker<ReconcileJobData, TickOutcome>(RECONCILE_QUEUE, (job, _token, signal) => this.process(job, signal), {
      connection: connections.consumer,
      prefix: this.prefix,
      name: this.opts.holder,
      concurrency: this.opts.concurrency ?? 4,
      lockDuration: this.opts.lockDurationMs ?? 30_000,
      stalledInterval: this.opts.stalledIntervalMs ?? 30_000,
      maxStalledCount: 1,
      removeOnComplete: KEEP_COMPLETED,
      removeOnFail: KEEP_FAILED,
    });
    worker.on('error', (err: Error) => this.failure('worker', err));
    worker.on('stalled', (jobId: string) => this.log.warn('a scheduled reconcile job stalled (its worker stopped); running it again', { jobId }));
    worker.on('lockRenewalFailed', (jobIds: string[]) => {
      for (const id of jobIds) {
        this.log.warn('lost the lock of a scheduled reconcile job; aborting its run', { jobId: id });
        this.active.get(id)?.abort.abort(new Error('the job lock was lost'));
      }
    });
    worker.on('failed', (job: Job<ReconcileJobData, TickOutcome> | undefined, err: Error) =>
      this.log.warn('scheduled reconcile job failed', { jobId: job?.id, connectionId: job?.data.connectionId, error: err.message }),
    );
    this.worker = worker;
    return Promise.resolve();
  }

  async fire(connectionId: string, tick: Date, trigger: RunTrigger = 'schedule'): Promise<TickOutcome> {
    const queue = this.queue;
    if (this.stopping || !queue) return 'stopped';
    if (this.connections?.producer.status !== 'ready') {
      this.outage(new Error(`redis connection is ${this.connections?.producer.status ?? 'closed'}`));
      return 'error';
    }
    const jobId = reconcileJobId(connectionId, tick);
    try {
      await queue.add(RECONCILE_QUEUE, { connectionId, tick: tick.toISOString(), ...(trigger !== 'schedule' ? { trigger } : {}) }, { jobId });
      this.log.debug('scheduled reconcile queued', { connectionId, jobId });
      return 'queued';
    } catch (err) {
      this.log.warn('could not queue the scheduled reconcile; skipping this tick', { connectionId, jobId, error: (err as Error).message });
      return 'error';
    }
  }

  /** The worker's processor: one tick of one connection, on whichever replica took the job. */
  private async process(job: Job<ReconcileJobData, TickOutcome>, signal?: AbortSignal): Promise<TickOutcome> {
    const { connectionId, tick, trigger } = job.data;
    const jobId = job.id ?? reconcileJobId(connectionId, new Date(tick));
    const log = this.log.child({ connectionId, jobId, tick });
    if (this.stopping) return 'stopped';
    const backoff = this.backoff!;
    if ((await backoff.until(connectionId)) > (this.opts.clock ?? systemClock).now().getTime()) {
      log.debug('reconcile failing; this tick waits out the backoff');
      return 'backoff';
    }
    if (await waitsForAdmin(this.opts.store, connectionId)) {
      log.debug('connection needs an admin (its last run failed terminally); skipping this tick');
      return 'action-required';
    }
    const lease = `reconcile-running:${connectionId}`;
    if (!(await this.opts.store.tryAcquireLease(lease, jobId, this.opts.run.runTimeoutMs + LEASE_MARGIN_MS))) {
      log.info('reconcile still running (an earlier tick); skipping this tick');
      return 'busy';
    }
    if (job.stalledCounter > 0) log.warn('running a tick again: the worker that had it stopped mid-run', { stalled: job.stalledCounter });
    const stop = new AbortController();
    const onSignal = () => stop.abort(signal?.reason);
    signal?.addEventListener('abort', onSignal, { once: true });
    const done = runScheduled({ ...this.opts.run, backoff }, connectionId, log, stop.signal, trigger ?? 'schedule');
    this.active.set(jobId, { abort: stop, done });
    if (this.stopping) stop.abort(new Error('shutting down'));
    try {
      return await done;
    } finally {
      this.active.delete(jobId);
      signal?.removeEventListener('abort', onSignal);
      // Released by taking it again for a millisecond (same holder); if that fails, it expires.
      await this.opts.store.tryAcquireLease(lease, jobId, 1).catch((err: unknown) => log.warn('could not release the reconcile lease', { error: (err as Error).message }));
    }
  }

  /**
   * Stops taking jobs, aborts the runs in flight and awaits them, closes the worker and the queue
   * (bounded: with Redis away BullMQ would wait for it to come back) and the connections.
   */
  stop(): Promise<void> {
    return (this.stopping ??= (async () => {
      const runs = [...this.active.values()];
      for (const r of runs) r.abort.abort(new Error('shutting down'));
      await Promise.allSettled(runs.map((r) => r.done));
      const { worker, queue } = this;
      // With Redis away a clean close would wait for it (the runs are over: a job left active is
      // picked up again by the stalled check), so the worker is then closed by force.
      const reachable = this.connections?.producer.status === 'ready';
      if (worker) await this.closeBounded('worker', () => worker.close(!reachable), () => hangUp(worker));
      if (queue) await this.closeBounded('queue', () => queue.close(), () => hangUp(queue));
      for (const c of [this.connections?.producer, this.connections?.consumer]) c?.disconnect();
    })());
  }

  /**
   * BullMQ's close waits for Redis (QUIT, and commands queued while it is away); after
   * CLOSE_TIMEOUT_MS the connections are cut instead, which fails whatever still waits.
   */
  private async closeBounded(what: string, close: () => Promise<void>, force: () => Promise<void>): Promise<void> {
    const within = async (p: Promise<unknown>): Promise<unknown> => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve(TIMED_OUT), CLOSE_TIMEOUT_MS)));
      try {
        return await Promise.race([p.then(() => undefined, (err: unknown) => err), timeout]);
      } finally {
        clearTimeout(timer);
      }
    };
    const result = await within(close());
    if (result === undefined) return;
    this.log.warn(`could not close the reconcile ${what} cleanly; disconnecting`, { error: result === TIMED_OUT ? `no answer within ${CLOSE_TIMEOUT_MS} ms` : (result as Error).message });
    await within(force());
  }

  /** BullMQ's error events: an outage while Redis is unreachable (logged once), otherwise a warning. */
  private failure(what: 'queue' | 'worker', err: Error): void {
    if (this.down || this.connections?.producer.status !== 'ready') this.outage(err);
    else if (!this.stopping) this.log.warn(`reconcile ${what} error`, { error: err.message });
  }

  /** Logs a Redis outage once; `ready` on the producer connection ends it. */
  private outage(err: Error): void {
    if (this.down || this.stopping) return;
    this.down = true;
    this.log.warn('redis unavailable for scheduled reconciles; ticks are skipped until it is back', { error: err.message });
  }
}
