import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { ReconcileService, RunSummary } from '../services/reconcile/service.js';

/**
 * What became of one cron firing of a connection (for logs and tests):
 * - `ran`: this process ran the reconcile (its summary may still say failed);
 * - `queued`: handed to the BullMQ queue (some replica's worker runs it);
 * - `busy`: a run of the connection is still going, so this tick is skipped, not queued up behind it;
 * - `backoff`: the connection failed recently (a retriable failure) and waits;
 * - `action-required`: the connection's last run failed terminally (credentials refused, a
 *   permission missing, an invalid config); it waits until the connection is updated or tested;
 * - `other-replica`: another replica took this tick;
 * - `stopped`: the scheduler is shutting down;
 * - `error`: the run threw, or the store/Redis could not be reached (logged).
 */
export type TickOutcome = 'ran' | 'queued' | 'busy' | 'backoff' | 'action-required' | 'other-replica' | 'stopped' | 'error';

/**
 * How a tick runs, behind the cron ("when to fire") part of the scheduler: in process with a store
 * lease per connection and tick (SQLite mode), or as a BullMQ job that any replica's worker runs
 * (Redis mode).
 */
export interface TickRunner {
  readonly kind: 'in-process' | 'bullmq';
  start(): Promise<void>;
  /**
   * One cron firing; `tick` is the scheduled time, whole seconds, identical on every replica. A run
   * outside the schedule (a Graph `missed` notification) fires with trigger `notification` and the
   * current second: it goes through the same single-flight, backoff and leases.
   */
  fire(connectionId: string, tick: Date, trigger?: RunTrigger): Promise<TickOutcome>;
  /** No new runs; in-flight runs aborted and awaited; connections closed. Idempotent. */
  stop(): Promise<void>;
}

/** Per-connection failure backoff: after a failed run, later ticks wait min(base · 2^(failures-1), 1 h). */
export interface FailureBackoff {
  /** Epoch milliseconds until which ticks of the connection wait (0 when they need not). */
  until(connectionId: string): Promise<number>;
  failed(connectionId: string): Promise<{ failures: number; retryInMs: number }>;
  succeeded(connectionId: string): Promise<void>;
}

/** Why a runner runs: the cron, or a directory saying notifications were missed. */
export type RunTrigger = 'schedule' | 'notification';

export const MAX_BACKOFF_MS = 60 * 60 * 1000;

export function backoffDelay(baseMs: number, failures: number): number {
  return Math.min(baseMs * 2 ** (failures - 1), MAX_BACKOFF_MS);
}

/** Backoff kept in this process (SQLite mode: one replica). */
export class MemoryBackoff implements FailureBackoff {
  private readonly failures = new Map<string, { count: number; until: number }>();
  constructor(
    private readonly baseMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  until(connectionId: string): Promise<number> {
    return Promise.resolve(this.failures.get(connectionId)?.until ?? 0);
  }

  failed(connectionId: string): Promise<{ failures: number; retryInMs: number }> {
    const failures = (this.failures.get(connectionId)?.count ?? 0) + 1;
    const retryInMs = backoffDelay(this.baseMs, failures);
    this.failures.set(connectionId, { count: failures, until: this.clock.now().getTime() + retryInMs });
    return Promise.resolve({ failures, retryInMs });
  }

  succeeded(connectionId: string): Promise<void> {
    this.failures.delete(connectionId);
    return Promise.resolve();
  }
}

/**
 * Whether the connection waits for an admin: its last run failed terminally. Read from the store
 * (the connection's health), so every replica and a restarted daemon agree, and an update or a
 * successful test through the connection service releases it.
 */
export async function waitsForAdmin(store: Pick<Store, 'getConnection'>, connectionId: string): Promise<boolean> {
  return (await store.getConnection(connectionId))?.health === 'action_required';
}

/**
 * How the scheduler books a run: `terminal` stops scheduled runs (the connection says what to fix);
 * `retry` backs off (a failed run, or a listing an upstream failure cut short); `ok` clears the
 * backoff. A run cut short by our own shutdown is no reason to wait.
 */
export function bookingOf(summary: RunSummary, stopped: boolean): 'terminal' | 'retry' | 'ok' {
  if (summary.failure?.class === 'terminal') return 'terminal';
  if (summary.status === 'failed') return 'retry';
  if (summary.status === 'incomplete' && summary.failure && !stopped) return 'retry';
  return 'ok';
}

export interface ScheduledRunDeps {
  reconcile: Pick<ReconcileService, 'run'>;
  /** A run that takes longer is aborted (its listing is then incomplete: nobody is deactivated). */
  runTimeoutMs: number;
  backoff: FailureBackoff;
}

/**
 * Runs one scheduled reconcile with the per-run timeout and the caller's `stop` signal (shutdown,
 * a lost job lock) both aborting it, and books the outcome into the failure backoff. Never throws.
 * The reconcile service logs the run under its run id; `log` carries the connection and tick.
 */
export async function runScheduled(deps: ScheduledRunDeps, connectionId: string, log: Logger, stop: AbortSignal, trigger: RunTrigger = 'schedule'): Promise<'ran' | 'error' | 'busy'> {
  const abort = new AbortController();
  const onStop = () => abort.abort(stop.reason);
  if (stop.aborted) onStop();
  else stop.addEventListener('abort', onStop, { once: true });
  const timer = setTimeout(() => abort.abort(new Error(`reconcile run exceeded ${deps.runTimeoutMs} ms`)), deps.runTimeoutMs);
  timer.unref();
  let outcome: 'ran' | 'error' = 'ran';
  let booking: 'terminal' | 'retry' | 'ok' = 'ok';
  let summary: RunSummary | undefined;
  try {
    summary = await deps.reconcile.run(connectionId, { trigger, signal: abort.signal });
    booking = bookingOf(summary, stop.aborted);
  } catch (err) {
    if ((err as { code?: string }).code === 'run.in_progress') {
      // An admin's or an approval's run of the connection is going: this tick is skipped, not a failure.
      log.info('reconcile run in progress (started outside the schedule); skipping this tick', { error: (err as Error).message });
      return 'busy';
    }
    outcome = 'error';
    booking = 'retry';
    log.error('scheduled reconcile failed', { error: (err as Error).message });
  } finally {
    clearTimeout(timer);
    stop.removeEventListener('abort', onStop);
  }
  const runId = summary?.runId;
  try {
    if (booking === 'retry') {
      const { failures, retryInMs } = await deps.backoff.failed(connectionId);
      log.warn('reconcile failing; backing off', { ...(runId ? { runId } : {}), failures, retryInMs, ...(summary?.failure ? { code: summary.failure.code } : {}) });
    } else {
      // A terminal failure ends the retry series too: once fixed, the next tick runs at once.
      await deps.backoff.succeeded(connectionId);
      if (booking === 'terminal') log.error('reconcile failed terminally; scheduled runs stop until the connection is updated or tested', { runId, code: summary?.failure?.code, hint: summary?.failure?.hint });
    }
  } catch (err) {
    log.warn('could not record the reconcile backoff', { error: (err as Error).message });
  }
  return outcome;
}
