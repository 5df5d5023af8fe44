import { isIdsyncError } from '../../domain/errors.js';
import type { Actor, ChangeSource, Member, Organization, Role, RoleMapping, Team } from '../../domain/model.js';
import { decideRole, matchesOfTeam, withDecidedRole, type MatchedMapping, type RoleDecision } from '../../domain/role-mappings.js';
import type { ServiceDeps } from '../deps.js';
import type { MemberWriter, WriteResult } from '../members/writer.js';

/** Members whose roles one store transaction writes (a mapped group of a few hundred is one batch). */
const BATCH = 500;

interface Pending {
  member: Member;
  decide: (cur: Member) => RoleDecision;
}

/** What re-evaluating one member did. */
export interface RoleOutcome {
  memberId: string;
  result: 'changed' | 'skipped' | 'unchanged';
  from: Role;
  /** The role written, or (skipped) the role the mappings wanted. */
  to: Role;
  reason?: string;
}

/** One evaluation pass over an org: its settings and mappings read once, each team matched once. */
export interface RoleScope {
  org: Organization;
  mappings: RoleMapping[];
  activeOwners: number;
  teams: Map<string, MatchedMapping[]>;
}

export interface RoleWriteMeta {
  actor: Actor;
  source: ChangeSource;
}

/**
 * Applies the role rule (domain/role-mappings.ts) to the members a change touched, and only to
 * them: each member's groups are read, matched against the org's mappings, and a changed role is
 * written through the MemberWriter with the mapping and the group as its reason. A change an owner
 * rule refuses is audited as `member.role_change_skipped`.
 */
