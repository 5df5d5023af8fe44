import { assertNotRemoved, assertWriterMayChange } from './invariants.js';
import type { Actor, ChangeSource, Deactivation, ManagedBy, Member, MemberStatus, StatusEvidence } from './model.js';

/**
 * Status transitions and the one audit shape every status change is written with, whatever its
 * source: actor, source, reason (always), before/after summaries and typed evidence when any.
 */

export type StatusAction = 'member.deactivated' | 'member.activated' | 'member.removed';

const ACTION: Record<MemberStatus, StatusAction> = { inactive: 'member.deactivated', active: 'member.activated', removed: 'member.removed' };

export function statusAction(to: MemberStatus): StatusAction {
  return ACTION[to];
}

export function isStatusAction(action: string): action is StatusAction {
  return action === 'member.deactivated' || action === 'member.activated' || action === 'member.removed';
}

export function deactivated(m: Member, d: Deactivation): Member {
  return { ...m, status: 'inactive', deactivation: d };
}

export function reactivated(m: Member): Member {
  const { deactivation: _dropped, ...rest } = m;
  return { ...rest, status: 'active' };
}

/**
 * The member after moving to `to`, or null when it is there already. A removed member is a
 * tombstone (nothing changes it again, removal included), and a writer changes only what it
 * manages; the last-owner rule is the store's, checked atomically with the write.
 */
export function transition(cur: Member, to: MemberStatus, ctx: { writer: ManagedBy; actor: Actor; reason: string; at: string }): Member | null {
  assertNotRemoved(cur);
  assertWriterMayChange(cur, ctx.writer);
  if (to === 'removed') return { ...cur, status: 'removed', removedAt: ctx.at };
  if (cur.status === to) return null;
  return to === 'inactive' ? deactivated(cur, { by: ctx.actor, reason: ctx.reason, at: ctx.at }) : reactivated(cur);
}

/** The source a change comes from when its caller does not say: read from the actor, then the writer. */
export function sourceOf(actor: Actor, writer?: ManagedBy): ChangeSource {
  switch (actor.kind) {
    case 'scim':
      return 'scim';
    case 'directory':
      return 'reconcile';
    case 'invite':
      return 'join';
    case 'admin':
    case 'cli':
    case 'service':
      return 'admin';
    case 'portal':
    case 'member':
      return 'console';
    case 'system':
      if (writer?.kind === 'scim') return 'scim';
      if (writer?.kind === 'directory') return 'reconcile';
      return 'admin';
  }
}

const VERB: Record<StatusAction, string> = { 'member.deactivated': 'deactivated', 'member.activated': 'activated', 'member.removed': 'removed' };
const BY: Record<ChangeSource, string> = {
  scim: 'by SCIM provisioning',
  reconcile: 'by the directory reconciler',
  notification: 'on a directory change notification',
  admin: 'by an administrator',
  console: 'in the console',
  join: 'by joining',
  merge: 'by an organization merge',
  universal_logout: 'by Universal Logout from the identity provider',
};

/** The reason written when a caller gives none, so every status event says why in words. */
export function defaultReason(source: ChangeSource, action: StatusAction): string {
  return `${VERB[action]} ${BY[source]}`;
}

/** What a member looked like, for audit before/after: enough to explain a change, no bulk data. */
export function memberSummary(m: Member) {
  return {
    userName: m.userName,
    status: m.status,
    role: m.role,
    ...(m.roleSource ? { roleSource: m.roleSource } : {}),
    externalId: m.externalId,
    emails: m.emails.map((e) => e.value),
    managedBy: m.managedBy,
  };
}

/**
 * Evidence as stored: typed evidence is kept as given; an untyped record (a caller that predates
 * the kinds) is kept under the kind `unclassified`, so every stored evidence has a kind.
 */
export function toStatusEvidence(e: StatusEvidence | Readonly<Record<string, unknown>> | undefined): StatusEvidence | undefined {
  if (e === undefined) return undefined;
  if (typeof e.kind === 'string') return { ...e, kind: e.kind };
  return { ...e, kind: 'unclassified' };
}
