import { createTask, type ScheduledTask } from 'node-cron';
import type { DirectoryConnection } from '../domain/model.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { TickOutcome, TickRunner } from './tick-runner.js';

export interface SchedulerOptions {
  store: Store;
  logger: Logger;
  /** How a tick runs: in process (SQLite mode) or as a BullMQ job (Redis mode). */
  runner: TickRunner;
  /** How often the set of connections and their schedules is re-read (the CLI may change them). */
  resyncMs: number;
}

interface Entry {
  schedule: string;
  task: ScheduledTask;
}

/**
 * Fires each enabled connection's reconcile on its cron schedule; the runner decides how a tick runs
 * (single-flight per connection, per-run timeout and abort, failure backoff, one replica per tick).
 * `stop()` ends the cron tasks first, then stops the runner (in-flight runs aborted and awaited).
 */
export class ReconcileScheduler {
  private readonly entries = new Map<string, Entry>();
  private resyncTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private resyncing: Promise<void> | undefined;

  constructor(private readonly opts: SchedulerOptions) {}

  get runner(): TickRunner {
    return this.opts.runner;
  }

  async start(): Promise<void> {
    await this.opts.runner.start();
    await this.resync();
    this.resyncTimer = setInterval(() => void this.resync(), this.opts.resyncMs);
    this.resyncTimer.unref();
  }

  /**
   * Brings the cron tasks in line with the stored connections. Errors (a store outage) are logged
   * and retried next time. One at a time: a slow store must not let two resyncs both create a task
   * for the same connection (the first would run on, unreachable by stop()).
   */
  resync(): Promise<void> {
    this.resyncing ??= this.syncTasks().finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async syncTasks(): Promise<void> {
    if (this.stopped) return;
    let conns: DirectoryConnection[];
    try {
      conns = await this.opts.store.listConnections();
    } catch (err) {
      this.opts.logger.warn('scheduler could not read connections; retrying at the next resync', { error: (err as Error).message });
      return;
    }
    if (this.stopped) return;
    const wanted = new Map(conns.filter((c) => c.enabled).map((c) => [c.id, c.schedule]));
    for (const [id, e] of this.entries) {
      if (wanted.get(id) !== e.schedule) {
        await e.task.destroy();
        this.entries.delete(id);
      }
    }
    for (const [id, schedule] of wanted) {
      if (this.entries.has(id) || this.stopped) continue;
      const task = createTask(schedule, (ctx) => this.tick(id, ctx.date), { name: `reconcile:${id}`, noOverlap: true });
      task.unref();
      await task.start();
      // stop() may have run while the task started: it must not outlive the scheduler.
      if (this.stopped) await task.destroy();
      else this.entries.set(id, { schedule, task });
    }
  }

  /** One scheduled firing. Replicas fire the same tick within the same second: the tick is that second. */
  async tick(connectionId: string, at: Date): Promise<TickOutcome> {
    if (this.stopped) return 'stopped';
    return this.opts.runner.fire(connectionId, new Date(Math.floor(at.getTime() / 1000) * 1000));
  }

  /** A run now, outside the schedule (missed notifications), through the runner like a tick. */
  async runNow(connectionId: string, trigger: 'notification'): Promise<TickOutcome> {
    if (this.stopped) return 'stopped';
    return this.opts.runner.fire(connectionId, new Date(Math.floor(Date.now() / 1000) * 1000), trigger);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.resyncTimer) clearInterval(this.resyncTimer);
    await this.resyncing;
    for (const e of this.entries.values()) await e.task.destroy();
    this.entries.clear();
    await this.opts.runner.stop();
  }

  /** Connection ids with a cron task (for tests and /metrics). */
  scheduled(): string[] {
    return [...this.entries.keys()];
  }
}
