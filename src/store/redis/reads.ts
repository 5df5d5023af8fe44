import { MEMBER_KINDS, MEMBER_STATUSES, ROLES, type AuditEvent, type Member, type OutboxRecord } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type MemberKeysetPage, type MemberQuery, type Page, type PageRequest } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { parseJson, type RedisContext } from './context.js';

/** MGET of JSON records under one hash tag, in the order of `keys`; missing ones are dropped. */
export async function readRecords<T>(ctx: RedisContext, keys: string[]): Promise<T[]> {
  if (keys.length === 0) return [];
  const raw = await ctx.call((c) => c.mget(keys));
  return raw.map((r) => parseJson<T>(r)).filter((r): r is T => r !== undefined);
}

/** Creation order (ascending ordinal) or newest first. */
export type SetOrder = 'asc' | 'desc';

/** A creation-ordered page of ids from one sorted set, with its exact size, read in one snapshot. */
export async function pageOfSortedSet(ctx: RedisContext, key: string, page: PageRequest | undefined, order: SetOrder = 'asc'): Promise<Page<string>> {
  const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
  if (limit === 0) return { items: [], total: await ctx.call((c) => c.zcard(key)) };
  const last = String(offset + limit - 1);
  const [total, ids] = await ctx.snapshot((m) => (order === 'asc' ? m.zcard(key).zrange(key, offset, last) : m.zcard(key).zrevrange(key, offset, last)));
  return { items: ids as string[], total: total as number };
}

/**
 * A page of the union of disjoint sorted sets that share one hash tag and one ordinal, in ordinal
 * order: the first offset+limit entries of the union are among the first offset+limit of each set,
 * so it is the k-way merge of those prefixes, and the total is the sum of the sets' sizes. Both come
 * from one MULTI snapshot, so totals are exact; the cost grows with the offset (k × (offset + limit)).
 */
