import { createHash } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import { GROUP_SOURCES, ROLES, type Actor, type GroupSource, type Member, type Role, type RoleMapping, type Team } from '../../domain/model.js';
import { DEFAULT_ROLE, idpRoleDecision, mapsTeam, requestedIdpRole, type RoleDecision } from '../../domain/role-mappings.js';
import { collect } from '../../ports/paging.js';
import type { ServiceDeps } from '../deps.js';
import { parseInput } from '../validate.js';
import { RoleEvaluator, type RoleOutcome, type RoleWriteMeta } from './evaluate.js';
import { sweepOrg, type SweepResult } from './sweep.js';

const setSchema = z.object({
  source: z.enum(GROUP_SOURCES as [GroupSource, ...GroupSource[]]),
  group: z.string().trim().min(1, 'group is required').max(400),
  role: z.enum(ROLES as [Role, ...Role[]]),
  precedence: z.number().int().min(-1000).max(1000).default(0),
});

export type RoleMappingInput = z.input<typeof setSchema>;

/** A role change a mapping would make (preview) or made. */
export interface RoleChange {
  memberId: string;
  userName: string;
  from: Role;
  to: Role;
  /** `skipped`: an owner rule refuses it (the last active owner, owners not allowed by mapping). */
  result: 'change' | 'skipped';
  reason: string;
}

/** One group's mapping id per org: derived from the source and the group as compared (case-insensitively). */
export function roleMappingId(source: GroupSource, group: string): string {
  return `rm_${createHash('sha256').update(`${source}\n${group.trim().toLowerCase()}`).digest('hex').slice(0, 20)}`;
}

const summary = (m: RoleMapping) => ({ source: m.source, group: m.group, role: m.role, precedence: m.precedence });

/**
 * Role mappings of an org: saving or deleting one re-evaluates the members of the groups it names
 * (and only them); SCIM group changes re-evaluate the members they touched (afterGroupChange).
 * Directory-sourced mappings (google, microsoft, github) apply to the teams the reconciler keeps
 * from the connection's selected groups (services/reconcile/team-sync.ts).
 */
