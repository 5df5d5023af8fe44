import { isIdsyncError } from '../../domain/errors.js';
import type { Actor, DirectoryConnection, ManagedBy } from '../../domain/model.js';
import type { GuardName, Plan, PlannedAction } from '../../domain/reconcile-plan.js';
import type { Logger } from '../../ports/logger.js';
import type { InvitationService } from '../invitations/service.js';
import type { MemberService } from '../members.js';

/**
 * What became of one planned action:
 * - `applied`: written; `refused`: the member rules said no (last owner, managed elsewhere), with the code;
 * - `deferred`: an invitation the org's rules refuse for now (its pending cap): a later run sends it;
 * - `held`: a guard holds it for approval; `planned`: a dry run, nothing was written;
 * - `reported`: nothing to apply (drift, protected members).
 */
export type ActionOutcome =
  | { readonly status: 'applied' }
  | { readonly status: 'refused'; readonly code: string }
  | { readonly status: 'deferred'; readonly code: string }
  | { readonly status: 'held'; readonly by: GuardName }
  | { readonly status: 'planned' }
  | { readonly status: 'reported' };

/** The executor's result: one outcome per plan action, in the plan's order. */
export interface Execution {
  readonly outcomes: readonly ActionOutcome[];
}

/** A plan action as a run records it: the action, its evidence, and what became of it. */
export type RecordedAction = PlannedAction & { readonly outcome: ActionOutcome };

export function recordedPlan(plan: Plan, execution: Execution): RecordedAction[] {
  return plan.actions.map((a, i) => ({ ...a, outcome: execution.outcomes[i]! }));
}

/** Actions of `kind` whose outcome is `status`. */
export function withOutcome<K extends PlannedAction['kind']>(plan: Plan, execution: Execution, kind: K, status: ActionOutcome['status']): Extract<PlannedAction, { kind: K }>[] {
  return plan.actions.filter((a, i): a is Extract<PlannedAction, { kind: K }> => a.kind === kind && execution.outcomes[i]?.status === status);
}

/** What a dry run would do: nothing is written. */
export function dryExecution(plan: Plan): Execution {
  return { outcomes: plan.actions.map((a) => (a.heldBy ? { status: 'held', by: a.heldBy } : a.kind === 'drift' || a.kind === 'protected' ? { status: 'reported' } : { status: 'planned' })) };
}

/** What a notification-driven change records as its evidence: the hint's ids and what the lookup said. */
export interface NotificationEvidence {
  readonly provider: string;
  /** The directory's ids of the message (Graph subscription + notification, GitHub delivery). */
  readonly ids: readonly string[];
  /** What the directory said changed (e.g. `updated`, `organization.member_removed`); a hint only. */
  readonly change: string;
  readonly receivedAt: string;
  /** The point lookup's answer, the only thing the plan trusts. */
  readonly lookup: { readonly state: 'active' | 'suspended' | 'deleted'; readonly reason?: string };
}

/**
 * Where the audit evidence of each change says it comes from: a run (its listing), or a
 * notification (audited with source `notification`).
 */
export type ExecutionSource = { runId: string; listingMode: 'full' | 'delta'; listedUsers: number } | { notification: NotificationEvidence };

/**
 * Applies a plan through the one member write path and reports, per action, what it applied and
 * what was refused. The plan is never changed.
 */
export class PlanExecutor {
  constructor(
    private readonly members: Pick<MemberService, 'deactivate' | 'activate' | 'linkIdentity'>,
    private readonly invitations: Pick<InvitationService, 'invite'>,
  ) {}

  async execute(conn: DirectoryConnection, plan: Plan, log: Logger, source: ExecutionSource): Promise<Execution> {
    const guards = Object.fromEntries(plan.guards.map((g) => [g.guard, g.passed ? 'passed' : 'failed']));
    const actor: Actor = { kind: 'directory', id: conn.id, label: `${conn.provider} directory` };
    const writer: ManagedBy = { kind: 'directory', connectionId: conn.id };
    const outcomes: ActionOutcome[] = [];
    let capReached = false;
    const audit = 'notification' in source ? ('notification' as const) : undefined;
    for (const a of plan.actions) {
      if (a.heldBy) {
        outcomes.push({ status: 'held', by: a.heldBy });
        continue;
      }
      if (a.kind === 'invite') {
        // Once the org's pending cap is reached, the rest wait for a later run without asking again.
        const outcome: ActionOutcome = capReached ? { status: 'deferred', code: 'invite.cap_reached' } : await this.invite(conn, a.email, actor, log);
        capReached ||= outcome.status === 'deferred' && outcome.code === 'invite.cap_reached';
        outcomes.push(outcome);
        continue;
      }
      if (a.kind === 'drift' || a.kind === 'protected') {
        outcomes.push({ status: 'reported' });
        continue;
      }
      try {
        if (a.kind === 'link') await this.members.linkIdentity(conn.orgId, a.memberId, { provider: conn.provider, subject: a.directoryId }, actor, writer);
        else if (a.kind === 'deactivate') await this.members.deactivate(conn.orgId, a.memberId, actor, a.reason, writer, { ...a.evidence, ...source, guards, ...(a.releasedByApproval ? { releasedByApproval: true } : {}) }, audit);
        else await this.members.activate(conn.orgId, a.memberId, actor, a.reason, writer, { ...a.evidence, ...source }, audit);
        outcomes.push({ status: 'applied' });
      } catch (err) {
        // One member's refusal (last owner, managed elsewhere) must not stop the others.
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        outcomes.push({ status: 'refused', code: err.code });
        log.warn('reconcile action refused', { action: a.kind, memberId: a.memberId, code: err.code });
      }
    }
    return { outcomes };
  }

  /** An invitation for a directory user; one the org's rules refuse now (its pending cap) is deferred to a later run. */
  private async invite(conn: DirectoryConnection, email: string, actor: Actor, log: Logger): Promise<ActionOutcome> {
    try {
      await this.invitations.invite(conn.orgId, { email }, actor);
      return { status: 'applied' };
    } catch (err) {
      if (!isIdsyncError(err) || err.status >= 500) throw err;
      if (err.code === 'invite.duplicate') return { status: 'refused', code: err.code };
      log.info('auto-invite deferred', { email, code: err.code });
      return { status: 'deferred', code: err.code };
    }
  }
}
