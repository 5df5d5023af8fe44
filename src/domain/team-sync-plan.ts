import type { DirectoryProvider, Team } from './model.js';
import type { GuardVerdict } from './reconcile-evidence.js';

/**
 * Directory groups kept as teams (issue 17), planned as data: a pure function from (the groups
 * read, the connection's teams and their members, who is who) to team actions and guard verdicts.
 * The executor (services/reconcile/team-sync.ts) applies them through the team service.
 *
 * Rules: an incomplete read plans nothing. A full read makes each selected group's team hold
 * exactly the group's members that are members of the org (matched by their directory identity);
 * a team whose group is gone from a complete full read is emptied. A delta read applies the
 * group's member additions and removals. Removals from one team above
 * max(maxTeamRemovals, maxTeamRemovalPercent % of the team) are held for approval (`team_shrink`);
 * additions, creations and renames go on.
 */

export interface GroupSnapshotIn {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly memberIds: readonly string[];
}
export interface GroupChangeIn {
  readonly id: string;
  readonly key: string;
  readonly name?: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  readonly deleted?: true;
}

export type GroupReadIn =
  | { readonly complete: true; readonly mode: 'full'; readonly groups: readonly GroupSnapshotIn[] }
  | { readonly complete: true; readonly mode: 'delta'; readonly changes: readonly GroupChangeIn[] }
  | { readonly complete: false; readonly mode: 'full' | 'delta'; readonly error: { readonly code: string; readonly message: string } };

export interface TeamSyncInput {
  readonly connectionId: string;
  readonly provider: DirectoryProvider;
  readonly read: GroupReadIn;
  /** The org's teams this connection keeps, with their member ids. */
  readonly teams: readonly { readonly team: Team; readonly memberIds: readonly string[] }[];
  /** displayNames (lower-cased) of the org's other teams: a new team never takes one. */
  readonly otherTeamNames: ReadonlySet<string>;
  /** Directory user id → member id, for the org's live members linked to this provider. */
  readonly memberOf: ReadonlyMap<string, string>;
  readonly policy: { readonly maxTeamRemovals: number; readonly maxTeamRemovalPercent: number };
  /** An admin approved a held run: held removals go ahead. */
  readonly approved?: boolean;
}

interface GroupRef {
  readonly groupId: string;
  readonly key: string;
}

export type TeamAction =
  | (GroupRef & { readonly kind: 'team.create'; readonly name: string; readonly reason: string })
  | (GroupRef & { readonly kind: 'team.rename'; readonly teamId: string; readonly from: string; readonly to: string; readonly reason: string })
  /** `teamId` absent: the team this run creates for the group. */
  | (GroupRef & { readonly kind: 'team.add'; readonly teamId?: string; readonly memberIds: readonly string[]; readonly reason: string })
  | (GroupRef & {
      readonly kind: 'team.remove';
      readonly teamId: string;
      readonly memberIds: readonly string[];
      readonly reason: string;
      /** Team size before the removals (the guard's base). */
      readonly teamSize: number;
      readonly heldBy?: 'team_shrink';
      readonly releasedByApproval?: true;
    });

export interface TeamPlan {
  readonly status: 'completed' | 'held' | 'incomplete';
  readonly actions: readonly TeamAction[];
  readonly guards: readonly GuardVerdict[];
  readonly counters: {
    readonly groups: number;
    /** Group members who are not (linked) members of the org: nothing to add. */
    readonly unmatched: number;
  };
}

/** The most members one run may remove from a team of `size` without an approval. */
export function teamRemovalBudget(size: number, policy: TeamSyncInput['policy']): number {
  return Math.max(policy.maxTeamRemovals, Math.floor((policy.maxTeamRemovalPercent / 100) * size));
}

/** A name no other team of the org has: the group's, else the group's with the provider after it. */
function freeName(name: string, provider: DirectoryProvider, taken: ReadonlySet<string>): string {
  return taken.has(name.toLowerCase()) ? `${name} (${provider})` : name;
}

