import type { Actor, Member, Team } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';
import { assertTeamWritable, type TeamService } from '../teams.js';
import type { RoleWriteMeta } from './evaluate.js';
import type { RoleMappingService } from './service.js';

/** The `type` of the entitlements that name teams: the Entitlement resource type (as Okta sends it), or Team. */
const TEAM_TYPES = new Set(['entitlement', 'team']);

/**
 * The team ids a SCIM user's `entitlements` attribute names (Okta Identity Governance sends
 * `[{"value": "<id from /Entitlements>", "display": "...", "type": "Entitlement"}]`): entries whose
 * type is Entitlement or Team. Untyped entries and other types (licenses, another IdP's free-form
 * entitlements) are kept on the user as sent and name no team.
 */
export function entitlementTeamIds(entitlements: unknown): string[] {
  if (entitlements === undefined || entitlements === null) return [];
  const entries = Array.isArray(entitlements) ? entitlements : [entitlements];
  const ids = new Set<string>();
  for (const e of entries) {
    if (e === null || typeof e !== 'object') continue;
    const { value, type } = e as { value?: unknown; type?: unknown };
    if (typeof value !== 'string' || value.trim() === '') continue;
    if (typeof type !== 'string' || !TEAM_TYPES.has(type.trim().toLowerCase())) continue;
    ids.add(value.trim());
  }
  return [...ids];
}

/**
 * Team memberships from the entitlements an IdP sends on a user. What the IdP sends now is compared
 * with what it sent before (the member's stored `entitlements`): teams it adds are joined, teams it
 * drops are left, and teams the member is in for another reason (a SCIM group push, an admin) are
 * not touched. Each change goes through the team service (audited, source the SCIM token) and then
 * through the role rule, so a mapping that names the team moves the role as a group push would.
 */
export class IdpEntitlements {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly teams: TeamService,
    private readonly roleMappings: RoleMappingService,
  ) {}

  /** The entitlement values that name no team of the org (checked before the user is written). */
  async unknownTeams(orgId: string, entitlements: unknown): Promise<string[]> {
    const unknown: string[] = [];
    for (const id of entitlementTeamIds(entitlements)) if (!(await this.deps.store.getTeam(orgId, id))) unknown.push(id);
    return unknown;
  }

  /**
   * Refuses entitlements naming a team a directory connection keeps (team.managed_elsewhere), before
   * the user is written: joining or leaving it is that directory's to decide.
   */
  async assertWritable(orgId: string, entitlements: unknown, actor: Actor): Promise<void> {
    for (const id of entitlementTeamIds(entitlements)) {
      const team = await this.deps.store.getTeam(orgId, id);
      if (team) await assertTeamWritable(this.deps, team, actor);
    }
  }

  /** Applies the difference between the entitlements `before` carried and those `after` carries. */
  async apply(orgId: string, before: Member | undefined, after: Member, meta: RoleWriteMeta): Promise<{ joined: string[]; left: string[] }> {
    if (after.status === 'removed') return { joined: [], left: [] };
    const was = new Set(before ? entitlementTeamIds(before.attributes.entitlements) : []);
    const now = new Set(entitlementTeamIds(after.attributes.entitlements));
    const joined: string[] = [];
    const left: string[] = [];
    for (const teamId of now) {
      if (was.has(teamId)) continue;
      const team = await this.deps.store.getTeam(orgId, teamId);
      if (!team) continue;
      if ((await this.teams.addMembers(orgId, teamId, [after.id], meta.actor)).length > 0) {
        joined.push(teamId);
        await this.moved(orgId, team, after.id, meta);
      }
    }
    for (const teamId of was) {
      if (now.has(teamId)) continue;
      const team = await this.deps.store.getTeam(orgId, teamId);
      if (!team) continue;
      if ((await this.teams.removeMembers(orgId, teamId, [after.id], meta.actor)).length > 0) {
        left.push(teamId);
        await this.moved(orgId, team, after.id, meta);
      }
    }
    return { joined, left };
  }

  private async moved(orgId: string, team: Team, memberId: string, meta: RoleWriteMeta): Promise<void> {
    await this.roleMappings.afterGroupChange(orgId, { after: team, memberIds: [memberId] }, meta);
  }
}
