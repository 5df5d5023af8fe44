import { createTask, type ScheduledTask } from 'node-cron';
import type { DirectoryConnection } from '../domain/model.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { ReconcileService } from '../services/reconcile/service.js';

export interface SchedulerOptions {
  store: Store;
  reconcile: Pick<ReconcileService, 'run'>;
  logger: Logger;
  /** This replica's name in leases. */
  holder: string;
  /** How often the set of connections and their schedules is re-read (the CLI may change them). */
  resyncMs: number;
  /** A run that takes longer is aborted (its listing is then incomplete: nobody is deactivated). */
  runTimeoutMs: number;
  /** After a failed run, further ticks wait min(base · 2^(failures-1), 1 h). */
  failureBackoffMs: number;
  now?: () => number;
}

interface Entry {
  schedule: string;
  task: ScheduledTask;
}

const MAX_BACKOFF_MS = 60 * 60 * 1000;
const LEASE_MS = 5 * 60 * 1000;

/**
 * Fires each enabled connection's reconcile on its cron schedule. Runs are single-flight per
 * connection in this process, and a store lease per connection and tick makes exactly one replica
 * run each tick. Failures back off per connection. Every runnable stops on `stop()`: no new ticks,
 * in-flight runs aborted and awaited.
 */
export class ReconcileScheduler {
  private readonly entries = new Map<string, Entry>();
  private readonly running = new Map<string, { done: Promise<void>; abort: AbortController }>();
  private readonly failures = new Map<string, { count: number; until: number }>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly opts: SchedulerOptions) {
    this.now = opts.now ?? (() => Date.now());
  }

  async start(): Promise<void> {
    await this.resync();
    this.resyncTimer = setInterval(() => void this.resync(), this.opts.resyncMs);
    this.resyncTimer.unref();
  }

  /** Brings the cron tasks in line with the stored connections. Errors (a store outage) are logged and retried next time. */
  async resync(): Promise<void> {
    if (this.stopped) return;
    let conns: DirectoryConnection[];
    try {
      conns = await this.opts.store.listConnections();
    } catch (err) {
      this.opts.logger.warn('scheduler could not read connections; retrying at the next resync', { error: (err as Error).message });
      return;
    }
    const wanted = new Map(conns.filter((c) => c.enabled).map((c) => [c.id, c.schedule]));
    for (const [id, e] of this.entries) {
      if (wanted.get(id) !== e.schedule) {
        await e.task.destroy();
        this.entries.delete(id);
      }
    }
    for (const [id, schedule] of wanted) {
      if (this.entries.has(id)) continue;
      const task = createTask(schedule, (ctx) => this.tick(id, ctx.date), { name: `reconcile:${id}`, noOverlap: true });
      task.unref();
      await task.start();
      this.entries.set(id, { schedule, task });
    }
  }

  /** One scheduled firing. Returns what happened, for logs and tests. */
  async tick(connectionId: string, at: Date): Promise<'ran' | 'busy' | 'backoff' | 'other-replica' | 'stopped' | 'error'> {
    if (this.stopped) return 'stopped';
    if (this.running.has(connectionId)) {
      this.opts.logger.info('reconcile still running; skipping this tick', { connectionId });
      return 'busy';
    }
    const f = this.failures.get(connectionId);
    if (f && f.until > this.now()) return 'backoff';
    const log = this.opts.logger.child({ connectionId });
    // Replicas fire the same tick within the same second; the lease is per connection and tick.
    const tick = new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString();
    try {
      if (!(await this.opts.store.tryAcquireLease(`reconcile:${connectionId}:${tick}`, this.opts.holder, LEASE_MS))) return 'other-replica';
    } catch (err) {
      log.warn('could not take the reconcile lease; skipping this tick', { error: (err as Error).message });
      return 'error';
    }
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(new Error(`reconcile run exceeded ${this.opts.runTimeoutMs} ms`)), this.opts.runTimeoutMs);
    timer.unref();
    let outcome: 'ran' | 'error' = 'ran';
    const done = (async () => {
      try {
        const summary = await this.opts.reconcile.run(connectionId, { trigger: 'schedule', signal: abort.signal });
        if (summary.status === 'failed') this.fail(connectionId, log);
        else this.failures.delete(connectionId);
      } catch (err) {
        outcome = 'error';
        log.error('scheduled reconcile failed', { error: (err as Error).message });
        this.fail(connectionId, log);
      } finally {
        clearTimeout(timer);
      }
    })();
    this.running.set(connectionId, { done, abort });
    try {
      await done;
    } finally {
      this.running.delete(connectionId);
    }
    return outcome;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    for (const e of this.entries.values()) await e.task.destroy();
    this.entries.clear();
    for (const r of this.running.values()) r.abort.abort(new Error('shutting down'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /** Connection ids with a cron task (for tests and /metrics). */
  scheduled(): string[] {
    return [...this.entries.keys()];
  }

  private fail(connectionId: string, log: Logger): void {
    const count = (this.failures.get(connectionId)?.count ?? 0) + 1;
    const wait = Math.min(this.opts.failureBackoffMs * 2 ** (count - 1), MAX_BACKOFF_MS);
    this.failures.set(connectionId, { count, until: this.now() + wait });
    log.warn('reconcile failing; backing off', { failures: count, retryInMs: wait });
  }
}
