import type { Member } from './model.js';
import { type DeactivationEvidence, type DirectoryEntry, type MatchedBy, type Plan, type PlanInput, type PlannedAction } from './reconcile-evidence.js';
import { applyGuards, governed } from './reconcile-guards.js';

/**
 * The reconcile planner: a pure function from (members, directory listing, policy, history) to a
 * plan. It decides; the executor (services/reconcile) applies and reports what it applied, without
 * touching the plan. Guards against the known ways offboarding goes wrong are verdicts in the plan,
 * so a dry run shows exactly what would happen.
 */

export type * from './reconcile-evidence.js';
export { compareStrength, isDeactivationEvidence, strengthRank } from './reconcile-evidence.js';
export { missingLinkedMembers, SIZE_DROP_MIN_BASELINE, SIZE_DROP_THRESHOLD } from './reconcile-guards.js';

const lower = (s: string) => s.trim().toLowerCase();
const domainOf = (email: string) => lower(email.slice(email.lastIndexOf('@') + 1));

/** The domains of the directory's own primary emails. */
function directoryDomains(users: readonly DirectoryEntry[]): Set<string> {
  const out = new Set<string>();
  for (const u of users) if (u.primaryEmail) out.add(domainOf(u.primaryEmail));
  return out;
}

/** The users holding the `wanted` addresses (lower-cased), within `domains`. */
function emailIndex(users: readonly DirectoryEntry[], domains: ReadonlySet<string>, wanted: ReadonlySet<string>): Map<string, DirectoryEntry> {
  const out = new Map<string, DirectoryEntry>();
  const add = (e: string | null | undefined, u: DirectoryEntry) => {
    if (!e) return;
    const key = lower(e);
    if (wanted.has(key) && domains.has(domainOf(key))) out.set(key, u);
  };
  for (const u of users) {
    add(u.primaryEmail, u);
    for (const e of u.emails) add(e, u);
  }
  return out;
}

/** Why an active member should go, from what the listing and the lookups say; undefined when it should stay. */
function deactivationEvidence(input: PlanInput, m: Member, u: DirectoryEntry | undefined, directoryId: string | undefined, match: MatchedBy, nextMissing: Record<string, number>): DeactivationEvidence | undefined {
  const { policy } = input;
  if (u && u.state !== 'active') {
    if (u.state === 'deleted') return { kind: 'deleted', directoryId: u.id, match, confirmedByLookup: input.confirmedRemovals?.has(u.id) ?? false };
    return policy.deactivateSuspended ? { kind: 'suspended', directoryId: u.id, match } : undefined;
  }
  if (u || !directoryId || !input.listing.complete || input.listing.mode === 'delta' || !policy.deactivateMissing) return undefined;
  const missingRuns = (input.history.missing[m.id] ?? 0) + 1;
  nextMissing[m.id] = missingRuns;
  const lookup = input.lookups?.[m.id];
  if (lookup === 'deleted') return { kind: 'confirmedByLookup', directoryId, match, missingRuns };
  if (lookup !== 'present' && missingRuns >= policy.confirmMissingRuns) return { kind: 'missingRuns', directoryId, match, missingRuns, lookup: lookup ?? 'not made' };
  return undefined;
}

