import { IdsyncError } from './errors.js';
import { assertNotRemoved } from './invariants.js';
import { ROLES, type Member, type Organization, type Role, type RoleMapping, type RoleSource, type StatusEvidence, type Team } from './model.js';

/**
 * The role rule, as pure functions: a member's role is the role of the winning mapping among the
 * mapped groups they belong to (highest precedence, then highest role, then the oldest mapping);
 * with none left, a member whose role came from a mapping falls back to the org's default role,
 * and a member whose role never came from one keeps it. Owners are the exception in both
 * directions: a mapping grants or takes the owner role only where the org allows it
 * (settings.ownerByMapping), and never takes it from the last active owner.
 */

/** The role of a member no mapping governs any more (and of every member SCIM or an admin creates without one). */
export const DEFAULT_ROLE: Role = 'member';

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };

/** A mapping that applies to a member, and the group (as the member's team) through which it does. */
export interface MatchedMapping {
  mapping: RoleMapping;
  /** The group's name as people read it (the team's displayName). */
  groupLabel: string;
  teamId?: string;
}

/**
 * Whether a mapping names this team. A SCIM mapping names a SCIM group (a team no directory keeps)
 * by its id, externalId or displayName; a google, microsoft or github mapping names a team kept
 * from a group of that provider by the group's key (email, object id, slug) or its id. Both
 * compare case-insensitively.
 */
export function mapsTeam(m: RoleMapping, t: Pick<Team, 'id' | 'externalId' | 'displayName' | 'directoryGroup'>): boolean {
  const g = m.group.trim().toLowerCase();
  const d = t.directoryGroup;
  if (m.source !== 'scim') return d !== undefined && d.provider === m.source && (d.key.toLowerCase() === g || d.groupId.toLowerCase() === g);
  if (d !== undefined) return false;
  return t.id.toLowerCase() === g || t.externalId?.toLowerCase() === g || t.displayName.toLowerCase() === g;
}

/** The mappings of an org that match a team, each with the team as its group. */
export function matchesOfTeam(mappings: readonly RoleMapping[], team: Team): MatchedMapping[] {
  return mappings.filter((m) => mapsTeam(m, team)).map((mapping) => ({ mapping, groupLabel: team.displayName, teamId: team.id }));
}

const ownerAllowed = (org: Organization) => org.settings.ownerByMapping === true;

/**
 * The mapping that decides among those that apply: highest precedence, then the higher role, then
 * the first created (the input's order). Owner mappings count only where the org allows them.
 */
export function winningMapping(matched: readonly MatchedMapping[], org: Organization): MatchedMapping | undefined {
  let best: MatchedMapping | undefined;
  for (const m of matched) {
    if (m.mapping.role === 'owner' && !ownerAllowed(org)) continue;
    if (!best) best = m;
    else if (m.mapping.precedence > best.mapping.precedence) best = m;
    else if (m.mapping.precedence === best.mapping.precedence && RANK[m.mapping.role] > RANK[best.mapping.role]) best = m;
  }
  return best;
}

export type RoleDecision =
  | { kind: 'unchanged' }
  /** A new role, or the same role from another source (`role === member.role`). */
  | { kind: 'change'; role: Role; roleSource: RoleSource; reason: string; evidence: StatusEvidence }
  /** The mappings want `role`, and an owner rule refuses it: audited, not applied. */
  | { kind: 'skipped'; role: Role; reason: string; evidence: StatusEvidence };

export function mappingEvidence(w: MatchedMapping): StatusEvidence {
  const { mapping } = w;
  return { kind: 'roleMapping', mappingId: mapping.id, source: mapping.source, group: mapping.group, groupLabel: w.groupLabel, ...(w.teamId ? { teamId: w.teamId } : {}), role: mapping.role, precedence: mapping.precedence };
}

export function describeMapping(w: MatchedMapping): string {
  return `role mapping ${w.mapping.id} (${w.mapping.source} group "${w.groupLabel}" -> ${w.mapping.role})`;
}

const sameSource = (a: RoleSource | undefined, b: RoleSource) => JSON.stringify(a ?? null) === JSON.stringify(b);

/**
 * What the mappings make of a member's role. `activeOwners` is the org's count of active owners as
 * last read (the store checks the last-owner rule again, atomically, when the write happens).
 */
export function decideRole(member: Member, matched: readonly MatchedMapping[], org: Organization, ctx: { activeOwners: number }): RoleDecision {
  if (member.status === 'removed') return { kind: 'unchanged' };
  const src = member.roleSource;
  if (src?.kind === 'manual' && src.overridesMapping && org.settings.manualOverridesWin === true) return { kind: 'unchanged' };
  const winner = winningMapping(matched, org);
  let role: Role;
  let roleSource: RoleSource;
  let reason: string;
  let evidence: StatusEvidence;
  if (winner) {
    role = winner.mapping.role;
    roleSource = { kind: 'mapping', mappingId: winner.mapping.id, source: winner.mapping.source, group: winner.mapping.group };
    reason = `${describeMapping(winner)} governs the role`;
    evidence = mappingEvidence(winner);
  } else {
    if (src?.kind !== 'mapping') return { kind: 'unchanged' };
    // The role the IdP sends on the user, where it does (and may), else the org's default role.
    const idp = requestedIdpRole(member.attributes.roles);
    const useIdp = idp && (idp.role !== 'owner' || ownerAllowed(org));
    role = useIdp ? idp.role : DEFAULT_ROLE;
    roleSource = useIdp ? { kind: 'idp', source: 'scim' } : { kind: 'default' };
    reason = `no mapped group left (was role mapping ${src.mappingId}, ${src.source} group "${src.group}"): ${useIdp ? `the role the identity provider sends (${idp.value})` : "the organization's default role"}`;
    evidence = { kind: 'roleMapping', mappingId: null, previous: src, role };
  }
  if (member.role === role) return sameSource(src, roleSource) ? { kind: 'unchanged' } : { kind: 'change', role, roleSource, reason, evidence };
  if (member.role === 'owner') {
    if (!ownerAllowed(org)) return { kind: 'skipped', role, reason: `${reason}, but owners are changed by hand unless the organization lets mappings set owners (settings.ownerByMapping)`, evidence };
    if (member.status === 'active' && ctx.activeOwners <= 1) return { kind: 'skipped', role, reason: `${reason}, but member ${member.id} is the last active owner and is never demoted`, evidence };
  }
  return { kind: 'change', role, roleSource, reason, evidence };
}

