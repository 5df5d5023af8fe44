import type { DirectoryProvider, Member } from './model.js';
import type { DirectoryEntry, Plan, PlanPolicy } from './reconcile-evidence.js';
import { planReconcile } from './reconcile-plan.js';

/**
 * A directory's change notification is a hint, never evidence: idsync looks the one user up and
 * plans with the run's own rules and guards (exemptions, owners, SCIM-managed members, members
 * governed by another writer). This is the pure entry point for one looked-up user; nothing here
 * trusts what the notification itself said.
 */

/** What the one point lookup answered. */
export type NotificationLookup = { readonly kind: 'user'; readonly user: DirectoryEntry } | { readonly kind: 'gone'; readonly directoryId: string };

export interface NotificationPlanInput {
  connectionId: string;
  provider: DirectoryProvider;
  members: readonly Member[];
  policy: PlanPolicy;
  lookup: NotificationLookup;
  /** Deactivations the connection's sliding window still allows (0: any deactivation is held). */
  budgetLeft: number;
}

/**
 * The deactivation budget of one sliding window: the run's own budget (the smaller of
 * maxDeactivations and maxDeactivationPercent of the governed active members, at least 1 by
 * percent), counted over the window instead of over one listing. The percentage is of the members
 * governed at the window's start: those active now plus those deactivated since `windowStart`, so
 * the base does not shrink as the window's own deactivations land.
 */
export function notificationWindowBudget(policy: Pick<PlanPolicy, 'maxDeactivations' | 'maxDeactivationPercent'>, members: readonly Member[], windowStart: string): number {
  const since = Date.parse(windowStart);
  const base = members.filter((m) => m.managedBy.kind !== 'scim' && (m.status === 'active' || (m.status === 'inactive' && Date.parse(m.deactivation?.at ?? '') >= since))).length;
  const byPercent = Math.max(1, Math.floor((policy.maxDeactivationPercent / 100) * base));
  return Math.min(policy.maxDeactivations, byPercent);
}

/**
 * Plans for one looked-up user as a one-user delta round: absence means "unchanged" for everyone
 * else, a lookup that found nothing is a confirmed deletion, and the budget guard sees what the
 * window has left. Auto-invite stays with scheduled runs (a notification is about leavers).
 */
export function planNotification(input: NotificationPlanInput): Plan {
  const { lookup } = input;
  const entry: DirectoryEntry = lookup.kind === 'user' ? lookup.user : { id: lookup.directoryId, emails: [], state: 'deleted' };
  return planReconcile({
    connectionId: input.connectionId,
    provider: input.provider,
    members: input.members,
    listing: { users: [entry], complete: true, mode: 'delta' },
    // The window's remaining budget is the whole budget of this one-user plan.
    policy: { ...input.policy, autoInvite: false, maxDeactivations: Math.max(0, input.budgetLeft), maxDeactivationPercent: 100 },
    history: { missing: {} },
    ...(lookup.kind === 'gone' ? { confirmedRemovals: new Set([lookup.directoryId]) } : {}),
  });
}
