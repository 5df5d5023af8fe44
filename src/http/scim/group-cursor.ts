import type { Team } from '../../domain/model.js';
import { openCursor, queryKey, sealCursor } from './cursor.js';
import { matches } from './filter/evaluate.js';
import type { ListQuery } from './list.js';
import { project } from './projection.js';
import { LIST_SCHEMA } from './schemas.js';

type Json = Record<string, unknown>;

/**
 * A page of Groups by cursor (RFC 9865). An org's teams are read whole in creation order (they are
 * few next to its users), so the position is the last team sent: the next page starts after it,
 * or, if it was deleted meanwhile, after the teams created no later than it. Teams created during
 * the walk come at its end; none is repeated or skipped.
 */
export async function groupCursorPage(pool: readonly Team[], render: (t: Team) => Promise<Json>, q: ListQuery, nowSeconds: number) {
  const key = queryKey(q.filterText);
  let from = 0;
  if (q.cursor) {
    const [createdAt, id] = JSON.parse(openCursor(q.cursor, key, nowSeconds)) as [string, string];
    const at = pool.findIndex((t) => t.id === id);
    from = at >= 0 ? at + 1 : pool.findIndex((t) => t.createdAt > createdAt);
    if (from < 0) from = pool.length;
  }
  const hits: Json[] = [];
  let i = from;
  for (; i < pool.length && hits.length < q.count; i++) {
    const json = await render(pool[i]!);
    if (!q.filter || matches(json, q.filter)) hits.push(json);
  }
  const more = i < pool.length;
  const last = pool[i - 1];
  return {
    schemas: [LIST_SCHEMA],
    ...(q.filter ? {} : { totalResults: pool.length }),
    itemsPerPage: hits.length,
    ...(more && last ? { nextCursor: sealCursor(JSON.stringify([last.createdAt, last.id]), key, nowSeconds) } : {}),
    Resources: hits.map((r) => project(r, q.projection)),
  };
}
