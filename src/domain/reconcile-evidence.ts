import type { DirectoryProvider, Member } from './model.js';

/**
 * The evidence a reconcile plan carries for each action: what the directory (or a point lookup)
 * said, as typed facts. The guards order deactivations by the strength of this evidence, never by
 * the wording of a reason, so a message can be reworded without changing who is offboarded first.
 */

/** How a member was matched to its directory user. */
export type MatchedBy = 'identity' | 'externalId' | 'email';

/**
 * Why a member is to be deactivated:
 * - `confirmedByLookup`: missing from a complete listing, and a point lookup of that one user said deleted;
 * - `deleted`: the listing (or a delta round) said deleted; `confirmedByLookup` when a point lookup agreed;
 * - `suspended`: the listing said suspended (policy.deactivateSuspended);
 * - `missingRuns`: absent from this many consecutive complete listings, with no lookup saying present.
 */
export type DeactivationEvidence =
  | { readonly kind: 'confirmedByLookup'; readonly directoryId: string; readonly match: MatchedBy; readonly missingRuns: number }
  | { readonly kind: 'deleted'; readonly directoryId: string; readonly match: MatchedBy; readonly confirmedByLookup: boolean }
  | { readonly kind: 'suspended'; readonly directoryId: string; readonly match: MatchedBy }
  | { readonly kind: 'missingRuns'; readonly directoryId: string; readonly match: MatchedBy; readonly missingRuns: number; readonly lookup: 'error' | 'not made' };

export type Evidence =
  | DeactivationEvidence
  | { readonly kind: 'link'; readonly by: 'externalId' | 'email'; readonly directoryId: string }
  | { readonly kind: 'reactivated'; readonly directoryId: string }
  | { readonly kind: 'invite'; readonly directoryId: string; readonly email: string }
  | { readonly kind: 'drift'; readonly directoryId: string; readonly directoryState: 'suspended' | 'deleted' }
  /** A deactivation the directory calls for, refused because the member is an owner or exempt. */
  | { readonly kind: 'protected'; readonly because: 'owner' | 'exempt'; readonly would: DeactivationEvidence };

export type EvidenceKind = Evidence['kind'];

/**
 * The strength order of deactivation evidence, strongest first. Within a budget the strongest go
 * first, and an approval with `--max N` releases the N strongest held ones:
 * 1. a point lookup that answered "deleted" for that one user (`confirmedByLookup`, or `deleted`
 *    with `confirmedByLookup: true`): a per-user answer cannot come from a cut or mis-scoped listing;
 * 2. `deleted` in a listing: an explicit statement, but from a bulk read;
 * 3. `suspended`: explicit, but a reversible state upstream;
 * 4. `missingRuns`: absence only (more consecutive runs ranks higher among these).
 */
export function strengthRank(e: DeactivationEvidence): number {
  switch (e.kind) {
    case 'confirmedByLookup':
      return 0;
    case 'deleted':
      return e.confirmedByLookup ? 0 : 1;
    case 'suspended':
      return 2;
    case 'missingRuns':
      return 3;
  }
}

/** Sort comparator: negative when `a` is stronger evidence than `b`; 0 keeps member order. */
export function compareStrength(a: DeactivationEvidence, b: DeactivationEvidence): number {
  const byRank = strengthRank(a) - strengthRank(b);
  if (byRank !== 0) return byRank;
  if (a.kind === 'missingRuns' && b.kind === 'missingRuns') return b.missingRuns - a.missingRuns;
  return 0;
}

export function isDeactivationEvidence(e: Evidence): e is DeactivationEvidence {
  return e.kind === 'confirmedByLookup' || e.kind === 'deleted' || e.kind === 'suspended' || e.kind === 'missingRuns';
}

/* The plan as data: what the planner reads and what it returns. Everything returned is readonly. */

/** What the planner needs of a directory user (ports/directory DirectoryUser fits). */
export interface DirectoryEntry {
  id: string;
  login?: string;
  primaryEmail?: string | null;
  emails: readonly string[];
  state: 'active' | 'suspended' | 'deleted';
}

export interface PlanPolicy {
  matchByEmail: boolean;
  domains: string[];
  deactivateSuspended: boolean;
  deactivateMissing: boolean;
  confirmMissingRuns: number;
  reactivate: 'never' | 'ifDeactivatedByReconciler';
  maxDeactivations: number;
  maxDeactivationPercent: number;
  exempt: string[];
  autoInvite: boolean;
}

