import { IdsyncError } from '../../domain/errors.js';
import type { ReconcileRun } from '../../domain/model.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Store } from '../../ports/store.js';

/** How long the slot is held without renewal; a live run renews it every third of that. */
export const RUN_SLOT_TTL_MS = 90 * 1000;
/** How far back interrupted runs are looked for (runs per connection, newest first). */
const RECENT_RUNS = 50;

const slotName = (connectionId: string) => `reconcile-active:${connectionId}`;

/** A connection's real-run slot, held by one run at a time across processes and replicas. */
export interface RunSlot {
  release(): Promise<void>;
}

/**
 * Takes the connection's run slot for a real (not dry) run, whoever starts it: the schedule, a
 * notification, an admin (API, console, CLI) or an approval. Two real runs of one connection at
 * once would each apply their own deactivation budget; so the second is refused with
 * `run.in_progress` (naming the run in progress), never queued behind it. The slot is a store
 * lease renewed while the run lives: a run whose process died stops renewing it and the slot
 * frees itself within RUN_SLOT_TTL_MS.
 */
export async function takeRunSlot(store: Store, connectionId: string, holder: string, logger: Logger): Promise<RunSlot> {
  const name = slotName(connectionId);
  if (!(await store.tryAcquireLease(name, holder, RUN_SLOT_TTL_MS))) {
    const running = (await store.listRuns(connectionId, { limit: RECENT_RUNS })).items.find((r) => r.status === 'running' && !r.dryRun);
    const which = running ? `run ${running.id} (${running.trigger}, started ${running.startedAt})` : 'another run';
    throw new IdsyncError('run.in_progress', `connection ${connectionId} is being reconciled by ${which}; start this one when it has finished`, {
      connectionId,
      ...(running ? { runId: running.id } : {}),
    });
  }
  const renew = setInterval(() => {
    store.tryAcquireLease(name, holder, RUN_SLOT_TTL_MS).catch((err: unknown) => logger.warn('could not renew the reconcile run slot', { connectionId, error: (err as Error).message }));
  }, RUN_SLOT_TTL_MS / 3);
  renew.unref();
  return {
    async release() {
      clearInterval(renew);
      // Given back at once (the next run may start the same millisecond); if that fails, it expires.
      await store.releaseLease(name, holder).catch((err: unknown) => logger.warn('could not release the reconcile run slot', { connectionId, error: (err as Error).message }));
    },
  };
}

/**
 * With the slot held, no other real run of the connection is alive: one still marked `running` was
 * cut off (its process crashed, was killed or restarted) and is closed as failed, `run.interrupted`,
 * audited. Its deactivations were each applied and audited through the member writer, or not at
 * all; the run now starting plans again from a fresh listing. Returns the ids closed.
 */
export async function closeInterruptedRuns(store: Store, connectionId: string, currentRunId: string, clock: Clock, logger: Logger): Promise<string[]> {
  const stale = (await store.listRuns(connectionId, { limit: RECENT_RUNS })).items.filter((r) => r.status === 'running' && !r.dryRun && r.id !== currentRunId);
  const closed: string[] = [];
  for (const run of stale) {
    const at = clock.now().toISOString();
    const error = { code: 'run.interrupted', message: `the run stopped before it finished (its process crashed, was killed or restarted); run ${currentRunId} plans again from a fresh listing` };
    const { changed } = await store.updateRun(run.orgId, run.id, (cur: ReconcileRun) =>
      cur.status === 'running' ? { next: { ...cur, status: 'failed', error, summary: { ...cur.summary, status: 'failed', error }, finishedAt: at, updatedAt: at } } : null,
    );
    if (!changed) continue;
    await store.appendAudit({ orgId: run.orgId, actor: { kind: 'system', id: 'reconciler' }, action: 'reconcile.interrupted', target: { type: 'run', id: run.id }, reason: error.message });
    logger.warn('closed a reconcile run that was interrupted', { connectionId, runId: run.id, startedAt: run.startedAt, trigger: run.trigger });
    closed.push(run.id);
  }
  return closed;
}