export class RoleMappingService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly evaluator: RoleEvaluator,
  ) {}

  async list(orgId: string): Promise<RoleMapping[]> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return this.deps.store.listRoleMappings(orgId);
  }

  /** By id, or by the group it names (`source:group`, e.g. `scim:Engineering-Admins`). */
  async get(orgId: string, ref: string): Promise<RoleMapping> {
    const byId = await this.deps.store.getRoleMapping(orgId, ref);
    const colon = ref.indexOf(':');
    const source = ref.slice(0, colon) as GroupSource;
    const m = byId ?? (colon > 0 && GROUP_SOURCES.includes(source) ? await this.deps.store.getRoleMapping(orgId, roleMappingId(source, ref.slice(colon + 1))) : undefined);
    if (!m) throw new IdsyncError('role_mapping.not_found', `role mapping ${ref} not found`, { mapping: ref });
    return m;
  }

  /** Creates the group's mapping or changes its role and precedence, then applies it to the group's members. */
  async set(orgId: string, input: RoleMappingInput, actor: Actor): Promise<{ mapping: RoleMapping; created: boolean; applied: RoleChange[] }> {
    const data = parseInput(setSchema, input);
    await this.assertOwnerAllowed(orgId, data.role);
    const id = roleMappingId(data.source, data.group);
    const at = this.deps.clock.now().toISOString();
    let created = false;
    let mapping: RoleMapping;
    const update = async () =>
      (
        await this.deps.store.updateRoleMapping(orgId, id, (cur) => {
          const next = { ...cur, role: data.role, precedence: data.precedence };
          if (next.role === cur.role && next.precedence === cur.precedence) return null;
          return { next: { ...next, updatedAt: at }, audit: { orgId, actor, action: 'role_mapping.updated', target: { type: 'role_mapping', id }, before: summary(cur), after: summary(next) } };
        })
      ).record;
    if (await this.deps.store.getRoleMapping(orgId, id)) {
      mapping = await update();
    } else {
      const fresh: RoleMapping = { id, orgId, source: data.source, group: data.group, role: data.role, precedence: data.precedence, createdAt: at, updatedAt: at, version: 1 };
      try {
        mapping = await this.deps.store.createRoleMapping(fresh, { orgId, actor, action: 'role_mapping.created', target: { type: 'role_mapping', id }, after: summary(fresh) });
        created = true;
      } catch (err) {
        if (!isIdsyncError(err, 'role_mapping.exists')) throw err;
        mapping = await update();
      }
    }
    const applied = await this.applyTo(orgId, [mapping], { actor, source: 'admin' });
    return { mapping, created, applied };
  }

  /** Deletes a mapping; the members of its groups fall back to their next mapping or the default role. */
  async delete(orgId: string, ref: string, actor: Actor): Promise<{ mapping: RoleMapping; applied: RoleChange[] }> {
    const mapping = await this.get(orgId, ref);
    await this.deps.store.deleteRoleMapping(orgId, mapping.id, { orgId, actor, action: 'role_mapping.deleted', target: { type: 'role_mapping', id: mapping.id }, before: summary(mapping) });
    return { mapping, applied: await this.applyTo(orgId, [mapping], { actor, source: 'admin' }) };
  }

  /** Whose role would change if this mapping were saved (nothing is written). */
  async preview(orgId: string, input: RoleMappingInput): Promise<{ mapping: RoleMapping; evaluated: number; changes: RoleChange[] }> {
    const data = parseInput(setSchema, input);
    await this.assertOwnerAllowed(orgId, data.role);
    const id = roleMappingId(data.source, data.group);
    const stored = await this.deps.store.listRoleMappings(orgId);
    const at = this.deps.clock.now().toISOString();
    const was = stored.find((m) => m.id === id);
    const proposed: RoleMapping = { ...(was ?? { id, orgId, source: data.source, group: data.group, createdAt: at, updatedAt: at, version: 0 }), role: data.role, precedence: data.precedence };
    const scope = await this.evaluator.scope(orgId, was ? stored.map((m) => (m.id === id ? proposed : m)) : [...stored, proposed]);
    const ids = await this.membersOfGroups(orgId, [proposed]);
    const changes: RoleChange[] = [];
    for (const memberId of ids) {
      const member = await this.deps.store.getMember(orgId, memberId);
      if (!member || member.status === 'removed') continue;
      const d = await this.evaluator.decide(scope, member);
      if (d.kind === 'skipped' || (d.kind === 'change' && d.role !== member.role)) changes.push(change(member, d.role, d.kind === 'skipped' ? 'skipped' : 'change', d.reason));
    }
    return { mapping: proposed, evaluated: ids.length, changes };
  }

  /**
   * After a SCIM group write: re-evaluates `memberIds` when the group is mapped before or after the
   * change (a rename can make it mapped or not). A group no mapping names moves no role.
   */
  async afterGroupChange(orgId: string, change: { before?: Team; after?: Team; memberIds: readonly string[] | (() => Promise<string[]>) }, meta: RoleWriteMeta): Promise<RoleOutcome[]> {
    if (Array.isArray(change.memberIds) && change.memberIds.length === 0) return [];
    const mappings = await this.deps.store.listRoleMappings(orgId);
    const mapped = [change.before, change.after].some((t) => t && mappings.some((m) => mapsTeam(m, t)));
    if (!mapped) return [];
    const ids = typeof change.memberIds === 'function' ? await change.memberIds() : change.memberIds;
    return this.evaluator.reevaluate(await this.evaluator.scope(orgId, mappings), ids, meta);
  }

  /**
   * After a SCIM user write: the role the IdP sends in `roles` (Entra app roles, Okta roles) is
   * taken where no mapping governs the member (idpRoleDecision); a role the IdP set and no longer
   * sends falls back to the default role. Returns the member as it is now.
   */
  async afterUserWrite(orgId: string, member: Member, meta: RoleWriteMeta): Promise<Member> {
    const requested = requestedIdpRole(member.attributes.roles);
    if (requested === null || member.status === 'removed') return member;
    if (requested === undefined && member.roleSource?.kind !== 'idp') return member;
    const scope = await this.evaluator.scope(orgId);
    const matched = await this.evaluator.matchedFor(scope, member.id);
    const decide = (cur: Member): RoleDecision => {
      if (requested === undefined) {
        if (cur.roleSource?.kind !== 'idp' || cur.role === DEFAULT_ROLE) return { kind: 'unchanged' };
        return { kind: 'change', role: DEFAULT_ROLE, roleSource: { kind: 'default' }, reason: 'the identity provider no longer sends a role: the organization\'s default role', evidence: { kind: 'idpRole', value: null } };
      }
      const d = idpRoleDecision(cur, requested.role, matched, scope.org);
      if ('ignored' in d) {
        if (cur.role !== requested.role) this.deps.logger.debug('role sent by the identity provider ignored', { orgId, memberId: cur.id, reason: d.ignored });
        return { kind: 'unchanged' };
      }
      if (cur.role === d.role && cur.roleSource?.kind === 'idp') return { kind: 'unchanged' };
      return { kind: 'change', role: d.role, roleSource: d.roleSource, reason: `role sent by the identity provider (roles value "${requested.value}")`, evidence: { kind: 'idpRole', value: requested.value, ...(requested.type ? { type: requested.type } : {}) } };
    };
    return (await this.evaluator.applyDecision(scope, member, decide, meta)).member;
  }

  /**
   * The same for a team changed by an admin (admin API, CLI), named by id: members added or removed
   * (`memberIds`), or all of them after a rename (`before` given). Source `admin`.
   */
  async afterTeamChange(orgId: string, teamId: string, change: { before?: Team; memberIds?: readonly string[] }, actor: Actor): Promise<RoleOutcome[]> {
    const after = await this.deps.store.getTeam(orgId, teamId);
    const memberIds = change.memberIds ?? (() => collect((page) => this.deps.store.listTeamMembers(orgId, teamId, page)));
    return this.afterGroupChange(orgId, { ...(change.before ? { before: change.before } : {}), ...(after ? { after } : {}), memberIds }, { actor, source: 'admin' });
  }

  /** Deletes a team through `remove`, then re-evaluates its members when a mapping named it. */
  async deleteTeam(orgId: string, team: Team, remove: () => Promise<void>, actor: Actor): Promise<void> {
    const ids = (await this.isTeamMapped(orgId, team)) ? await collect((page) => this.deps.store.listTeamMembers(orgId, team.id, page)) : [];
    await remove();
    await this.afterGroupChange(orgId, { before: team, memberIds: ids }, { actor, source: 'admin' });
  }

  /** Re-evaluates every live member of the org against its mappings, writing moved roles in batches (CLI `role-mappings reconcile`). */
  async reconcile(orgId: string, actor: Actor): Promise<SweepResult> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return sweepOrg(this.deps, this.evaluator, orgId, { actor, source: 'admin' });
  }

  /** Whether a mapping names this team (a membership change of any other team moves no role). */
  async isTeamMapped(orgId: string, team: Team): Promise<boolean> {
    return (await this.deps.store.listRoleMappings(orgId)).some((m) => mapsTeam(m, team));
  }

  private async assertOwnerAllowed(orgId: string, role: Role): Promise<void> {
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    if (role === 'owner' && org.settings.ownerByMapping !== true) {
      throw new IdsyncError('role_mapping.owner_not_allowed', `organization ${orgId} does not let mappings grant the owner role (settings.ownerByMapping)`, { orgId });
    }
  }

  private async applyTo(orgId: string, mappings: RoleMapping[], meta: RoleWriteMeta): Promise<RoleChange[]> {
    const ids = await this.membersOfGroups(orgId, mappings);
    const outcomes = await this.evaluator.reevaluate(await this.evaluator.scope(orgId), ids, meta);
    const names = new Map<string, string>();
    for (const o of outcomes.filter((x) => x.result !== 'unchanged')) names.set(o.memberId, (await this.deps.store.getMember(orgId, o.memberId))?.userName ?? o.memberId);
    return outcomes.filter((o) => o.result !== 'unchanged').map((o) => ({ memberId: o.memberId, userName: names.get(o.memberId)!, from: o.from, to: o.to, result: o.result === 'skipped' ? 'skipped' : 'change', reason: o.reason ?? '' }));
  }

  /** Members of the teams these mappings name (SCIM groups, and directory groups kept as teams). */
  private async membersOfGroups(orgId: string, mappings: RoleMapping[]): Promise<string[]> {
    if (mappings.length === 0) return [];
    const teams = (await collect((page) => this.deps.store.listTeams(orgId, page))).filter((t) => mappings.some((m) => mapsTeam(m, t)));
    const ids = new Set<string>();
    for (const t of teams) for (const id of await collect((page) => this.deps.store.listTeamMembers(orgId, t.id, page))) ids.add(id);
    return [...ids];
  }
}

function change(m: Member, to: Role, result: RoleChange['result'], reason: string): RoleChange {
  return { memberId: m.id, userName: m.userName, from: m.role, to, result, reason };
}
