import type { DirectoryProvider, Member } from './model.js';

/**
 * The reconcile planner: a pure function from (members, directory listing, policy, history) to a
 * plan. It decides; the executor (services/reconcile) applies. Guards against the known ways
 * offboarding goes wrong are verdicts in the plan, so a dry run shows exactly what would happen.
 */

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
  /** Emails auto-invite skips: a pending invitation already, or one an admin revoked. */
  pendingInvites?: readonly string[];
}

export type ActionKind = 'link' | 'deactivate' | 'reactivate' | 'invite' | 'drift' | 'protected';

export interface PlannedAction {
  kind: ActionKind;
  memberId?: string;
  directoryId?: string;
  email?: string;
  reason: string;
  /** Why: the listing state, the lookup answer, the missing count, the guard that held it. */
  evidence: Record<string, unknown>;
  /** Deactivations over a guard's budget wait for approval. */
  held?: boolean;
}

export interface GuardVerdict {
  guard: 'listing_complete' | 'size_drop' | 'deactivation_budget';
  passed: boolean;
  detail: string;
}

export interface Plan {
  status: 'completed' | 'held' | 'incomplete';
  actions: PlannedAction[];
  guards: GuardVerdict[];
  counters: { listed: number; matched: number; deactivate: number; reactivate: number; link: number; invite: number; held: number; drift: number; protected: number };
  /** Missing counters to keep for the next run (unchanged when the listing was incomplete). */
  nextMissing: Record<string, number>;
}

/**
 * A full listing that shrank by more than this against the last complete one, or that misses more
 * than this share of the linked members, holds every deactivation.
 */
export const SIZE_DROP_THRESHOLD = 0.2;
/** The size-drop guard needs a baseline (listing size, linked members) this large to mean anything. */
export const SIZE_DROP_MIN_BASELINE = 10;

const lower = (s: string) => s.trim().toLowerCase();
const domainOf = (email: string) => lower(email.slice(email.lastIndexOf('@') + 1));

/** Members found by directory id, for the lookups the executor must make before planning. */
export function missingLinkedMembers(input: Omit<PlanInput, 'lookups'>): { memberId: string; directoryId: string }[] {
  if (input.listing.mode === 'delta') return [];
  const seen = new Set(input.listing.users.map((u) => u.id));
  return linkedActiveMembers(input).filter((x) => !seen.has(x.directoryId));
}

/** Active members this connection governs that are linked to a directory id of its provider. */
function linkedActiveMembers(input: Omit<PlanInput, 'lookups'>): { memberId: string; directoryId: string }[] {
  return input.members
    .filter((m) => m.status === 'active' && governed(m, input.connectionId))
    .map((m) => ({ m, link: m.identities.find((i) => i.provider === input.provider) }))
    .filter((x): x is { m: Member; link: NonNullable<typeof x.link> } => !!x.link)
    .map(({ m, link }) => ({ memberId: m.id, directoryId: link.subject }));
}

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

