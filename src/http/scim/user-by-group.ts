import type { Member } from '../../domain/model.js';
import { mapBounded, STORE_READS_IN_FLIGHT } from '../../ports/bounded.js';
import { pages } from '../../ports/paging.js';
import type { Store } from '../../ports/store.js';
import type { FilterNode } from './filter/parse.js';

const CORE_USER = 'urn:ietf:params:scim:schemas:core:2.0:user';

/**
 * A `groups.value eq "T"` (or `groups[value eq "T"]`) filter, alone or as one conjunct of a
 * top-level `and` chain: the way an IdP pages through the members of one group. `rest` is the
 * and of the other conjuncts, which the caller still evaluates on the team's members.
 */
export interface GroupFilter {
  value: string;
  rest?: FilterNode;
}

export function groupFilter(node: FilterNode): GroupFilter | undefined {
  const parts = conjuncts(node);
  const i = parts.findIndex((p) => groupValueEq(p) !== undefined);
  if (i < 0) return undefined;
  const others = parts.filter((_, j) => j !== i);
  const rest = others.reduce<FilterNode | undefined>((acc, p) => (acc ? { kind: 'and', left: acc, right: p } : p), undefined);
  return { value: groupValueEq(parts[i]!)!, ...(rest ? { rest } : {}) };
}

function conjuncts(node: FilterNode): FilterNode[] {
  return node.kind === 'and' ? [...conjuncts(node.left), ...conjuncts(node.right)] : [node];
}

const isGroups = (attr: string, uri: string | undefined) => attr.toLowerCase() === 'groups' && (!uri || uri.toLowerCase() === CORE_USER);

function groupValueEq(node: FilterNode): string | undefined {
  if (node.kind === 'compare') {
    const { path } = node;
    return node.op === 'eq' && typeof node.value === 'string' && isGroups(path.attr, path.uri) && path.sub?.toLowerCase() === 'value' ? node.value : undefined;
  }
  if (node.kind === 'valuePath' && !node.then && isGroups(node.path.attr, node.path.uri) && !node.path.sub) {
    const f = node.filter;
    return f.kind === 'compare' && f.op === 'eq' && typeof f.value === 'string' && f.path.attr.toLowerCase() === 'value' && !f.path.sub && !f.path.uri ? f.value : undefined;
  }
  return undefined;
}

/**
 * The team a group value names in this org. `groups.value` compares case-insensitively (RFC 7643
 * §8.7.1) and team ids are lower-case UUIDs, so the lower-cased value is tried too.
 */
export async function teamOf(store: Store, orgId: string, value: string): Promise<string | undefined> {
  const t = (await store.getTeam(orgId, value)) ?? (value !== value.toLowerCase() ? await store.getTeam(orgId, value.toLowerCase()) : undefined);
  return t?.id;
}

/**
 * One page of a team's members in the order they were added, from the store's team-membership
 * index; `total` is the team's size. Members leave their teams when removed, so the rare id that
 * no longer names a live member (a removal in flight) is dropped from the page.
 */
export async function teamMembersPage(store: Store, orgId: string, teamId: string, offset: number, limit: number): Promise<{ members: Member[]; total: number }> {
  const page = await store.listTeamMembers(orgId, teamId, { offset, limit });
  return { members: await liveMembers(store, orgId, page.items), total: page.total };
}

/** Every live member of a team, in the order they were added (for filters that combine `groups.value eq`). */
export async function allTeamMembers(store: Store, orgId: string, teamId: string): Promise<Member[]> {
  const out: Member[] = [];
  for await (const ids of pages((page) => store.listTeamMembers(orgId, teamId, page))) {
    out.push(...(await liveMembers(store, orgId, ids)));
    // SQLite answers synchronously: let other requests in between pages of a large team.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

async function liveMembers(store: Store, orgId: string, ids: string[]): Promise<Member[]> {
  const found = await mapBounded(ids, STORE_READS_IN_FLIGHT, (id) => store.getMember(orgId, id));
  return found.filter((m): m is Member => !!m && m.status !== 'removed');
}