/** The member with the decided role and its source (the decision was made on this very version). */
export function withDecidedRole(cur: Member, d: Extract<RoleDecision, { kind: 'change' }>): Member {
  assertNotRemoved(cur);
  return { ...cur, role: d.role, roleSource: d.roleSource };
}

/**
 * Where a manual role change leaves the member's role source: refused with `member.role_governed`
 * (naming the mapping) when a mapping governs the member and a different role is asked for, unless
 * the org lets manual overrides win, when the override is recorded on the member.
 */
export function manualRoleSource(member: Member, role: Role, matched: readonly MatchedMapping[], org: Organization): RoleSource {
  const winner = winningMapping(matched, org);
  if (!winner || winner.mapping.role === role) return winner ? { kind: 'mapping', mappingId: winner.mapping.id, source: winner.mapping.source, group: winner.mapping.group } : { kind: 'manual' };
  if (org.settings.manualOverridesWin !== true) {
    throw new IdsyncError('member.role_governed', `${describeMapping(winner)} governs the role of member ${member.id}; change the mapping or the group membership, or let manual overrides win (settings.manualOverridesWin)`, {
      memberId: member.id,
      mappingId: winner.mapping.id,
      source: winner.mapping.source,
      group: winner.mapping.group,
      role: winner.mapping.role,
    });
  }
  return { kind: 'manual', overridesMapping: winner.mapping.id };
}

/**
 * The rule between a role the IdP sends on the user (Entra app roles) and the mappings: where a
 * mapping governs the member, the mapping wins and the IdP's role is ignored; otherwise the IdP's
 * role is taken. An owner from the IdP needs settings.ownerByMapping, as from a mapping.
 */
export function idpRoleDecision(member: Member, role: Role, matched: readonly MatchedMapping[], org: Organization): { role: Role; roleSource: RoleSource } | { ignored: string } {
  const winner = winningMapping(matched, org);
  if (winner) return { ignored: `${describeMapping(winner)} governs the role; the role the identity provider sent (${role}) is ignored` };
  if (role === 'owner' && !ownerAllowed(org)) return { ignored: 'the identity provider sent the owner role, which needs settings.ownerByMapping' };
  if (member.role === 'owner' && role !== 'owner' && !ownerAllowed(org)) return { ignored: `the identity provider sent ${role} for an owner; owners are changed by hand unless settings.ownerByMapping` };
  return { role, roleSource: { kind: 'idp', source: 'scim' } };
}

/** A member's role source as shown: recorded, or else read from the role (a role other than the default was set by hand). */
export function roleSourceOf(m: Pick<Member, 'role' | 'roleSource'>): RoleSource {
  return m.roleSource ?? (m.role === DEFAULT_ROLE ? { kind: 'default' } : { kind: 'manual' });
}

/** One line for people (the CLI's ROLE FROM column). */
export function describeRoleSource(s: RoleSource): string {
  switch (s.kind) {
    case 'manual':
      return s.overridesMapping ? `manual (overrides ${s.overridesMapping})` : 'manual';
    case 'mapping':
      return `mapping ${s.mappingId} (${s.source} group ${s.group})`;
    case 'idp':
      return `identity provider (${s.source})`;
    case 'default':
      return 'default';
  }
}

/** The role an IdP asks for on a SCIM user, and the entry it came from. */
export interface IdpRole {
  role: Role;
  /** The entry's value as sent (e.g. Entra's app role value "Admin"). */
  value: string;
  type?: string;
}

/**
 * The role a SCIM user's `roles` attribute asks for (Entra app role assignments, e.g.
 * `[{"primary":"True","type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]`, string booleans
 * already read as booleans): the primary entry, else the first whose value names an org role
 * (case-insensitive). `undefined`: no roles sent; `null`: roles sent, none naming an org role.
 */
export function requestedIdpRole(roles: unknown): IdpRole | null | undefined {
  if (roles === undefined || roles === null) return undefined;
  const entries = (Array.isArray(roles) ? roles : [roles]).filter((e): e is Record<string, unknown> => e !== null && typeof e === 'object');
  if (entries.length === 0) return undefined;
  const named = entries
    .map((e) => ({ e, role: ROLES.find((r) => typeof e.value === 'string' && r === e.value.trim().toLowerCase()) }))
    .filter((x): x is { e: Record<string, unknown>; role: Role } => x.role !== undefined);
  const pick = named.find((x) => x.e.primary === true) ?? named[0];
  if (!pick) return null;
  return { role: pick.role, value: String(pick.e.value), ...(typeof pick.e.type === 'string' ? { type: pick.e.type } : {}) };
}