export function planTeamSync(input: TeamSyncInput): TeamPlan {
  const { read } = input;
  if (!read.complete) {
    return {
      status: 'incomplete',
      actions: [],
      guards: [{ guard: 'groups_complete', passed: false, detail: `the group read did not complete (${read.error.code}): no team is changed` }],
      counters: { groups: 0, unmatched: 0 },
    };
  }
  const byGroup = new Map(input.teams.map((t) => [t.team.directoryGroup!.groupId.toLowerCase(), t]));
  const actions: TeamAction[] = [];
  const shrinks: string[] = [];
  let unmatched = 0;
  const toMembers = (ids: readonly string[]) => {
    const out: string[] = [];
    for (const id of ids) {
      const m = input.memberOf.get(id);
      if (m === undefined) unmatched++;
      else if (!out.includes(m)) out.push(m);
    }
    return out;
  };
  const remove = (ref: GroupRef, t: { team: Team; memberIds: readonly string[] }, ids: string[], reason: string) => {
    if (ids.length === 0) return;
    const size = t.memberIds.length;
    const budget = teamRemovalBudget(size, input.policy);
    const over = ids.length > budget;
    if (over) shrinks.push(`${t.team.displayName}: ${ids.length} of ${size} to remove, budget ${budget}`);
    const held = over && !input.approved;
    actions.push({ kind: 'team.remove', ...ref, teamId: t.team.id, memberIds: ids, reason, teamSize: size, ...(held ? { heldBy: 'team_shrink' as const } : {}), ...(over && input.approved ? { releasedByApproval: true as const } : {}) });
  };
  const sync = (ref: GroupRef, name: string | undefined, add: string[], removeIds: (t: { memberIds: readonly string[] }) => string[], why: string) => {
    const t = byGroup.get(ref.groupId.toLowerCase());
    if (!t) {
      actions.push({ kind: 'team.create', ...ref, name: freeName(name ?? ref.key, input.provider, input.otherTeamNames), reason: `${input.provider} group ${ref.key} is selected` });
      if (add.length) actions.push({ kind: 'team.add', ...ref, memberIds: add, reason: why });
      return;
    }
    if (name !== undefined && name !== t.team.displayName && freeName(name, input.provider, input.otherTeamNames) !== t.team.displayName) {
      actions.push({ kind: 'team.rename', ...ref, teamId: t.team.id, from: t.team.displayName, to: freeName(name, input.provider, input.otherTeamNames), reason: `the ${input.provider} group was renamed` });
    }
    const current = new Set(t.memberIds);
    const adds = add.filter((m) => !current.has(m));
    if (adds.length) actions.push({ kind: 'team.add', ...ref, teamId: t.team.id, memberIds: adds, reason: why });
    remove(ref, t, removeIds(t), why);
  };

  let groups = 0;
  if (read.mode === 'full') {
    const seen = new Set<string>();
    for (const g of read.groups) {
      groups++;
      seen.add(g.id.toLowerCase());
      const wanted = toMembers(g.memberIds);
      const keep = new Set(wanted);
      sync({ groupId: g.id, key: g.key }, g.name, wanted, (t) => t.memberIds.filter((m) => !keep.has(m)), `membership of ${input.provider} group ${g.key} (full read)`);
    }
    for (const t of input.teams) {
      const link = t.team.directoryGroup!;
      if (seen.has(link.groupId.toLowerCase())) continue;
      remove({ groupId: link.groupId, key: link.key }, t, [...t.memberIds], `${input.provider} group ${link.key} is gone from a complete read (deleted or no longer selected)`);
    }
  } else {
    for (const c of read.changes) {
      groups++;
      const ref = { groupId: c.id, key: c.key };
      const t = byGroup.get(c.id.toLowerCase());
      if (c.deleted) {
        if (t) remove(ref, t, [...t.memberIds], `${input.provider} group ${c.key} was deleted`);
        continue;
      }
      const gone = new Set(toMembers(c.removed));
      sync(ref, c.name, toMembers(c.added), (team) => team.memberIds.filter((m) => gone.has(m)), `membership change of ${input.provider} group ${c.key} (delta)`);
    }
  }
  const held = actions.some((a) => a.kind === 'team.remove' && a.heldBy);
  const budgetText = `max(${input.policy.maxTeamRemovals}, ${input.policy.maxTeamRemovalPercent}% of the team)`;
  const guards: GuardVerdict[] = [
    { guard: 'groups_complete', passed: true, detail: `${groups} groups read (${read.mode}), complete` },
    {
      guard: 'team_shrink',
      passed: shrinks.length === 0,
      detail: shrinks.length === 0 ? `no team shrinks past ${budgetText}` : `${shrinks.join('; ')} (${budgetText})${input.approved ? ': released by approval' : ': held for approval'}`,
    },
  ];
  return { status: held ? 'held' : 'completed', actions, guards, counters: { groups, unmatched } };
}
