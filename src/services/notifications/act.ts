import { createHash, randomUUID } from 'node:crypto';
import type { DirectoryConnection, Member, ReconcileRun } from '../../domain/model.js';
import { notificationWindowBudget, planNotification, type NotificationLookup } from '../../domain/reconcile-notification.js';
import type { Plan } from '../../domain/reconcile-plan.js';
import { isTombstone, type CachedToken, type TokenStore } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';
import { collect } from '../../ports/paging.js';
import { policySchema } from '../connections/policy.js';
import type { ConnectionService } from '../connections/service.js';
import type { ServiceDeps } from '../deps.js';
import { dryExecution, recordedPlan, type NotificationEvidence, type PlanExecutor, type RecordedAction } from '../reconcile/execute.js';
import type { Hint } from './messages.js';

/** The sliding window the deactivation budget is counted over. */
export const BUDGET_WINDOW_MS = 60 * 60 * 1000;
/** How long a hint's lookup-and-act is claimed (a replica that dies mid-way lets a redelivery retry after it). */
const CLAIM_TTL_MS = 10 * 60 * 1000;
/** How long the window budget's base (an org listing) is reused. */
const BUDGET_BASE_TTL_MS = 30_000;

/** What became of one hint (the metric's outcome label for acted messages). */
export type HintOutcome = 'applied' | 'held' | 'unchanged' | 'unknown_user' | 'duplicate' | 'lookup_failed';

/**
 * One hint's lookup-and-act: claimed once across replicas (a store lease keyed by connection, user
 * and message), one point lookup, the run's planner and guards for that user, then the run's
 * executor with source `notification`. The deactivation budget is counted over a sliding window
 * with one store lease per budget slot (`hook:budget:{connection}:{slot}`, TTL = the window): a
 * deactivation takes a free slot, and the slot frees itself when the window has passed, on every
 * replica at once. A deactivation with no free slot is held in the connection's open notification
 * run (status `held`, trigger `notification`); approving it re-plans from a fresh listing like any
 * held run, so nothing is released on the strength of a notification.
 */
export class HintWorker {
  /** One token per connection across hints (each lookup opens a connector; the token outlives it). */
  private readonly tokens = new Map<string, TokenStore>();
  /** Holds are appended one at a time per connection (they extend one run record). */
  private readonly holding = new Map<string, Promise<void>>();
  /** The org listing the window budget's base is counted from, per connection. */
  private readonly bases = new Map<string, { at: number; members: Member[] }>();

  constructor(
    private readonly deps: ServiceDeps,
    private readonly connections: ConnectionService,
    private readonly executor: PlanExecutor,
    private readonly holder: string,
  ) {}

  /** What became of the hint, and for an applied deactivation the seconds since the change (or the message's arrival). */
  async act(conn: DirectoryConnection, hint: Hint, receivedAt: string, log: Logger): Promise<{ outcome: HintOutcome; lagSeconds?: number }> {
    const facts: { changedAt?: string; deactivated?: boolean } = {};
    const outcome = await this.decide(conn, hint, receivedAt, log, facts);
    // The lag is an offboarding measure: a reactivation or a link applied does not count.
    if (!facts.deactivated) return { outcome };
    const changedAt = facts.changedAt;
    const since = Math.min(Date.parse(changedAt ?? receivedAt) || Date.parse(receivedAt), Date.parse(receivedAt));
    return { outcome, lagSeconds: Math.max(0, (this.deps.clock.now().getTime() - since) / 1000) };
  }

