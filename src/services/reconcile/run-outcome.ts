import { classifyFailure, failureHint, type FailureClass } from '../../domain/failures.js';
import type { ReconcileRun } from '../../domain/model.js';
import type { Plan } from '../../domain/reconcile-plan.js';
import { withOutcome, type Execution } from './execute.js';
import type { InviteLinkOutcome } from './invite-link.js';
import { listedSize, type DirectoryRead, type SyncState } from './read-directory.js';
import type { TeamSyncSummary } from './team-sync.js';

/* What a run reports, and the pure steps from a plan and its execution to the run's outcome (counters, next sync state, lags). */

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
  /** Set when the run stopped on an error: `terminal` ones stop scheduled runs until the connection is fixed. */
  failure?: RunFailure;
  /** Directory groups kept as teams (config `groups`): what the run read and changed. */
  teams?: TeamSyncSummary;
}

export interface RunFailure {
  class: FailureClass;
  code: string;
  /** What to fix (terminal failures). */
  hint?: string;
}

export function runFailure(code: string): RunFailure {
  const hint = failureHint(code);
  return { class: classifyFailure(code), code, ...(hint ? { hint } : {}) };
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
export function nextSyncState(state: SyncState, plan: Plan, execution: Execution, read: DirectoryRead, o: { unconfirmed: number; approved: boolean; now: Date; policy: string }): SyncState {
  const { actionRequired: _fixed, ...rest } = state;
  const next: SyncState = { ...rest, missing: { ...plan.nextMissing } };
  if (!read.result.complete) return next;
  next.lastCompleteAt = o.now.toISOString();
  const dropped = plan.guards.some((g) => g.guard === 'size_drop' && !g.passed);
  if (read.mode === 'full' && (!dropped || o.approved)) next.lastCompleteSize = listedSize(read.users.values());
  const held = execution.outcomes.filter((x) => x.status === 'held').length;
  if (read.nextState && held === 0 && o.unconfirmed === 0) {
    next.delta = read.nextState;
    next.deltaPolicy = o.policy;
    if (read.mode === 'full') next.lastFullAt = o.now.toISOString();
  }
  return next;
}

export function offboardingLags(plan: Plan, execution: Execution, changedAt: (directoryId: string) => string | undefined, state: SyncState, now: Date): RunDetails['offboardingLags'] {
  const previous = state.lastCompleteAt ? Date.parse(state.lastCompleteAt) : NaN;
  const lags: RunDetails['offboardingLags'] = [];
  for (const a of withOutcome(plan, execution, 'deactivate', 'applied')) {
    const dated = Date.parse(changedAt(a.directoryId) ?? '');
    if (Number.isFinite(dated)) lags.push({ seconds: Math.max(0, (now.getTime() - dated) / 1000), source: 'directory' });
    else if (Number.isFinite(previous)) lags.push({ seconds: Math.max(0, (now.getTime() - previous) / 1000), source: 'previous_read' });
  }
  return lags;
}

export function failedSummary(run: ReconcileRun, connectionId: string, dryRun: boolean, apiCalls: number, durationMs: number): RunSummary {
  return { runId: run.id, connectionId, status: 'failed', dryRun, listed: 0, matched: 0, linked: 0, deactivated: 0, reactivated: 0, invited: 0, held: 0, drift: 0, protected: 0, apiCalls, durationMs, guards: [] };
}

/** The run's counters from the plan and what the executor did with it (a dry run counts what it would do). */
export function countOutcomes(plan: Plan, execution: Execution, dryRun: boolean) {
  const n = (kind: Parameters<typeof withOutcome>[2], status: 'applied' | 'planned' | 'deferred' | 'held') => withOutcome(plan, execution, kind, status).length;
  const done = (kind: Parameters<typeof withOutcome>[2]) => n(kind, dryRun ? 'planned' : 'applied');
  return { linked: dryRun ? 0 : done('link'), deactivated: done('deactivate'), reactivated: done('reactivate'), invited: dryRun ? 0 : done('invite'), invitesDeferred: n('invite', 'deferred'), held: n('deactivate', 'held') };
}
