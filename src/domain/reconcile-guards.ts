import type { Member } from './model.js';
import { compareStrength, type DeactivationEvidence, type GuardName, type GuardVerdict, type PlanInput } from './reconcile-evidence.js';

/**
 * The guards against the known ways offboarding goes wrong, as verdicts: an incomplete listing, a
 * listing that shrank implausibly, more deactivations than the budget. They decide which planned
 * deactivations are held, by the strength of their evidence (never by the wording of a reason).
 */

/**
 * A full listing that shrank by more than this against the last complete one, or that misses more
 * than this share of the linked members, holds every deactivation.
 */
export const SIZE_DROP_THRESHOLD = 0.2;
/** The size-drop guard needs a baseline (listing size, linked members) this large to mean anything. */
export const SIZE_DROP_MIN_BASELINE = 10;

export interface GuardOutcome {
  verdicts: GuardVerdict[];
  /** Index (into the candidates given) → the guard holding it. */
  held: Map<number, GuardName>;
  /** Indexes held by a guard and released by the approval. */
  released: Set<number>;
}

/**
 * Active members this connection governs that are linked to a directory id of its provider, with
 * every account they hold there (links append: a personal sign-in and the directory account).
 */
export function linkedActiveMembers(input: Omit<PlanInput, 'lookups'>): { memberId: string; directoryIds: string[] }[] {
  return input.members
    .filter((m) => m.status === 'active' && governed(m, input.connectionId))
    .map((m) => ({ memberId: m.id, directoryIds: m.identities.filter((i) => i.provider === input.provider).map((i) => i.subject) }))
    .filter((x) => x.directoryIds.length > 0);
}

/**
 * Members none of whose accounts the full listing has, for the lookups the executor must make
 * before planning (by the first account, the one the planner falls back to).
 */
export function missingLinkedMembers(input: Omit<PlanInput, 'lookups'>): { memberId: string; directoryId: string }[] {
  if (input.listing.mode === 'delta') return [];
  const seen = new Set(input.listing.users.map((u) => u.id));
  return linkedActiveMembers(input)
    .filter((x) => !x.directoryIds.some((id) => seen.has(id)))
    .map((x) => ({ memberId: x.memberId, directoryId: x.directoryIds[0]! }));
}

/** Members this connection may change: created by an admin, an invitation, or this connection. */
export function governed(m: Member, connectionId: string): boolean {
  const k = m.managedBy.kind;
  return k === 'admin' || k === 'invite' || (k === 'directory' && m.managedBy.connectionId === connectionId);
}

/** Judges the planned deactivations (`candidates`, in member order); pure. */
export function applyGuards(input: PlanInput, live: readonly Member[], candidates: readonly DeactivationEvidence[]): GuardOutcome {
  const verdicts: GuardVerdict[] = [];
  const held = new Map<number, GuardName>();
  const released = new Set<number>();
  // Strongest evidence first; a stable sort keeps member order among equals.
  const ordered = candidates.map((e, i) => ({ e, i })).sort((a, b) => compareStrength(a.e, b.e));
  const hold = (list: { i: number }[], guard: GuardName) => list.forEach(({ i }) => held.set(i, guard));
  const approve = (list: { i: number }[]) => {
    // Held entries are already in strength order: the approval takes the strongest.
    for (const { i } of list.slice(0, input.approval?.release ?? 0)) {
      held.delete(i);
      released.add(i);
    }
  };

  const complete = input.listing.complete;
  verdicts.push({ guard: 'listing_complete', passed: complete, detail: complete ? `${input.listing.users.length} users, complete` : 'the listing did not complete: no one is deactivated' });
  if (!complete) {
    // Even what the partial listing did say (a suspended user) waits: a half-read listing is not
    // trusted to offboard anyone, and an approval does not release these (it re-plans from a fresh listing).
    hold(ordered, 'listing_complete');
    return { verdicts, held, released };
  }

  if (input.listing.mode === 'delta') {
    verdicts.push({ guard: 'size_drop', passed: true, detail: `delta round (${input.listing.users.length} changes): compared at full rounds only` });
  } else if (sizeDropped(input, verdicts)) {
    hold(ordered, 'size_drop');
    approve(ordered);
    return { verdicts, held, released };
  }

  const governedActive = live.filter((m) => m.status === 'active' && m.managedBy.kind !== 'scim').length;
  const byPercent = Math.max(1, Math.floor((input.policy.maxDeactivationPercent / 100) * governedActive));
  const budget = Math.min(input.policy.maxDeactivations, byPercent);
  const over = ordered.slice(budget);
  verdicts.push({
    guard: 'deactivation_budget',
    passed: over.length === 0,
    detail: `${candidates.length} deactivations planned, budget ${budget} (maxDeactivations ${input.policy.maxDeactivations}, ${input.policy.maxDeactivationPercent}% of ${governedActive} = ${byPercent})${over.length ? `: ${over.length} held for approval` : ''}`,
  });
  hold(over, 'deactivation_budget');
  approve(over);
  return { verdicts, held, released };
}

/** Records the size-drop verdict of a full listing; true when it holds every deactivation. */
function sizeDropped(input: PlanInput, verdicts: GuardVerdict[]): boolean {
  const base = input.history.lastCompleteSize;
  const size = input.listing.users.length;
  const shrank = base !== undefined && base >= SIZE_DROP_MIN_BASELINE && size < base * (1 - SIZE_DROP_THRESHOLD);
  // Measured against the org too, not only against the last listing: a baseline taken from an
  // implausible listing (an empty one the guard held last run) must not let the next one through.
  const linked = linkedActiveMembers(input).length;
  const missing = missingLinkedMembers(input).length;
  const vanished = linked >= SIZE_DROP_MIN_BASELINE && missing > linked * SIZE_DROP_THRESHOLD;
  const dropped = shrank || vanished;
  const listed = base === undefined ? 'no earlier complete listing to compare' : `${size} users now, ${base} in the last complete listing`;
  verdicts.push({
    guard: 'size_drop',
    passed: !dropped,
    detail: `${listed}; ${missing} of ${linked} linked members missing${dropped ? `: a drop over ${SIZE_DROP_THRESHOLD * 100}% holds every deactivation` : ''}`,
  });
  return dropped;
}