/** `team_shrink`, `groups_complete`: the directory-group guards (team-sync-plan.ts). */
export type GuardName = 'listing_complete' | 'size_drop' | 'deactivation_budget' | 'team_shrink' | 'groups_complete';

export interface GuardVerdict {
  readonly guard: GuardName;
  readonly passed: boolean;
  readonly detail: string;
}

export type ActionKind = 'link' | 'deactivate' | 'reactivate' | 'invite' | 'drift' | 'protected';

type Of<K extends EvidenceKind> = Extract<Evidence, { kind: K }>;

export type PlannedAction =
  | {
      readonly kind: 'deactivate';
      readonly memberId: string;
      readonly email?: undefined;
      readonly directoryId: string;
      readonly reason: string;
      readonly evidence: DeactivationEvidence;
      /** The guard that holds it for approval (absent: it may be applied). */
      readonly heldBy?: GuardName;
      /** Held by a guard, and released by an admin's approval. */
      readonly releasedByApproval?: true;
    }
  | { readonly kind: 'link'; readonly memberId: string; readonly email?: undefined; readonly directoryId: string; readonly reason: string; readonly evidence: Of<'link'>; readonly heldBy?: undefined }
  | { readonly kind: 'reactivate'; readonly memberId: string; readonly email?: undefined; readonly directoryId: string; readonly reason: string; readonly evidence: Of<'reactivated'>; readonly heldBy?: undefined }
  | { readonly kind: 'invite'; readonly memberId?: undefined; readonly directoryId: string; readonly email: string; readonly reason: string; readonly evidence: Of<'invite'>; readonly heldBy?: undefined }
  | { readonly kind: 'drift'; readonly memberId: string; readonly email?: undefined; readonly directoryId: string; readonly reason: string; readonly evidence: Of<'drift'>; readonly heldBy?: undefined }
  | { readonly kind: 'protected'; readonly memberId: string; readonly email?: undefined; readonly directoryId: string; readonly reason: string; readonly evidence: Of<'protected'>; readonly heldBy?: undefined };

export type Deactivation = Extract<PlannedAction, { kind: 'deactivate' }>;

export interface PlanCounters {
  readonly listed: number;
  readonly matched: number;
  /** Deactivations not held (to apply). */
  readonly deactivate: number;
  readonly reactivate: number;
  readonly link: number;
  readonly invite: number;
  readonly held: number;
  readonly drift: number;
  readonly protected: number;
}

export interface Plan {
  /**
   * `held`: a guard holds deactivations for approval, or the size-drop guard judged the listing
   * implausible (even with nothing to deactivate: someone must look). `incomplete`: the listing did
   * not complete.
   */
  readonly status: 'completed' | 'held' | 'incomplete';
  readonly actions: readonly PlannedAction[];
  readonly guards: readonly GuardVerdict[];
  readonly counters: PlanCounters;
  /** Missing counters to keep for the next run (unchanged when the listing was incomplete). */
  readonly nextMissing: Readonly<Record<string, number>>;
}

export interface PlanInput {
  connectionId: string;
  provider: DirectoryProvider;
  /** Live members of the org (removed ones are ignored). */
  members: readonly Member[];
  /**
   * `full` (default): every in-scope user, so a linked member absent from it is missing. `delta`:
   * only users that changed since the last round (Graph delta), so absence means "unchanged" and
   * the size-drop guard has nothing to compare.
   */
  listing: { users: readonly DirectoryEntry[]; complete: boolean; mode?: 'full' | 'delta' };
  policy: PlanPolicy;
  /** Consecutive complete runs each linked member has been missing, and the last complete listing size. */
  history: { missing: Readonly<Record<string, number>>; lastCompleteSize?: number };
  /** Point lookups the executor made for members missing from the listing. */
  lookups?: Readonly<Record<string, 'deleted' | 'present' | 'error'>>;
  /** Directory ids a delta round reported deleted that a point lookup confirmed gone. */
  confirmedRemovals?: ReadonlySet<string>;
  /** Emails auto-invite skips: a pending invitation already, or one an admin revoked. */
  pendingInvites?: readonly string[];
  /**
   * An admin's approval of a held run: up to `release` held deactivations go ahead, strongest
   * evidence first (never ones held for an incomplete listing), and a size-drop verdict is accepted.
   */
  approval?: { release: number };
}
