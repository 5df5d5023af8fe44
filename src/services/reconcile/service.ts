import { deletingError } from '../org-deletion/service.js';
import { randomUUID } from 'node:crypto';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import type { Actor, ConnectionHealth, DirectoryConnection, Member, ReconcileRun } from '../../domain/model.js';
import { missingLinkedMembers, planReconcile, type Plan } from '../../domain/reconcile-plan.js';
import type { TeamPlan } from '../../domain/team-sync-plan.js';
import { isTombstone, type DirectoryConnector, type DirectoryUser } from '../../ports/directory.js';
import { collect } from '../../ports/paging.js';
import type { ConnectionService } from '../connections/service.js';
import { policySchema } from '../connections/policy.js';
import type { ServiceDeps } from '../deps.js';
import type { InvitationService } from '../invitations/service.js';
import type { MemberService } from '../members.js';
import { claimHeld, decisionRefusal, releaseApproval, type HeldDecision } from './held-claim.js';
import { closeInterruptedRuns, takeRunSlot } from './single-flight.js';
import type { InviteLinkKeeper } from './invite-link.js';
import { readDirectory, type ListingProgress, type SyncState } from './read-directory.js';
import { dryExecution, PlanExecutor, recordedPlan, withOutcome, type RecordedAction } from './execute.js';
import { countOutcomes, failedSummary, nextSyncState, offboardingLags, runFailure, type RunDetails, type RunFailure, type RunSummary } from './run-outcome.js';
import type { RecordedTeamAction, TeamSync } from './team-sync.js';

export type { RunDetails, RunFailure, RunSummary } from './run-outcome.js';
export type { ActionOutcome, RecordedAction } from './execute.js';

export interface RunOptions {
  dryRun?: boolean;
  trigger?: ReconcileRun['trigger'];
  /** Approval: release up to this many held deactivations (never ones held for an incomplete listing). */
  release?: number;
  signal?: AbortSignal;
  /** Progress for a terminal: users seen so far. */
  onProgress?: (progress: ListingProgress) => void;
}

/** Point lookups per run are bounded: a flood of missing members is what the guards are for. */
const MAX_LOOKUPS = 200;

/**
 * One reconcile of one connection: list the directory, confirm who is missing, plan (pure), apply
 * the plan through the one write path (or only record it in a dry run), and keep the run record
 * and the connection's sync state.
 */