  private async decide(conn: DirectoryConnection, hint: Hint, receivedAt: string, log: Logger, facts: { changedAt?: string; deactivated?: boolean }): Promise<HintOutcome> {
    const key = createHash('sha256').update(JSON.stringify([hint.ids, hint.change])).digest('hex').slice(0, 32);
    // A fresh holder per attempt: a lease answers true to its own holder, and a second copy must not pass.
    if (!(await this.deps.store.tryAcquireLease(`hook:act:${conn.id}:${hint.directoryId}:${key}`, `${this.holder}:${randomUUID()}`, CLAIM_TTL_MS))) return 'duplicate';
    let lookup: NotificationLookup;
    let reason: string | undefined;
    try {
      const found = await this.connections.open(conn, { tokenStore: this.tokenStore(conn) }).getUser(hint.directoryId);
      if (isTombstone(found)) {
        lookup = { kind: 'gone', directoryId: found.id };
        reason = found.reason;
        if (found.deletedAt) facts.changedAt = found.deletedAt;
      } else {
        lookup = { kind: 'user', user: found };
        if (found.stateChangedAt) facts.changedAt = found.stateChangedAt;
      }
    } catch (err) {
      // Could not ask is never "deleted": the scheduled run is the safety net.
      log.warn('notification lookup failed; the next run will see the change', { directoryId: hint.directoryId, error: (err as Error).message });
      return 'lookup_failed';
    }
    const policy = policySchema.parse(conn.policy);
    const members = await this.candidates(conn, hint.directoryId, lookup, policy.matchByEmail);
    const input = { connectionId: conn.id, provider: conn.provider, members, policy, lookup };
    let plan = planNotification({ ...input, budgetLeft: 1 });
    if (plan.actions.length === 0) {
      const known = members.some((m) => m.identities.some((i) => i.provider === conn.provider && i.subject === hint.directoryId));
      log.info(known ? 'notification: the lookup changes nothing' : 'notification for a user no member is linked to', { directoryId: hint.directoryId, change: hint.change });
      return known ? 'unchanged' : 'unknown_user';
    }
    const wants = plan.actions.some((a) => a.kind === 'deactivate' && !a.heldBy);
    if (wants && !(await this.takeBudgetSlot(conn, key))) plan = planNotification({ ...input, budgetLeft: 0 });
    const evidence: NotificationEvidence = {
      provider: conn.provider,
      ids: hint.ids,
      change: hint.change,
      receivedAt,
      lookup: lookup.kind === 'gone' ? { state: 'deleted', ...(reason ? { reason } : {}) } : { state: lookup.user.state },
    };
    if (plan.actions.some((a) => a.heldBy)) {
      const prev = this.holding.get(conn.id) ?? Promise.resolve();
      const mine = prev.then(() => this.hold(conn, plan, evidence));
      const settled = mine.catch(() => undefined);
      this.holding.set(conn.id, settled);
      await mine.finally(() => {
        if (this.holding.get(conn.id) === settled) this.holding.delete(conn.id);
      });
      log.warn('notification deactivation held: the sliding-window budget is spent', { directoryId: hint.directoryId });
      return 'held';
    }
    const execution = await this.executor.execute(conn, plan, log, { notification: evidence });
    const applied = execution.outcomes.some((o) => o.status === 'applied');
    facts.deactivated = plan.actions.some((a, i) => a.kind === 'deactivate' && execution.outcomes[i]?.status === 'applied');
    log.info('notification acted on', { directoryId: hint.directoryId, change: hint.change, actions: plan.actions.map((a) => a.kind), applied });
    return applied ? 'applied' : 'unchanged';
  }

  /** Keyed by connection and version: changed credentials start without the old token. */
  private tokenStore(conn: DirectoryConnection): TokenStore {
    const key = `${conn.id}:${conn.version}`;
    let t = this.tokens.get(key);
    if (!t) {
      let cached: CachedToken | undefined;
      t = { get: () => cached, set: (v) => void (cached = v) };
      for (const k of this.tokens.keys()) if (k.startsWith(`${conn.id}:`)) this.tokens.delete(k);
      this.tokens.set(key, t);
    }
    return t;
  }

