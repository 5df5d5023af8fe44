import { randomUUID } from 'node:crypto';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import type { Actor, DirectoryConnection, ManagedBy, Member, ReconcileRun } from '../../domain/model.js';
import { missingLinkedMembers, planReconcile, type Plan, type PlannedAction } from '../../domain/reconcile-plan.js';
import { isTombstone, type DirectoryConnector, type DirectoryUser } from '../../ports/directory.js';
import type { ConnectionService } from '../connections/service.js';
import { policySchema } from '../connections/policy.js';
import type { ServiceDeps } from '../deps.js';
import type { InvitationService } from '../invitations/service.js';
import type { MemberService } from '../members.js';
import type { InviteLinkKeeper } from './invite-link.js';
import { readDirectory, type ListingProgress, type SyncState } from './read-directory.js';
import { emptyApplied, failedSummary, nextSyncState, offboardingLags, release, type RunDetails, type RunSummary } from './run-outcome.js';

export type { RunDetails, RunSummary } from './run-outcome.js';

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
const SCAN = 1000;

/**
 * One reconcile of one connection: list the directory, confirm who is missing, plan (pure), apply
 * the plan through the one write path (or only record it in a dry run), and keep the run record
 * and the connection's sync state.
 */
export class ReconcileService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly connections: ConnectionService,
    private readonly members: MemberService,
    private readonly invitations: Pick<InvitationService, 'invite'>,
    private readonly linkKeeper: InviteLinkKeeper,
    /** Told about every finished run (metrics). */
    private readonly onRunFinished: (summary: RunSummary, conn: DirectoryConnection, details?: RunDetails) => void = () => {},
  ) {}

  async run(connectionId: string, opts: RunOptions = {}): Promise<RunSummary> {
    const conn = await this.connections.get(connectionId);
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
    await this.deps.store.createRun(run);
    const log = this.deps.logger.child({ runId: run.id, connectionId, orgId: conn.orgId });
    let apiCalls = 0;
    try {
      const connector = this.connections.open(conn);
      const state = conn.syncState as SyncState;
      const policy = policySchema.parse(conn.policy);
      /** A delta cursor is kept under one policy: another one re-reads the whole directory. */
      const policyKey = JSON.stringify(policy);
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
      const plan = planReconcile({ ...base, lookups, pendingInvites });
      for (const a of plan.actions) if (a.kind === 'deactivate' && removals.confirmed.has(a.directoryId ?? '')) a.evidence = { ...a.evidence, lookup: 'deleted' };
      if (opts.release !== undefined) release(plan, opts.release);

      const applied = opts.dryRun ? emptyApplied() : await this.apply(conn, plan, log, { runId: run.id, listingMode: mode, listedUsers: users.size });
      const link = opts.dryRun ? undefined : await this.keepInviteLink(conn, policy.inviteLink, state, plan);
      const summary: RunSummary = {
        runId: run.id,
        connectionId,
        status: plan.status === 'completed' && plan.counters.held === 0 ? 'completed' : plan.status,
        dryRun: !!opts.dryRun,
        listed: plan.counters.listed,
        matched: plan.counters.matched,
        linked: applied.link,
        deactivated: opts.dryRun ? plan.counters.deactivate : applied.deactivate,
        reactivated: opts.dryRun ? plan.counters.reactivate : applied.reactivate,
        invited: applied.invite,
        invitesDeferred: applied.inviteDeferred,
        held: plan.actions.filter((a) => a.held).length,
        drift: plan.counters.drift,
        protected: plan.counters.protected,
        apiCalls,
        apiCallsByStatus: counters.byStatus,
        durationMs: Date.now() - started.getTime(),
        guards: plan.guards,
        listingMode: mode,
        ...(link && link.outcome.action !== 'none' ? { inviteLink: link.outcome } : {}),
        ...(result.error ? { error: { code: result.error.code, message: result.error.message } } : {}),
      };
      await this.finish(run, summary, plan.actions);
      this.onRunFinished(summary, conn, { offboardingLags: offboardingLags(plan, (id) => deletedAt.get(id) ?? read.users.get(id)?.stateChangedAt, state, this.deps.clock.now()) });
      if (!opts.dryRun) {
        await this.deps.store.saveConnectionState(conn.orgId, connectionId, {
          syncState: nextSyncState({ ...state, inviteLink: link?.kept }, plan, read, { unconfirmed: removals.unconfirmed, approved: opts.release !== undefined, now: this.deps.clock.now(), policy: policyKey }),
          health: result.complete ? 'healthy' : 'degraded',
          lastRunId: run.id,
          lastRunAt: this.deps.clock.now().toISOString(),
        });
      }
      if (plan.counters.drift) log.warn('directory and SCIM disagree about members', { drift: plan.counters.drift });
      log.info('reconcile run finished', { status: summary.status, deactivated: summary.deactivated, held: summary.held, apiCalls });
      return summary;
    } catch (err) {
      const error = { code: isIdsyncError(err) ? err.code : 'internal', message: (err as Error).message };
      log.error('reconcile run failed', { error });
      const summary = { ...failedSummary(run, connectionId, !!opts.dryRun, apiCalls, started), error };
      await this.finish(run, summary, []);
      this.onRunFinished(summary, conn);
      if (!opts.dryRun) await this.deps.store.saveConnectionState(conn.orgId, connectionId, { health: 'failing', lastRunId: run.id, lastRunAt: this.deps.clock.now().toISOString() });
      return summary;
    }
  }

  /** The join URL of the connection's directory-gated link (policy.inviteLink), for an admin to copy. */
  async inviteLinkUrl(connectionId: string): Promise<{ linkId: string; url: string }> {
    const conn = await this.connections.get(connectionId);
    const kept = (conn.syncState as SyncState).inviteLink;
    if (!kept) throw new IdsyncError('link.not_found', `connection ${connectionId} keeps no invite link (policy.inviteLink is off, or no run has happened since it was turned on)`, { connectionId });
    return { linkId: kept.linkId, url: this.linkKeeper.url(kept) };
  }

  /** Re-plans now from a fresh listing and applies held deactivations up to `max` (never a blind replay). */
  async approve(runId: string, actor: Actor, max?: number): Promise<RunSummary> {
    const run = await this.getRun(runId);
    if (run.status !== 'held') throw new IdsyncError('request.invalid', `run ${runId} is ${run.status}, not held`);
    const summary = await this.run(run.connectionId, { trigger: 'approval', release: max ?? Number.MAX_SAFE_INTEGER });
    await this.deps.store.updateRun(run.orgId, run.id, (cur) => ({ next: { ...cur, status: 'approved', updatedAt: this.deps.clock.now().toISOString() } }));
    await this.deps.store.appendAudit({ orgId: run.orgId, actor, action: 'reconcile.approved', target: { type: 'run', id: run.id }, after: { approvalRunId: summary.runId, max } });
    return summary;
  }

  async reject(runId: string, actor: Actor): Promise<ReconcileRun> {
    const run = await this.getRun(runId);
    if (run.status !== 'held') throw new IdsyncError('request.invalid', `run ${runId} is ${run.status}, not held`);
    const { record: updated } = await this.deps.store.updateRun(run.orgId, run.id, (cur) => ({ next: { ...cur, status: 'rejected', updatedAt: this.deps.clock.now().toISOString() } }));
    await this.deps.store.appendAudit({ orgId: run.orgId, actor, action: 'reconcile.rejected', target: { type: 'run', id: run.id } });
    return updated;
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

  /** `source` says which run and listing the audit evidence of each deactivation comes from. */
  private async apply(conn: DirectoryConnection, plan: Plan, log: ReturnType<ServiceDeps['logger']['child']>, source: Record<string, unknown>) {
    const guards = Object.fromEntries(plan.guards.map((g) => [g.guard, g.passed ? 'passed' : 'failed']));
    const actor: Actor = { kind: 'directory', id: conn.id, label: `${conn.provider} directory` };
    const writer: ManagedBy = { kind: 'directory', connectionId: conn.id };
    const done = emptyApplied();
    let capReached = false;
    for (const a of plan.actions) {
      if (a.kind === 'invite' && a.email && !a.held) {
        // Once the org's pending cap is reached, the rest wait for a later run without asking again.
        const outcome = capReached ? 'deferred' : await this.invite(conn, a, actor, log);
        if (outcome === 'sent') done.invite++;
        if (outcome === 'deferred') {
          done.inviteDeferred++;
          a.evidence = { ...a.evidence, applied: false, refused: 'invite.cap_reached' };
        }
        capReached ||= a.evidence.refused === 'invite.cap_reached';
        continue;
      }
      if (a.held || !a.memberId) continue;
      try {
        if (a.kind === 'link') {
          await this.members.linkIdentity(conn.orgId, a.memberId, { provider: conn.provider, subject: a.directoryId! }, actor, writer);
          done.link++;
        } else if (a.kind === 'deactivate') {
          await this.members.deactivate(conn.orgId, a.memberId, actor, a.reason, writer, { ...a.evidence, ...source, guards });
          done.deactivate++;
        } else if (a.kind === 'reactivate') {
          await this.members.activate(conn.orgId, a.memberId, actor, a.reason, writer);
          done.reactivate++;
        }
        a.evidence = { ...a.evidence, applied: true };
      } catch (err) {
        // One member's refusal (last owner, managed elsewhere) must not stop the others.
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        a.evidence = { ...a.evidence, applied: false, refused: err.code };
        log.warn('reconcile action refused', { action: a.kind, memberId: a.memberId, code: err.code });
      }
    }
    return done;
  }

  /** An invitation for a directory user; one the org's rules refuse now (its pending cap) is deferred to a later run. */
  private async invite(conn: DirectoryConnection, a: PlannedAction, actor: Actor, log: ReturnType<ServiceDeps['logger']['child']>): Promise<'sent' | 'duplicate' | 'deferred'> {
    try {
      await this.invitations.invite(conn.orgId, { email: a.email! }, actor);
      a.evidence = { ...a.evidence, applied: true };
      return 'sent';
    } catch (err) {
      if (!isIdsyncError(err) || err.status >= 500) throw err;
      a.evidence = { ...a.evidence, applied: false, refused: err.code };
      if (err.code === 'invite.duplicate') return 'duplicate';
      log.info('auto-invite deferred', { email: a.email, code: err.code });
      return 'deferred';
    }
  }

  private async keepInviteLink(conn: DirectoryConnection, enabled: boolean, state: SyncState, plan: Plan) {
    const offboarded = new Set(plan.actions.filter((a) => a.kind === 'deactivate' && a.evidence.applied === true && a.memberId).map((a) => a.memberId!));
    const actor: Actor = { kind: 'directory', id: conn.id, label: `${conn.provider} directory` };
    return this.linkKeeper.keep(conn, enabled, state.inviteLink, offboarded, actor);
  }

  /** Emails auto-invite skips: a pending invitation, or one an admin revoked (never re-sent behind their back). */
  private async invitedEmails(orgId: string): Promise<string[]> {
    const emails: string[] = [];
    for (let offset = 0; ; offset += SCAN) {
      const page = await this.deps.store.listInvitations(orgId, { statuses: ['pending', 'revoked'], offset, limit: SCAN });
      emails.push(...page.items.map((i) => i.email));
      if (page.items.length < SCAN) return emails;
    }
  }

  private async finish(run: ReconcileRun, summary: RunSummary, actions: PlannedAction[]): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const status: ReconcileRun['status'] = summary.status === 'failed' ? 'failed' : summary.status;
    await this.deps.store.updateRun(run.orgId, run.id, (cur) => ({ next: { ...cur, status, summary: { ...summary }, plan: actions, finishedAt: at, updatedAt: at, ...(summary.error ? { error: summary.error } : {}) } }));
  }

  private async liveMembers(orgId: string): Promise<Member[]> {
    const all: Member[] = [];
    for (let offset = 0; ; offset += SCAN) {
      const page = await this.deps.store.listMembers(orgId, { statuses: ['active', 'inactive'], offset, limit: SCAN });
      all.push(...page.items);
      if (page.items.length < SCAN) return all;
    }
  }
}
