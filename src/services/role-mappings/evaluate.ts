import { isIdsyncError } from '../../domain/errors.js';
import type { Actor, ChangeSource, Member, Organization, Role, RoleMapping, Team } from '../../domain/model.js';
import { decideRole, matchesOfTeam, withDecidedRole, type MatchedMapping, type RoleDecision } from '../../domain/role-mappings.js';
import type { ServiceDeps } from '../deps.js';
import type { MemberWriter } from '../members/writer.js';

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

  /** Re-evaluates these members and writes what changes. Members gone meanwhile are skipped. */
  async reevaluate(scope: RoleScope, memberIds: readonly string[], meta: RoleWriteMeta): Promise<RoleOutcome[]> {
    const out: RoleOutcome[] = [];
    for (const id of new Set(memberIds)) {
      const member = await this.deps.store.getMember(scope.org.id, id);
      if (!member || member.status === 'removed') continue;
      const matched = await this.matchedFor(scope, id);
      out.push(await this.apply(scope, member, matched, meta));
    }
    return out;
  }

  private async apply(scope: RoleScope, member: Member, matched: MatchedMapping[], meta: RoleWriteMeta): Promise<RoleOutcome> {
    return (await this.applyDecision(scope, member, (cur) => decideRole(cur, matched, scope.org, scope), meta)).outcome;
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
