import type { ReconcileRun } from '../../domain/model.js';
import type { Plan } from '../../domain/reconcile-plan.js';
import type { InviteLinkOutcome } from './invite-link.js';
import { listedSize, type DirectoryRead, type SyncState } from './read-directory.js';

/* What a run reports, and the pure steps from a plan to the run's outcome (release, next sync state, lags). */

export interface RunSummary {
  runId: string;
  connectionId: string;
  status: ReconcileRun['status'] | 'failed';
  dryRun: boolean;
  listed: number;
  matched: number;
  linked: number;
  deactivated: number;
  reactivated: number;
  invited: number;
  /** Invitations the org's rules refused for now (its pending cap): they wait for a later run. */
  invitesDeferred?: number;
  held: number;
  drift: number;
  protected: number;
  apiCalls: number;
  /** The run's API calls by outcome ("2xx", "4xx", "5xx", "429", "network"). */
  apiCallsByStatus?: Readonly<Record<string, number>>;
  durationMs: number;
  guards: Plan['guards'];
  /** policy.inviteLink: the connection's directory-gated link after this run, and links rotated for offboarded creators. */
  inviteLink?: InviteLinkOutcome;
  /** `delta`: only the users that changed since the last round were read (Graph delta). */
  listingMode?: 'full' | 'delta';
  error?: { code: string; message: string };
}

/** What metrics want of a run beyond its summary. */
export interface RunDetails {
  /**
   * Per applied deactivation, the time since the upstream change: exact when the directory dates
   * it (`directory`: Graph deletedDateTime), else an upper bound from the previous complete read
   * (`previous_read`), when the person was not yet offboarded there.
   */
  offboardingLags: { seconds: number; source: 'directory' | 'previous_read' }[];
}

/**
 * The state for the next run. Missing counters follow the plan. A complete full round becomes the
 * size baseline, unless the size-drop guard tripped on it (an implausible listing must not become
 * the yardstick the next one passes against) and no admin approved it. The delta cursor moves only
 * when this round's changes were all acted on: nothing held, nothing unconfirmed. Otherwise the
 * next run (and an approval) reads the same changes again.
 */
export function nextSyncState(state: SyncState, plan: Plan, read: DirectoryRead, o: { unconfirmed: number; approved: boolean; now: Date; policy: string }): SyncState {
  const next: SyncState = { ...state, missing: plan.nextMissing };
  if (!read.result.complete) return next;
  next.lastCompleteAt = o.now.toISOString();
  const dropped = plan.guards.some((g) => g.guard === 'size_drop' && !g.passed);
  if (read.mode === 'full' && (!dropped || o.approved)) next.lastCompleteSize = listedSize(read.users.values());
  if (read.nextState && plan.counters.held === 0 && o.unconfirmed === 0) {
    next.delta = read.nextState;
    next.deltaPolicy = o.policy;
    if (read.mode === 'full') next.lastFullAt = o.now.toISOString();
  }
  return next;
}

export function offboardingLags(plan: Plan, changedAt: (directoryId: string) => string | undefined, state: SyncState, now: Date): RunDetails['offboardingLags'] {
  const previous = state.lastCompleteAt ? Date.parse(state.lastCompleteAt) : NaN;
  const lags: RunDetails['offboardingLags'] = [];
  for (const a of plan.actions) {
    if (a.kind !== 'deactivate' || a.evidence.applied !== true) continue;
    const dated = Date.parse(changedAt(a.directoryId ?? '') ?? '');
    if (Number.isFinite(dated)) lags.push({ seconds: Math.max(0, (now.getTime() - dated) / 1000), source: 'directory' });
    else if (Number.isFinite(previous)) lags.push({ seconds: Math.max(0, (now.getTime() - previous) / 1000), source: 'previous_read' });
  }
  return lags;
}

export function emptyApplied() {
  return { link: 0, deactivate: 0, reactivate: 0, invite: 0, inviteDeferred: 0 };
}

/** Releases up to `n` held deactivations, explicit evidence first; a hold for an incomplete listing stays. */
export function release(plan: Plan, n: number): void {
  let left = n;
  for (const a of plan.actions) {
    if (left <= 0) break;
    if (a.kind === 'deactivate' && a.held && a.evidence.heldBy !== 'listing_complete') {
      a.held = false;
      a.evidence = { ...a.evidence, releasedByApproval: true };
      left--;
    }
  }
  plan.counters.held = plan.actions.filter((a) => a.held).length;
  plan.counters.deactivate = plan.actions.filter((a) => a.kind === 'deactivate' && !a.held).length;
  if (plan.status === 'held' && plan.counters.held === 0) plan.status = 'completed';
}

export function failedSummary(run: ReconcileRun, connectionId: string, dryRun: boolean, apiCalls: number, started: Date): RunSummary {
  return { runId: run.id, connectionId, status: 'failed', dryRun, listed: 0, matched: 0, linked: 0, deactivated: 0, reactivated: 0, invited: 0, held: 0, drift: 0, protected: 0, apiCalls, durationMs: Date.now() - started.getTime(), guards: [] };
}