function reasonOf(e: DeactivationEvidence): string {
  switch (e.kind) {
    case 'deleted':
    case 'suspended':
      return `${e.kind} in the directory`;
    case 'confirmedByLookup':
      return 'missing from the listing; point lookup confirms deletion';
    case 'missingRuns':
      return `missing from ${e.missingRuns} consecutive complete listings`;
  }
}

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/** Plans one reconcile. The plan returned is frozen: what became of it is the executor's result. */
export function planReconcile(input: PlanInput): Plan {
  const { policy, provider, connectionId } = input;
  const live = input.members.filter((m) => m.status !== 'removed');
  const users = input.listing.users;
  const byId = new Map<string, DirectoryEntry>();
  for (const u of users) byId.set(u.id, u);
  // Email matching looks only for the addresses of members not linked yet: on a large directory,
  // indexing every user's addresses would cost far more than the few members it could match.
  const wanted = new Set(policy.matchByEmail ? live.filter((m) => !m.identities.some((i) => i.provider === provider)).flatMap((m) => m.emails.map((e) => lower(e.value))) : []);
  const domains = policy.domains.length ? new Set(policy.domains.map(lower)) : wanted.size > 0 || policy.autoInvite ? directoryDomains(users) : new Set<string>();
  const byEmail = wanted.size > 0 ? emailIndex(users, domains, wanted) : new Map<string, DirectoryEntry>();
  const exempt = new Set(policy.exempt.map(lower));
  const delta = input.listing.mode === 'delta';

  // Deactivations are collected apart (in member order) for the guards, then put back in place.
  const drafts: (PlannedAction | { deactivate: number; memberId: string; directoryId: string })[] = [];
  const candidates: DeactivationEvidence[] = [];
  const matchedUsers = new Set<string>();
  const seenMembers = new Set<string>();
  const nextMissing: Record<string, number> = {};
  let matched = 0;

  for (const m of live) {
    // Links append (a member may hold several accounts at one provider): the one the listing has counts.
    const links = m.identities.filter((i) => i.provider === provider);
    const link = links.find((i) => byId.has(i.subject)) ?? links[0];
    let u = link ? byId.get(link.subject) : undefined;
    let how: MatchedBy = 'identity';
    if (!u && !link && m.externalId && byId.has(m.externalId)) {
      u = byId.get(m.externalId);
      how = 'externalId';
    }
    if (!u && !link && policy.matchByEmail) {
      u = m.emails.map((e) => byEmail.get(lower(e.value))).find(Boolean);
      how = 'email';
    }
    if (u) {
      matched++;
      matchedUsers.add(u.id);
      seenMembers.add(m.id);
    }
    const isExempt = exempt.has(m.id.toLowerCase()) || m.emails.some((e) => exempt.has(lower(e.value)));

    if (m.managedBy.kind === 'scim') {
      // SCIM belongs to the IdP pushing it; report when the directory disagrees.
      if (m.status === 'active' && u && u.state !== 'active') drafts.push({ kind: 'drift', memberId: m.id, directoryId: u.id, reason: `directory says ${u.state}, SCIM says active`, evidence: { kind: 'drift', directoryId: u.id, directoryState: u.state } });
      continue;
    }
    if (!governed(m, connectionId)) continue;
    if (u && !link && how !== 'identity') drafts.push({ kind: 'link', memberId: m.id, directoryId: u.id, reason: `matched by ${how}`, evidence: { kind: 'link', by: how, directoryId: u.id } });

    if (m.status === 'active') {
      const directoryId = u?.id ?? link?.subject;
      const evidence = deactivationEvidence(input, m, u, directoryId, how, nextMissing);
      if (!evidence || !directoryId) continue;
      const reason = reasonOf(evidence);
      if (m.role === 'owner' || isExempt) {
        const because = m.role === 'owner' ? 'owner' : 'exempt';
        drafts.push({ kind: 'protected', memberId: m.id, directoryId, reason: `${reason}, but ${because === 'owner' ? 'owners are' : 'this member is'} exempt`, evidence: { kind: 'protected', because, would: evidence } });
      } else {
        drafts.push({ deactivate: candidates.length, memberId: m.id, directoryId });
        candidates.push(evidence);
      }
    } else if (m.status === 'inactive' && u?.state === 'active' && policy.reactivate === 'ifDeactivatedByReconciler') {
      const by = m.deactivation?.by;
      if (by?.kind === 'directory' && by.id === connectionId) drafts.push({ kind: 'reactivate', memberId: m.id, directoryId: u.id, reason: 'active again in the directory', evidence: { kind: 'reactivated', directoryId: u.id } });
    }
  }
  // Counters only move on complete full listings; a delta round keeps those of members it did not see.
  if (!input.listing.complete) Object.assign(nextMissing, input.history.missing);
  else if (delta) for (const [id, n] of Object.entries(input.history.missing)) if (!seenMembers.has(id)) nextMissing[id] = n;

  if (policy.autoInvite) {
    const pending = new Set((input.pendingInvites ?? []).map(lower));
    for (const u of users) {
      const email = u.primaryEmail && lower(u.primaryEmail);
      if (u.state !== 'active' || matchedUsers.has(u.id) || !email || !domains.has(domainOf(email)) || pending.has(email)) continue;
      drafts.push({ kind: 'invite', directoryId: u.id, email, reason: 'active in the directory, not a member', evidence: { kind: 'invite', directoryId: u.id, email } });
    }
  }

  const judged = applyGuards(input, live, candidates);
  const actions: PlannedAction[] = drafts.map((d) => {
    if (!('deactivate' in d)) return d;
    const evidence = candidates[d.deactivate]!;
    const heldBy = judged.held.get(d.deactivate);
    return { kind: 'deactivate', memberId: d.memberId, directoryId: d.directoryId, reason: reasonOf(evidence), evidence, ...(heldBy ? { heldBy } : {}), ...(judged.released.has(d.deactivate) ? { releasedByApproval: true as const } : {}) };
  });
  const count = (k: PlannedAction['kind']) => actions.filter((a) => a.kind === k && !a.heldBy).length;
  const held = actions.filter((a) => a.heldBy).length;
  // A size drop nobody approved holds the run even with nothing to deactivate: the directory
  // answered implausibly, and an admin must be told rather than read "completed".
  const suspect = !input.approval && judged.verdicts.some((g) => g.guard === 'size_drop' && !g.passed);
  return deepFreeze({
    status: !input.listing.complete ? 'incomplete' : held > 0 || suspect ? 'held' : 'completed',
    actions,
    guards: judged.verdicts,
    counters: { listed: users.length, matched, deactivate: count('deactivate'), reactivate: count('reactivate'), link: count('link'), invite: count('invite'), held, drift: count('drift'), protected: count('protected') },
    nextMissing,
  });
}