  /**
   * The members the planner could match to this one user, found through the store's indexes
   * (identity link, externalId, and with matchByEmail the user's addresses) rather than by listing
   * the org: the planner's rules see every member that could be this user.
   */
  private async candidates(conn: DirectoryConnection, directoryId: string, lookup: NotificationLookup, byEmail: boolean): Promise<Member[]> {
    const found = new Map<string, Member>();
    const add = (m: Member | undefined) => {
      if (m && m.status !== 'removed') found.set(m.id, m);
    };
    add(await this.deps.store.findMemberByIdentity(conn.orgId, conn.provider, directoryId));
    for (const m of await this.deps.store.findMembersByExternalId(conn.orgId, directoryId)) add(m);
    if (byEmail && lookup.kind === 'user') {
      const emails = new Set([lookup.user.primaryEmail, ...lookup.user.emails].filter((e): e is string => !!e).map((e) => e.toLowerCase()));
      for (const e of emails) for (const m of await this.deps.store.findMembersByEmail(conn.orgId, e)) add(m);
    }
    return [...found.values()];
  }

  /** A free slot of the window's budget, or false when every slot is taken. */
  private async takeBudgetSlot(conn: DirectoryConnection, key: string): Promise<boolean> {
    const budget = await this.windowBudget(conn);
    for (let slot = 0; slot < budget; slot++) {
      if (await this.deps.store.tryAcquireLease(`hook:budget:${conn.id}:${slot}`, `${this.holder}:${key}`, BUDGET_WINDOW_MS)) return true;
    }
    return false;
  }

  /**
   * The window's budget, from a listing of the org kept for BUDGET_BASE_TTL_MS: its base (members
   * governed at the window's start) barely moves within the window, and a burst must not list the
   * org once per notification.
   */
  private async windowBudget(conn: DirectoryConnection): Promise<number> {
    const now = this.deps.clock.now().getTime();
    const policy = policySchema.parse(conn.policy);
    let base = this.bases.get(conn.id);
    if (!base || now - base.at > BUDGET_BASE_TTL_MS) {
      base = { at: now, members: await collect((page) => this.deps.store.listMembers(conn.orgId, { statuses: ['active', 'inactive'], kinds: ['person'], ...page })) };
      this.bases.set(conn.id, base);
    }
    return notificationWindowBudget(policy, base.members, new Date(now - BUDGET_WINDOW_MS).toISOString());
  }

  /**
   * Adds the held actions to the connection's open notification run (the newest run, when it is a
   * held notification run, still held when it is written), or opens one. Two replicas holding at
   * the same instant may open two; approving either re-plans from a fresh listing, which covers both.
   */
  private async hold(conn: DirectoryConnection, plan: Plan, evidence: NotificationEvidence): Promise<void> {
    const actions: RecordedAction[] = recordedPlan(plan, dryExecution(plan)).map((a) => ({ ...a, notification: evidence }));
    const at = this.deps.clock.now().toISOString();
    const newest = (await this.deps.store.listRuns(conn.id, { limit: 1 })).items[0];
    if (newest && newest.status === 'held' && newest.trigger === 'notification') {
      // Only while it is still held: one approved or rejected meanwhile would bury these actions.
      const { changed } = await this.deps.store.updateRun(conn.orgId, newest.id, (cur) => {
        if (cur.status !== 'held') return null;
        const held = (Number(cur.summary.held) || 0) + actions.length;
        return { next: { ...cur, plan: [...cur.plan, ...actions], summary: { ...cur.summary, held }, updatedAt: at } };
      });
      if (changed) return;
    }
    const run: ReconcileRun = {
      id: randomUUID(),
      orgId: conn.orgId,
      connectionId: conn.id,
      dryRun: false,
      status: 'held',
      trigger: 'notification',
      startedAt: at,
      finishedAt: at,
      summary: { status: 'held', held: actions.length, deactivated: 0, guards: [...plan.guards], source: 'notification' },
      plan: actions,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createRun(run);
  }
}
