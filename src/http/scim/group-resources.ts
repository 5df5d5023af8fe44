import { isIdsyncError } from '../../domain/errors.js';
import type { Team } from '../../domain/model.js';
import type { ScimDeps } from './users.js';
import { ScimError } from './errors.js';
import { parseFilter } from './filter/parse.js';
import { etagOf, GROUP_SCHEMA } from './schemas.js';

type Json = Record<string, unknown>;

export function memberValues(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) => {
    const id = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as Json).value : undefined;
    if (typeof id !== 'string' || id === '') throw new ScimError(400, `${where}: each member needs a string "value"`, 'invalidValue');
    return id;
  });
}

/** Ids named by a removal filter such as `members[value eq "a" or value eq "b"]`, if it is that simple. */
export function idsFromMemberFilter(path: string): string[] | undefined {
  const m = /^members\[(.*)\]$/i.exec(path.trim());
  if (!m) return undefined;
  const ids: string[] = [];
  const walk = (n: ReturnType<typeof parseFilter>): boolean => {
    if (n.kind === 'or') return walk(n.left) && walk(n.right);
    if (n.kind === 'compare' && n.op === 'eq' && n.path.attr.toLowerCase() === 'value' && !n.path.sub && typeof n.value === 'string') {
      ids.push(n.value);
      return true;
    }
    return false;
  };
  return walk(parseFilter(m[1]!)) ? ids : undefined;
}

/** Reading teams as SCIM Groups: shared by the list and read routes and by the writes. */
export function groupResources(deps: ScimDeps) {
  const { store, services, baseUrl } = deps;

  async function render(t: Team, withMembers: boolean): Promise<Json> {
    const members = withMembers ? await services.teams.memberIds(t.orgId, t.id) : undefined;
    return {
      schemas: [GROUP_SCHEMA],
      id: t.id,
      ...(t.externalId !== undefined ? { externalId: t.externalId } : {}),
      displayName: t.displayName,
      ...(members ? { members: members.map((id) => ({ value: id, $ref: `${baseUrl}/Users/${id}`, type: 'User' })) } : {}),
      meta: { resourceType: 'Group', created: t.createdAt, lastModified: t.updatedAt, location: `${baseUrl}/Groups/${t.id}`, version: etagOf(t.version) },
    };
  }

  async function team(orgId: string, id: string): Promise<Team> {
    const t = await store.getTeam(orgId, id);
    if (!t) throw new ScimError(404, `Group ${id} not found`);
    return t;
  }

  /** Unknown member ids in a group write are the client's mistake about users, not a missing group. */
  async function withMemberCheck<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isIdsyncError(err, 'member.not_found')) throw new ScimError(400, `${err.message}: members must be users of this organization`, 'invalidValue');
      throw err;
    }
  }

  return { render, team, withMemberCheck };
}

export type GroupResources = ReturnType<typeof groupResources>;