export class ReconcileService {
  private readonly executor: PlanExecutor;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly connections: ConnectionService,
    members: MemberService,
    invitations: Pick<InvitationService, 'invite'>,
    private readonly linkKeeper: InviteLinkKeeper,
    /** Told about every finished run (metrics). */
    private readonly onRunFinished: (summary: RunSummary, conn: DirectoryConnection, details?: RunDetails) => void = () => {},
    /** Keeps the connection's selected directory groups as teams (absent: groups are not read). */
    private readonly teamSync?: TeamSync,
  ) {
    this.executor = new PlanExecutor(members, invitations);
  }

  async run(connectionId: string, opts: RunOptions = {}): Promise<RunSummary> {
    const conn = await this.connections.get(connectionId);
    // An org scheduled for deletion is not reconciled (its members take no changes); no run is recorded.
    const org = await this.deps.store.getOrg(conn.orgId);
    if (org?.state === 'deleting') throw deletingError(org);
    const started = this.deps.clock.now();
    const run: ReconcileRun = {
      id: randomUUID(),
      orgId: conn.orgId,
      connectionId,
      dryRun: !!opts.dryRun,
      status: 'running',
      trigger: opts.trigger ?? 'manual',
      startedAt: started.toISOString(),
      summary: {},
      plan: [],
      updatedAt: started.toISOString(),
      version: 1,
    };
    // One real run of a connection at a time, whoever starts it (dry runs write nothing: they need no slot).
    const slot = opts.dryRun ? undefined : await takeRunSlot(this.deps.store, connectionId, run.id, this.deps.logger);
    try {
      await this.deps.store.createRun(run);
      if (slot) {
        await closeInterruptedRuns(this.deps.store, connectionId, run.id, this.deps.clock, this.deps.logger).catch((err: unknown) =>
          this.deps.logger.warn('could not close interrupted reconcile runs', { connectionId, error: (err as Error).message }),
        );
      }
      return await this.reconcile(conn, run, opts, started);
    } finally {
      await slot?.release();
    }
  }

  /** The run itself, its record created (and, for a real run, the connection's slot held). */
  private async reconcile(conn: DirectoryConnection, run: ReconcileRun, opts: RunOptions, started: Date): Promise<RunSummary> {
    const connectionId = conn.id;
    const log = this.deps.logger.child({ runId: run.id, connectionId, orgId: conn.orgId });
    const state = conn.syncState as SyncState;
    let apiCalls = 0;
    try {
      const connector = this.connections.open(conn);
      const policy = policySchema.parse(conn.policy);
      /** A delta cursor is kept under one policy: another one re-reads the whole directory. */
      const { realtime: _realtime, maxTeamRemovals: _tr, maxTeamRemovalPercent: _tp, ...planned } = policy;
      // realtime and the team guards change nothing a user listing reads: they keep the cursor (and the key of stored cursors).
      const policyKey = JSON.stringify(planned);
      const read = await readDirectory(connector, state, { policy: policyKey, now: started, ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
      const { users, result, mode } = read;
      apiCalls = result.counters.apiCalls;
      if (!result.complete) log.warn('directory listing incomplete: no one will be deactivated', { error: result.error, users: users.size });

      const members = await this.liveMembers(conn.orgId);
      const history = { missing: state.missing ?? {}, ...(typeof state.lastCompleteSize === 'number' ? { lastCompleteSize: state.lastCompleteSize } : {}) };
      const removals = result.complete ? await this.confirmRemovals(connector, users, members, conn.provider) : { confirmed: new Set<string>(), unconfirmed: 0 };
      const base = { connectionId, provider: conn.provider, members, listing: { users: [...users.values()], complete: result.complete, mode }, policy, history };
      const deletedAt = new Map<string, string>();
      const lookups = result.complete ? await this.lookups(connector, missingLinkedMembers(base), deletedAt) : {};
      const pendingInvites = policy.autoInvite ? await this.invitedEmails(conn.orgId) : [];
      const counters = connector.counters();
      apiCalls = counters.apiCalls;
      const plan = planReconcile({ ...base, lookups, confirmedRemovals: removals.confirmed, pendingInvites, ...(opts.release !== undefined ? { approval: { release: opts.release } } : {}) });

      const execution = opts.dryRun ? dryExecution(plan) : await this.executor.execute(conn, plan, log, { runId: run.id, listingMode: mode, listedUsers: users.size });
      const offboarded = new Set(withOutcome(plan, execution, 'deactivate', 'applied').map((a) => a.memberId));
      const link = opts.dryRun ? undefined : await this.linkKeeper.keep(conn, policy.inviteLink, state.inviteLink, offboarded, { kind: 'directory', id: conn.id, label: `${conn.provider} directory` });
      const links = withOutcome(plan, execution, 'link', opts.dryRun ? 'planned' : 'applied');
      const teams = await this.teamSync?.run(conn, connector, state.groups ?? {}, {
        runId: run.id,
        dryRun: !!opts.dryRun,
        approved: opts.release !== undefined,
        now: started,
        policy,
        members,
        links,
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      apiCalls = connector.counters().apiCalls;
      const now = this.deps.clock.now();
      const failure = result.error ? runFailure(result.error.code) : undefined;
      const summary: RunSummary = {
        runId: run.id,
        connectionId,
        status: combinedStatus(plan.status, teams?.plan.status),
        dryRun: !!opts.dryRun,
        listed: plan.counters.listed,
        matched: plan.counters.matched,
        ...countOutcomes(plan, execution, !!opts.dryRun),
        drift: plan.counters.drift,
        protected: plan.counters.protected,
        apiCalls,
        apiCallsByStatus: counters.byStatus,
        durationMs: now.getTime() - started.getTime(),
        guards: [...plan.guards, ...(teams?.plan.guards ?? [])],
        listingMode: mode,
        ...(link && link.outcome.action !== 'none' ? { inviteLink: link.outcome } : {}),
        ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
        ...(failure ? { failure } : {}),
        ...(teams ? { teams: teams.summary } : {}),
      };
      await this.finish(run, summary, [...recordedPlan(plan, execution), ...(teams?.recorded ?? [])]);
      this.onRunFinished(summary, conn, { offboardingLags: offboardingLags(plan, execution, (id) => deletedAt.get(id) ?? read.users.get(id)?.stateChangedAt, state, now) });
      if (!opts.dryRun) {
        const syncState = nextSyncState({ ...state, inviteLink: link?.kept, ...(teams ? { groups: teams.state } : {}) }, plan, execution, read, { unconfirmed: removals.unconfirmed, approved: opts.release !== undefined, now, policy: policyKey });
        await this.saveOutcome(conn, run.id, syncState, failure, summary.error, result.complete && teams?.summary.complete !== false ? 'healthy' : 'degraded');
      }
      if (plan.counters.drift) log.warn('directory and SCIM disagree about members', { drift: plan.counters.drift });
      log.info('reconcile run finished', { status: summary.status, deactivated: summary.deactivated, held: summary.held, apiCalls });
      return summary;
    } catch (err) {
      const error = { code: isIdsyncError(err) ? err.code : 'internal', message: (err as Error).message };
      log.error('reconcile run failed', { error });
      const failure = runFailure(error.code);
      const summary: RunSummary = { ...failedSummary(run, connectionId, !!opts.dryRun, apiCalls, this.deps.clock.now().getTime() - started.getTime()), error, failure };
      await this.finish(run, summary, []);
      this.onRunFinished(summary, conn);
      if (!opts.dryRun) await this.saveOutcome(conn, run.id, state, failure, error, 'failing');
      return summary;
    }
  }

  /**
   * The connection's health after a run. A terminal failure makes it `action_required`, with the
   * code and what to fix kept in its sync state, and scheduled runs wait (tick runners ask
   * `actionRequired`) until the connection is updated or tested successfully.
   */
  private async saveOutcome(conn: DirectoryConnection, runId: string, syncState: SyncState, failure: RunFailure | undefined, error: { code: string; message: string } | undefined, health: ConnectionHealth): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const { actionRequired: _cleared, ...rest } = syncState;
    const terminal = failure?.class === 'terminal' && error;
    const kept: SyncState = terminal ? { ...rest, actionRequired: { code: error.code, message: error.message, hint: failure.hint ?? '', runId, at } } : rest;
    // The notification state (syncState.realtime) is the notification service's: the store keeps it as stored.
    await this.deps.store.saveConnectionState(conn.orgId, conn.id, { syncState: kept, health: terminal ? 'action_required' : health, lastRunId: runId, lastRunAt: at });
  }

  /** Whether scheduled runs of the connection wait for an admin (its last run failed terminally). */
  async actionRequired(connectionId: string): Promise<boolean> {
    const conn = await this.deps.store.getConnection(connectionId);
    return conn?.health === 'action_required';
  }

  /** The join URL of the connection's directory-gated link (policy.inviteLink), for an admin to copy. */
  async inviteLinkUrl(connectionId: string): Promise<{ linkId: string; url: string }> {
    const conn = await this.connections.get(connectionId);
    const kept = (conn.syncState as SyncState).inviteLink;
    if (!kept) throw new IdsyncError('link.not_found', `connection ${connectionId} keeps no invite link (policy.inviteLink is off, or no run has happened since it was turned on)`, { connectionId });
    return { linkId: kept.linkId, url: this.linkKeeper.url(kept) };
  }

  /**
   * Re-plans now from a fresh listing and applies held deactivations up to `max` (never a blind
   * replay). The held run is claimed first (compare-and-swap held → approved), so two approvals at
   * once, or an approval and a rejection, start at most one approval run; the loser gets
   * `run.not_held`. A dry run is refused with `run.dry_run`.
   */
  async approve(runId: string, actor: Actor, max?: number): Promise<RunSummary> {
    const run = await this.getRun(runId);
    await this.claim(run, 'approved');
    const giveBack = () => this.deps.store.updateRun(run.orgId, run.id, releaseApproval(this.deps.clock.now().toISOString())).catch(() => undefined);
    let summary: RunSummary;
    try {
      summary = await this.run(run.connectionId, { trigger: 'approval', release: max ?? Number.MAX_SAFE_INTEGER });
    } catch (err) {
      // The approval run never started (another run in progress, connection gone, store down): the run can be approved again.
      await giveBack();
      throw err;
    }
    if (summary.status === 'failed' || summary.status === 'incomplete') {
      // It started but applied nothing held (the directory could not be read, or not all of it): held again, to approve once the cause is fixed.
      await giveBack();
      await this.deps.store.appendAudit({ orgId: run.orgId, actor, action: 'reconcile.approval_failed', target: { type: 'run', id: run.id }, after: { approvalRunId: summary.runId, max, error: summary.error } });
      return summary;
    }
    await this.deps.store.appendAudit({ orgId: run.orgId, actor, action: 'reconcile.approved', target: { type: 'run', id: run.id }, after: { approvalRunId: summary.runId, max } });
    return summary;
  }

  async reject(runId: string, actor: Actor): Promise<ReconcileRun> {
    const run = await this.getRun(runId);
    const updated = await this.claim(run, 'rejected');
    await this.deps.store.appendAudit({ orgId: run.orgId, actor, action: 'reconcile.rejected', target: { type: 'run', id: run.id } });
    return updated;
  }

  /** Refuses early on what was read (no write), then claims atomically in the store. */
  private async claim(run: ReconcileRun, decision: HeldDecision): Promise<ReconcileRun> {
    const refusal = decisionRefusal(run, decision === 'approved' ? 'approve' : 'reject');
    if (refusal) throw refusal;
    const { record } = await this.deps.store.updateRun(run.orgId, run.id, claimHeld(decision, this.deps.clock.now().toISOString()));
    return record;
  }

  async getRun(runId: string): Promise<ReconcileRun> {
    const run = await this.deps.store.getRun(runId);
    if (!run) throw new IdsyncError('run.not_found', `run ${runId} not found`, { runId });
    return run;
  }

  listRuns(connectionId: string, page?: { offset?: number; limit?: number }) {
    return this.deps.store.listRuns(connectionId, page);
  }

  /**
   * Delta rounds (the first one too) report removals as bare ids ("deleted" or "changed", which includes moves out of
   * scope and restorable deletes). For linked members, a point lookup confirms each one; a user the
   * directory still has takes the looked-up state instead, and one it could not answer about is
   * left out of this round (and the cursor stays, so the change is seen again).
   */
  private async confirmRemovals(connector: DirectoryConnector, users: Map<string, DirectoryUser>, members: Member[], provider: DirectoryConnection['provider']) {
    const linked = new Set(members.filter((m) => m.status === 'active').flatMap((m) => m.identities.filter((i) => i.provider === provider).map((i) => i.subject)));
    const confirmed = new Set<string>();
    let unconfirmed = 0;
    for (const u of [...users.values()].filter((x) => x.state === 'deleted' && linked.has(x.id)).slice(0, MAX_LOOKUPS)) {
      try {
        const found = await connector.getUser(u.id);
        if (!isTombstone(found)) users.set(u.id, found);
        else {
          confirmed.add(u.id);
          if (found.deletedAt) users.set(u.id, { ...u, stateChangedAt: found.deletedAt });
        }
      } catch {
        users.delete(u.id);
        unconfirmed++;
      }
    }
    return { confirmed, unconfirmed };
  }

  /** Point lookups of members missing from a full listing; `deletedAt` collects the dates the directory gives. */
  private async lookups(connector: DirectoryConnector, missing: { memberId: string; directoryId: string }[], deletedAt: Map<string, string>): Promise<Record<string, 'deleted' | 'present' | 'error'>> {
    const out: Record<string, 'deleted' | 'present' | 'error'> = {};
    for (const { memberId, directoryId } of missing.slice(0, MAX_LOOKUPS)) {
      try {
        const found = await connector.getUser(directoryId);
        out[memberId] = isTombstone(found) ? 'deleted' : 'present';
        if (isTombstone(found) && found.deletedAt) deletedAt.set(directoryId, found.deletedAt);
      } catch {
        out[memberId] = 'error';
      }
    }
    return out;
  }

  /** Emails auto-invite skips: a pending invitation, or one an admin revoked (never re-sent behind their back). */
  private async invitedEmails(orgId: string): Promise<string[]> {
    const invitations = await collect((page) => this.deps.store.listInvitations(orgId, { statuses: ['pending', 'revoked'], ...page }));
    return invitations.map((i) => i.email);
  }

  private async finish(run: ReconcileRun, summary: RunSummary, plan: (RecordedAction | RecordedTeamAction)[]): Promise<void> {
    const status: ReconcileRun['status'] = summary.status === 'failed' ? 'failed' : summary.status;
    await this.updateRun(run, { status, summary: { ...summary }, plan, finished: true, ...(summary.error ? { error: summary.error } : {}) });
  }

  /** The one place a run's own progress and outcome are written; decisions on a held run are claims (held-claim.ts). */
  private async updateRun(run: Pick<ReconcileRun, 'orgId' | 'id'>, change: Partial<Pick<ReconcileRun, 'status' | 'summary' | 'plan' | 'error'>> & { finished?: boolean }): Promise<ReconcileRun> {
    const at = this.deps.clock.now().toISOString();
    const { finished, ...fields } = change;
    const { record } = await this.deps.store.updateRun(run.orgId, run.id, (cur) => ({ next: { ...cur, ...fields, ...(finished ? { finishedAt: at } : {}), updatedAt: at } }));
    return record;
  }

  private liveMembers(orgId: string): Promise<Member[]> {
    return collect((page) => this.deps.store.listMembers(orgId, { statuses: ['active', 'inactive'], kinds: ['person'], ...page }));
  }
}

/**
 * The run's status from the member plan and the team plan: an incomplete read of either is
 * `incomplete`, a hold in either is `held`; only both clean is `completed`.
 */
function combinedStatus(users: Plan['status'], teams: TeamPlan['status'] | undefined): Plan['status'] {
  if (users === 'incomplete' || teams === 'incomplete') return 'incomplete';
  if (users === 'held' || teams === 'held') return 'held';
  return 'completed';
}
