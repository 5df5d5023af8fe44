import type { Member } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';
import { openCursor, queryKey, sealCursor } from './cursor.js';
import { matches } from './filter/evaluate.js';
import { LIST_SCHEMA } from './schemas.js';
import { mentions, type ListQuery } from './list.js';
import { project, wants } from './projection.js';
import { indexedCandidates } from './user-lookup.js';
import type { ScimJson } from './user-mapper.js';

const LIVE: Member['status'][] = ['active', 'inactive'];
/** Members read per store call while a filtered cursor page fills. */
const BATCH = 1000;
/** A filtered page stops after examining this many members and hands back a cursor (RFC 9865 lets a page hold fewer than count). */
const MAX_EXAMINED = 20_000;

/**
 * A page of Users by cursor (RFC 9865), in creation order by the store's keyset: a page costs the
 * same wherever the walk is, and members created or removed during the walk neither shift nor
 * repeat the others. Unfiltered pages carry the exact totalResults; a filtered walk omits it
 * (the RFC allows that where counting would mean reading everything) unless an index answered.
 */
export async function userCursorPage(store: Store, render: (m: Member, withGroups: boolean) => Promise<ScimJson>, orgId: string, q: ListQuery, nowSeconds: number) {
  const key = queryKey(q.filterText);
  const start = q.cursor ? openCursor(q.cursor, key, nowSeconds) : undefined;
  const withGroups = wants(q.projection, 'groups') || mentions(q.filter, 'groups');
  const after = (position: string | undefined) => (position === undefined ? {} : { after: position });
  const response = (resources: ScimJson[], total: number | undefined, next: string | undefined) => ({
    schemas: [LIST_SCHEMA],
    ...(total !== undefined ? { totalResults: total } : {}),
    itemsPerPage: resources.length,
    ...(next !== undefined ? { nextCursor: sealCursor(next, key, nowSeconds) } : {}),
    Resources: resources.map((r) => project(r, q.projection)),
  });

  if (!q.filter) {
    const page = await store.listMembersAfter(orgId, { statuses: LIVE, kinds: ['person'], ...after(start), limit: q.count });
    const last = page.positions.at(-1);
    // nextCursor only when there is a next page: one index seek tells.
    const more = page.items.length === q.count && last !== undefined && (await store.listMembersAfter(orgId, { statuses: LIVE, kinds: ['person'], after: last, limit: 1 })).items.length > 0;
    return response(await Promise.all(page.items.map((m) => render(m, withGroups))), page.total, more ? last : undefined);
  }

  if (!start) {
    // userName, externalId or email eq: the index has the whole answer, in one page when it fits.
    const candidates = await indexedCandidates(store, orgId, q.filter);
    if (candidates && candidates.length <= q.count) {
      const hits = (await Promise.all(candidates.map((m) => render(m, withGroups)))).filter((r) => matches(r, q.filter!));
      return response(hits, hits.length, undefined);
    }
  }

  const hits: ScimJson[] = [];
  let position = start;
  let examined = 0;
  let exhausted = false;
  while (hits.length < q.count && examined < MAX_EXAMINED) {
    const batch = await store.listMembersAfter(orgId, { statuses: LIVE, kinds: ['person'], ...after(position), limit: BATCH });
    let i = 0;
    for (; i < batch.items.length && hits.length < q.count; i++) {
      examined += 1;
      const json = await render(batch.items[i]!, withGroups);
      if (matches(json, q.filter)) hits.push(json);
      position = batch.positions[i];
    }
    if (i === batch.items.length && batch.items.length < BATCH) {
      exhausted = true;
      break;
    }
  }
  return response(hits, undefined, exhausted ? undefined : position);
}