export async function pageOfUnion(ctx: RedisContext, sets: readonly string[], page: PageRequest | undefined, order: SetOrder = 'asc'): Promise<Page<string>> {
  if (sets.length === 1) return pageOfSortedSet(ctx, sets[0]!, page, order);
  const { offset, limit } = clampPage(page, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
  const rows = await ctx.snapshot((m) => {
    for (const set of sets) {
      m.zcard(set);
      if (limit === 0) continue;
      if (order === 'asc') m.zrange(set, 0, String(offset + limit - 1), 'WITHSCORES');
      else m.zrevrange(set, 0, String(offset + limit - 1), 'WITHSCORES');
    }
    return m;
  });
  let total = 0;
  const scored: { id: string; ord: number }[] = [];
  const stride = limit > 0 ? 2 : 1;
  for (let i = 0; i < rows.length; i += stride) {
    total += rows[i] as number;
    if (limit === 0) continue;
    const flat = rows[i + 1] as string[];
    for (let j = 0; j < flat.length; j += 2) scored.push({ id: flat[j]!, ord: Number(flat[j + 1]) });
  }
  const items = scored
    .sort((a, b) => (order === 'asc' ? a.ord - b.ord : b.ord - a.ord))
    .slice(offset, offset + limit)
    .map((s) => s.id);
  return { items, total };
}

/**
 * Members are indexed in one sorted set per (status, role) pair, scored by the creation ordinal,
 * besides the set of all members. A filtered page is the union of the selected sets (pageOfUnion,
 * k ≤ 9); an unfiltered one reads the set of all members.
 */
export async function listMemberPage(ctx: RedisContext, orgId: string, query: MemberQuery | undefined): Promise<Page<Member>> {
  const k = ctx.keys.forOrg(orgId);
  const statuses = query?.statuses?.length ? [...new Set(query.statuses)] : [...MEMBER_STATUSES];
  const roles = query?.roles?.length ? [...new Set(query?.roles)] : [...ROLES];
  const kinds = query?.kinds?.length ? [...new Set(query?.kinds)] : [...MEMBER_KINDS];
  const everything = MEMBER_STATUSES.every((s) => statuses.includes(s)) && ROLES.every((r) => roles.includes(r)) && MEMBER_KINDS.every((x) => kinds.includes(x));
  const sets = everything ? [k.members] : statuses.flatMap((s) => roles.flatMap((r) => kinds.map((x) => k.membersBy(s, r, x))));
  const { items: ids, total } = await pageOfUnion(ctx, sets, query);
  return { items: await readRecords<Member>(ctx, ids.map((id) => k.member(id))), total };
}

/** Audit events or outbox records with seq > afterSeq, ascending, at most `limit`. */
export async function readChain<T extends AuditEvent | OutboxRecord>(
  ctx: RedisContext,
  orgId: string,
  which: 'auditEvents' | 'outbox',
  opts: { afterSeq?: number; limit?: number } | undefined,
): Promise<T[]> {
  const k = ctx.keys.forOrg(orgId);
  const after = Math.max(0, Math.floor(opts?.afterSeq ?? 0));
  const limit = Math.max(0, Math.floor(opts?.limit ?? MAX_PAGE_LIMIT));
  const head = await ctx.readHead(orgId);
  const last = Math.min(head.seq, after + limit);
  if (last <= after) return [];
  const seqs = Array.from({ length: last - after }, (_, i) => String(after + 1 + i));
  const raw = await ctx.call((c) => c.hmget(k[which], ...seqs));
  return raw.map((r) => parseJson<T>(r)).filter((r): r is T => r !== undefined);
}

/**
 * Keyset paging of members: each selected (status, role) set is read from just after the position
 * (the creation ordinal, ZRANGEBYSCORE with an exclusive bound) for `limit` entries, and the merge
 * keeps the first `limit`; the cost does not grow with the position. Totals come from the same
 * snapshot.
 */
export async function listMembersAfterPosition(ctx: RedisContext, orgId: string, query: MemberQuery & { after?: string; countTotal?: boolean }): Promise<MemberKeysetPage> {
  const k = ctx.keys.forOrg(orgId);
  const { limit } = clampPage({ limit: query.limit }, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
  const statuses = query.statuses?.length ? [...new Set(query.statuses)] : [...MEMBER_STATUSES];
  const roles = query.roles?.length ? [...new Set(query.roles)] : [...ROLES];
  const kinds = query.kinds?.length ? [...new Set(query.kinds)] : [...MEMBER_KINDS];
  const everything = MEMBER_STATUSES.every((s) => statuses.includes(s)) && ROLES.every((r) => roles.includes(r)) && MEMBER_KINDS.every((x) => kinds.includes(x));
  const sets = everything ? [k.members] : statuses.flatMap((s) => roles.flatMap((r) => kinds.map((x) => k.membersBy(s, r, x))));
  const after = Number(query.after);
  const from = Number.isSafeInteger(after) && after > 0 ? `(${after}` : '-inf';
  const rows = await ctx.snapshot((m) => {
    for (const set of sets) {
      m.zcard(set);
      m.zrangebyscore(set, from, '+inf', 'WITHSCORES', 'LIMIT', 0, Math.max(limit, 1));
    }
    return m;
  });
  let total = 0;
  const scored: { id: string; ord: number }[] = [];
  for (let i = 0; i < rows.length; i += 2) {
    total += rows[i] as number;
    const flat = rows[i + 1] as string[];
    for (let j = 0; j < flat.length; j += 2) scored.push({ id: flat[j]!, ord: Number(flat[j + 1]) });
  }
  const page = limit === 0 ? [] : scored.sort((a, b) => a.ord - b.ord).slice(0, limit);
  // A member that vanished between the index and its read is left out, with its position.
  const raw = page.length ? await ctx.call((c) => c.mget(page.map((s) => k.member(s.id)))) : [];
  const found = page.map((s, i) => ({ ord: s.ord, m: parseJson<Member>(raw[i] ?? null) })).filter((x): x is { ord: number; m: Member } => x.m !== undefined);
  const out = { items: found.map((x) => x.m), positions: found.map((x) => String(x.ord)) };
  return query.countTotal === false ? out : { ...out, total };
}