/** Members this connection may change: created by an admin, an invitation, or this connection. */
function governed(m: Member, connectionId: string): boolean {
  const k = m.managedBy.kind;
  return k === 'admin' || k === 'invite' || (k === 'directory' && m.managedBy.connectionId === connectionId);
}

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

  const actions: PlannedAction[] = [];
  const matchedUsers = new Set<string>();
  const seenMembers = new Set<string>();
  const nextMissing: Record<string, number> = {};
  let matched = 0;

  for (const m of live) {
    const link = m.identities.find((i) => i.provider === provider);
    let u = link ? byId.get(link.subject) : undefined;
    let how = link ? 'identity' : '';
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
    const evidenceBase = { match: how || undefined, directoryId: u?.id ?? link?.subject };

    if (m.managedBy.kind === 'scim') {
      // SCIM belongs to the IdP pushing it; report when the directory disagrees.
      if (m.status === 'active' && u && u.state !== 'active') actions.push({ kind: 'drift', memberId: m.id, directoryId: u.id, reason: `directory says ${u.state}, SCIM says active`, evidence: evidenceBase });
      continue;
    }
    if (!governed(m, connectionId)) continue;
    if (u && !link) actions.push({ kind: 'link', memberId: m.id, directoryId: u.id, reason: `matched by ${how}`, evidence: evidenceBase });

    if (m.status === 'active') {
      let reason: string | undefined;
      const evidence: Record<string, unknown> = { ...evidenceBase };
      if (u && u.state !== 'active') {
        if ((u.state === 'suspended' && policy.deactivateSuspended) || u.state === 'deleted') reason = `${u.state} in the directory`;
        evidence.listing = u.state;
      } else if (!u && link && input.listing.complete && !delta && policy.deactivateMissing) {
        const count = (input.history.missing[m.id] ?? 0) + 1;
        nextMissing[m.id] = count;
        const lookup = input.lookups?.[m.id];
        evidence.missingRuns = count;
        evidence.lookup = lookup ?? 'not made';
        if (lookup === 'deleted') reason = 'missing from the listing; point lookup confirms deletion';
        else if (lookup !== 'present' && count >= policy.confirmMissingRuns) reason = `missing from ${count} consecutive complete listings`;
      }
      if (reason) {
        if (m.role === 'owner' || isExempt) actions.push({ kind: 'protected', memberId: m.id, directoryId: u?.id ?? link?.subject, reason: `${reason}, but ${m.role === 'owner' ? 'owners are' : 'this member is'} exempt`, evidence });
        else actions.push({ kind: 'deactivate', memberId: m.id, directoryId: u?.id ?? link?.subject, reason, evidence });
      }
    } else if (m.status === 'inactive' && u?.state === 'active' && policy.reactivate === 'ifDeactivatedByReconciler') {
      const by = m.deactivation?.by;
      if (by?.kind === 'directory' && by.id === connectionId) actions.push({ kind: 'reactivate', memberId: m.id, directoryId: u.id, reason: 'active again in the directory', evidence: evidenceBase });
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
      actions.push({ kind: 'invite', directoryId: u.id, email, reason: 'active in the directory, not a member', evidence: { directoryId: u.id } });
    }
  }

  const guards = applyGuards(input, live, actions);
  const count = (k: ActionKind, held = false) => actions.filter((a) => a.kind === k && !!a.held === held).length;
  const held = actions.filter((a) => a.held).length;
  return {
    status: !input.listing.complete ? 'incomplete' : held > 0 ? 'held' : 'completed',
    actions,
    guards,
    counters: { listed: users.length, matched, deactivate: count('deactivate'), reactivate: count('reactivate'), link: count('link'), invite: count('invite'), held, drift: count('drift'), protected: count('protected') },
    nextMissing,
  };
}

/** Marks deactivations the guards do not allow as held; returns the verdicts. */
function applyGuards(input: PlanInput, live: readonly Member[], actions: PlannedAction[]): GuardVerdict[] {
  const deactivations = actions.filter((a) => a.kind === 'deactivate');
  const hold = (list: PlannedAction[], guard: string) => list.forEach((a) => Object.assign(a, { held: true, evidence: { ...a.evidence, heldBy: guard } }));
  const verdicts: GuardVerdict[] = [];

  const complete = input.listing.complete;
  verdicts.push({ guard: 'listing_complete', passed: complete, detail: complete ? `${input.listing.users.length} users, complete` : 'the listing did not complete: no one is deactivated' });
  if (!complete) {
    // Even what the partial listing did say (a suspended user) waits: a half-read listing is not
    // trusted to offboard anyone. Approval re-plans from a fresh listing; nothing here is replayed.
    hold(deactivations, 'listing_complete');
    return verdicts;
  }

  if (input.listing.mode === 'delta') {
    verdicts.push({ guard: 'size_drop', passed: true, detail: `delta round (${input.listing.users.length} changes): compared at full rounds only` });
  } else if (sizeDropped(input, verdicts)) {
    hold(deactivations, 'size_drop');
    return verdicts;
  }

  const governedActive = live.filter((m) => m.status === 'active' && m.managedBy.kind !== 'scim').length;
  const byPercent = Math.max(1, Math.floor((input.policy.maxDeactivationPercent / 100) * governedActive));
  const budget = Math.min(input.policy.maxDeactivations, byPercent);
  // Explicit evidence (suspended, deleted, confirmed by lookup) goes first; absence alone last.
  const ordered = [...deactivations].sort((a, b) => weight(a) - weight(b));
  const over = ordered.slice(budget);
  verdicts.push({
    guard: 'deactivation_budget',
    passed: over.length === 0,
    detail: `${deactivations.length} deactivations planned, budget ${budget} (maxDeactivations ${input.policy.maxDeactivations}, ${input.policy.maxDeactivationPercent}% of ${governedActive} = ${byPercent})${over.length ? `: ${over.length} held for approval` : ''}`,
  });
  hold(over, 'deactivation_budget');
  return verdicts;
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

function weight(a: PlannedAction): number {
  if (a.reason.includes('directory') && !a.reason.startsWith('missing')) return 0;
  if (a.reason.includes('point lookup')) return 1;
  return 2;
}