export class RoleEvaluator {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly writer: MemberWriter,
  ) {}

  /** `mappings`: evaluate as if these were the org's (a preview); default the stored ones. */
  async scope(orgId: string, mappings?: RoleMapping[]): Promise<RoleScope> {
    const org = await this.writer.org(orgId);
    const owners = await this.deps.store.listMembers(orgId, { statuses: ['active'], roles: ['owner'], limit: 1 });
    return { org, mappings: mappings ?? (await this.deps.store.listRoleMappings(orgId)), activeOwners: owners.total, teams: new Map() };
  }

  /** The mappings that apply to a member through the teams it is in. */
  async matchedFor(scope: RoleScope, memberId: string): Promise<MatchedMapping[]> {
    const orgId = scope.org.id;
    const out: MatchedMapping[] = [];
    for (const teamId of await this.deps.store.listMemberTeams(orgId, memberId)) {
      let matched = scope.teams.get(teamId);
      if (!matched) {
        const team = await this.deps.store.getTeam(orgId, teamId);
        matched = team ? this.teamMatches(scope, team) : [];
      }
      out.push(...matched);
    }
    // The input order of the tie-break is the mappings' creation order, whatever the team order.
    const order = new Map(scope.mappings.map((m, i) => [m.id, i]));
    return out.sort((a, b) => (order.get(a.mapping.id) ?? 0) - (order.get(b.mapping.id) ?? 0));
  }

  /** What the rule makes of one member, without writing. */
  async decide(scope: RoleScope, member: Member): Promise<RoleDecision> {
    return decideRole(member, await this.matchedFor(scope, member.id), scope.org, scope);
  }

  /**
   * Re-evaluates these members and writes what changes: the roles that move are written in batches
   * of BATCH members, each batch one store transaction (updateMembers) with an audit event per
   * member. A batch the store refuses as a whole (the last active owner, counted atomically) is
   * written again member by member, so only the member that would break the rule is skipped.
   * Members gone meanwhile are skipped.
   */
  async reevaluate(scope: RoleScope, memberIds: readonly string[], meta: RoleWriteMeta): Promise<RoleOutcome[]> {
    const out: RoleOutcome[] = [];
    const ids = [...new Set(memberIds)];
    for (let i = 0; i < ids.length; i += BATCH) {
      // Issued together: on Redis and PostgreSQL the reads of a batch overlap instead of queueing one round trip each.
      const read = await Promise.all(ids.slice(i, i + BATCH).map((id) => this.deps.store.getMember(scope.org.id, id)));
      out.push(...(await this.reevaluateMembers(scope, read.filter((m): m is Member => m !== undefined), meta)));
    }
    return out;
  }

  /** reevaluate on members already read (a sweep's page); removed ones are skipped. */
  async reevaluateMembers(scope: RoleScope, members: readonly Member[], meta: RoleWriteMeta): Promise<RoleOutcome[]> {
    const out: RoleOutcome[] = [];
    for (let i = 0; i < members.length; i += BATCH) {
      const pending: Pending[] = [];
      const live = members.slice(i, i + BATCH).filter((m) => m.status !== 'removed');
      const matches = await Promise.all(live.map((m) => this.matchedFor(scope, m.id)));
      for (const [j, member] of live.entries()) {
        const matched = matches[j]!;
        const decide = (cur: Member) => decideRole(cur, matched, scope.org, scope);
        if (decide(member).kind === 'change') pending.push({ member, decide });
        else out.push((await this.applyDecision(scope, member, decide, meta)).outcome);
      }
      out.push(...(await this.writeBatch(scope, pending, meta)));
    }
    return out;
  }

  private async writeBatch(scope: RoleScope, pending: Pending[], meta: RoleWriteMeta): Promise<RoleOutcome[]> {
    if (pending.length === 0) return [];
    const oneByOne = async () => {
      const out: RoleOutcome[] = [];
      for (const { member, decide } of pending) out.push((await this.applyDecision(scope, member, decide, meta)).outcome);
      return out;
    };
    if (pending.length === 1) return oneByOne();
    const reasons = new Map<string, string>();
    let results: WriteResult[];
    try {
      results = await this.writer.updateMany(
        scope.org.id,
        pending.map(({ member, decide }) => ({
          id: member.id,
          edit: (cur: Member) => {
            const d = decide(cur);
            if (d.kind !== 'change') return null;
            reasons.set(cur.id, d.reason);
            return { next: withDecidedRole(cur, d), action: d.role === cur.role ? 'member.role_source_changed' : 'member.role_changed', reason: d.reason, evidence: d.evidence };
          },
        })),
        meta,
        { kind: 'admin' },
      );
    } catch (err) {
      if (isIdsyncError(err, 'member.last_owner') || isIdsyncError(err, 'member.removed') || isIdsyncError(err, 'member.not_found')) return oneByOne();
      throw err;
    }
    return results.map(({ member: after, changed, action }, i) => {
      const before = pending[i]!.member;
      if (after.role === 'owner' && before.role !== 'owner' && after.status === 'active') scope.activeOwners += 1;
      if (before.role === 'owner' && after.role !== 'owner' && before.status === 'active') scope.activeOwners -= 1;
      const reason = reasons.get(before.id);
      return { memberId: before.id, result: changed && action === 'member.role_changed' ? 'changed' : 'unchanged', from: before.role, to: after.role, ...(reason ? { reason } : {}) };
    });
  }

  /**
   * Writes what `decide` makes of the member: decided first on the member as read (a skip is
   * audited), then again on the version being written (the store re-runs it after a lost race).
   */
  async applyDecision(scope: RoleScope, member: Member, decide: (cur: Member) => RoleDecision, meta: RoleWriteMeta): Promise<{ outcome: RoleOutcome; member: Member }> {
    const first = decide(member);
    const same = (m: Member) => ({ outcome: { memberId: member.id, result: 'unchanged' as const, from: member.role, to: member.role }, member: m });
    if (first.kind === 'unchanged') return same(member);
    if (first.kind === 'skipped') return { outcome: await this.skip(member, first.role, first.reason, first.evidence, meta), member };
    try {
      const { member: after, changed, action } = await this.writer.update(scope.org.id, member.id, meta, { kind: 'admin' }, (cur) => {
        const d = decide(cur);
        if (d.kind !== 'change') return null;
        return { next: withDecidedRole(cur, d), action: d.role === cur.role ? 'member.role_source_changed' : 'member.role_changed', reason: d.reason, evidence: d.evidence };
      });
      if (after.role === 'owner' && member.role !== 'owner' && after.status === 'active') scope.activeOwners += 1;
      if (member.role === 'owner' && after.role !== 'owner' && member.status === 'active') scope.activeOwners -= 1;
      return { outcome: { memberId: member.id, result: changed && action === 'member.role_changed' ? 'changed' : 'unchanged', from: member.role, to: after.role, reason: first.reason }, member: after };
    } catch (err) {
      // The store's own last-owner check, atomic with the write, caught what the count read before could not.
      if (isIdsyncError(err, 'member.last_owner')) return { outcome: await this.skip(member, first.role, `${first.reason}, but member ${member.id} is the last active owner and is never demoted`, first.evidence, meta), member };
      if (isIdsyncError(err, 'member.removed') || isIdsyncError(err, 'member.not_found')) return same(member);
      throw err;
    }
  }

  private async skip(member: Member, role: Role, reason: string, evidence: Record<string, unknown> & { kind: string }, meta: RoleWriteMeta): Promise<RoleOutcome> {
    await this.writer.recordSkipped(member, 'member.role_change_skipped', { ...meta, reason, evidence }, { role });
    return { memberId: member.id, result: 'skipped', from: member.role, to: role, reason };
  }

  private teamMatches(scope: RoleScope, team: Team): MatchedMapping[] {
    let m = scope.teams.get(team.id);
    if (!m) {
      m = matchesOfTeam(scope.mappings, team);
      scope.teams.set(team.id, m);
    }
    return m;
  }
}
