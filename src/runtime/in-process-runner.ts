import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { runScheduled, waitsForAdmin, type RunTrigger, type ScheduledRunDeps, type TickOutcome, type TickRunner } from './tick-runner.js';

export interface InProcessRunnerOptions {
  store: Store;
  logger: Logger;
  /** This replica's name in leases. */
  holder: string;
  run: ScheduledRunDeps;
  clock?: Clock;
}

const LEASE_MS = 5 * 60 * 1000;

/**
 * Runs ticks in this process (SQLite mode). Single-flight per connection in this process; a store
 * lease per connection and tick makes exactly one replica run each tick.
 */
export class InProcessTickRunner implements TickRunner {
  readonly kind = 'in-process';
  private readonly running = new Map<string, { done: Promise<unknown>; abort: AbortController }>();
  private stopped = false;
  private readonly clock: Clock;

  constructor(private readonly opts: InProcessRunnerOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  async fire(connectionId: string, tick: Date, trigger: RunTrigger = 'schedule'): Promise<TickOutcome> {
    if (this.stopped) return 'stopped';
    if (this.running.has(connectionId)) {
      this.opts.logger.info('reconcile still running; skipping this tick', { connectionId });
      return 'busy';
    }
    // The slot is taken before the first await: a second fire (a tick, or a `missed` notification's
    // run) arriving while this one reads the backoff, the connection or the lease is `busy`.
    const abort = new AbortController();
    let settle!: (outcome: TickOutcome) => void;
    const done = new Promise<TickOutcome>((resolve) => (settle = resolve));
    this.running.set(connectionId, { done, abort });
    try {
      const outcome = await this.admitAndRun(connectionId, tick, trigger, abort.signal);
      settle(outcome);
      return outcome;
    } catch (err) {
      settle('error');
      throw err;
    } finally {
      this.running.delete(connectionId);
    }
  }

  private async admitAndRun(connectionId: string, tick: Date, trigger: RunTrigger, signal: AbortSignal): Promise<TickOutcome> {
    const log = this.opts.logger.child({ connectionId });
    try {
      if ((await this.opts.run.backoff.until(connectionId)) > this.clock.now().getTime()) return 'backoff';
      if (await waitsForAdmin(this.opts.store, connectionId)) {
        log.debug('connection needs an admin (its last run failed terminally); skipping this tick');
        return 'action-required';
      }
      if (!(await this.opts.store.tryAcquireLease(`reconcile:${connectionId}:${tick.toISOString()}`, this.opts.holder, LEASE_MS))) return 'other-replica';
    } catch (err) {
      log.warn('could not read the connection or take the reconcile lease; skipping this tick', { error: (err as Error).message });
      return 'error';
    }
    if (signal.aborted) return 'stopped';
    return runScheduled(this.opts.run, connectionId, log, signal, trigger);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const r of this.running.values()) r.abort.abort(new Error('shutting down'));
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }
}
