import { IdsyncError } from '../../domain/errors.js';
import type { ReconcileRun } from '../../domain/model.js';
import type { Updater } from '../../ports/store/types.js';

export type HeldDecision = 'approved' | 'rejected';

/**
 * Why a run cannot be decided, or undefined when it can: only a held run of a real (not dry)
 * reconcile is approved or rejected, and only once.
 */
export function decisionRefusal(run: ReconcileRun, verb: 'approve' | 'reject'): IdsyncError | undefined {
  if (run.dryRun) {
    return new IdsyncError('run.dry_run', `run ${run.id} is a dry run: it only recorded what would happen, so there is nothing to ${verb}; start a real run and ${verb} that one`, { runId: run.id, status: run.status });
  }
  if (run.status !== 'held') {
    const decided = run.status === 'approved' || run.status === 'rejected';
    const why = decided ? `it was already ${run.status} (a decision is taken once, whichever arrives first)` : `it is ${run.status}`;
    return new IdsyncError('run.not_held', `run ${run.id} cannot be ${verb === 'approve' ? 'approved' : 'rejected'}: ${why}, not held`, { runId: run.id, status: run.status });
  }
  return undefined;
}

/**
 * The compare-and-swap claim of a held run: the store calls it on the record it holds (again after
 * a lost race), so of two decisions at once exactly one moves the run off `held` and the other
 * gets the coded refusal. The claim comes before any work, so nothing runs twice.
 */
export function claimHeld(decision: HeldDecision, at: string): Updater<ReconcileRun, 'unaudited'> {
  return (cur) => {
    const refusal = decisionRefusal(cur, decision === 'approved' ? 'approve' : 'reject');
    if (refusal) throw refusal;
    return { next: { ...cur, status: decision, updatedAt: at } };
  };
}

/** Gives a claimed approval back (its approval run could not start), unless something else changed the run since. */
export function releaseApproval(at: string): Updater<ReconcileRun, 'unaudited'> {
  return (cur) => (cur.status === 'approved' ? { next: { ...cur, status: 'held', updatedAt: at } } : null);
}
