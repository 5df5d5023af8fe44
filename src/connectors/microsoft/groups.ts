/**
 * Entra groups as teams. `all` and `ids` read Graph's group delta
 * (`/groups/delta?$select=displayName,members`, ids as `$filter=id eq '…' or …`): the first round
 * returns every selected group with its members in `members@delta` (a group's members may span
 * several entries, over several pages); later rounds from the stored deltaLink return only the
 * groups that changed, with member additions and `@removed` members. A refused cursor (410,
 * syncStateNotFound, resyncRequired) starts a full round. `filter` has no delta (Graph's group
 * delta filters by id only): it lists the matching groups and each one's user members every run.
 * Members are direct members that are users; nested groups are not expanded (delta does not).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { DeltaSyncState, DirectoryGroup, DirectoryGroupChange, GroupRead, OperationOptions } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe } from '../http/verdict.js';
import { guardedGroupRead, uniqueIds } from '../group-read.js';
import { sameOrigin } from '../mapping.js';
import { selectionKey } from '../groups-selection.js';
import { GRAPH_RESYNC_CODES, graphUpstreamError } from './client.js';
import type { MicrosoftConfig } from './config.js';
import { checkLink, GRAPH_MAX_PAGE, parseGraph } from './read.js';

const USER_TYPE = '#microsoft.graph.user';

const deltaMember = z.looseObject({ '@odata.type': z.string().optional(), id: z.string().min(1), '@removed': z.unknown().optional() });
const deltaGroup = z.looseObject({ id: z.string().min(1), displayName: z.string().nullish(), 'members@delta': z.array(deltaMember).optional(), '@removed': z.unknown().optional() });
const deltaPage = z.looseObject({ value: z.array(deltaGroup), '@odata.nextLink': z.string().optional(), '@odata.deltaLink': z.string().optional() });
const listPage = <T extends z.ZodType>(item: T) => z.looseObject({ value: z.array(item), '@odata.nextLink': z.string().optional() });
const groupRow = z.looseObject({ id: z.string().min(1), displayName: z.string().nullish() });
const idRow = z.looseObject({ id: z.string().min(1) });

/** The cursor is valid for one selection only: another selection starts a full round. */
export function groupDeltaKind(config: MicrosoftConfig): string {
  return `graph.groups.delta.v1:${createHash('sha256').update(selectionKey(config.groups)).digest('hex').slice(0, 16)}`;
}

function initialDeltaUrl(config: MicrosoftConfig): string {
  const sel = config.groups!;
  const q = new URLSearchParams({ $select: 'displayName,members' });
  if (sel !== 'all' && sel.ids) q.set('$filter', sel.ids.map((id) => `id eq '${id}'`).join(' or '));
  return `${config.graphBaseUrl}/v1.0/groups/delta?${q.toString()}`;
}

function usableCursor(state: DeltaSyncState | null, config: MicrosoftConfig): string | undefined {
  if (!state || state.provider !== 'microsoft' || state.kind !== groupDeltaKind(config) || !sameOrigin(state.cursor, config.graphBaseUrl)) return undefined;
  return new URL(state.cursor).pathname.endsWith('/groups/delta') ? state.cursor : undefined;
}

type Accum = Map<string, { name?: string; added: Set<string>; removed: Set<string>; deleted?: true }>;

async function readDelta(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, clock: Clock, logger: Logger, state: DeltaSyncState | null, signal?: AbortSignal) {
  const cursor = usableCursor(state, config);
  let mode: 'full' | 'delta' = cursor === undefined ? 'full' : 'delta';
  const resynced = state !== null && cursor === undefined;
  let url = cursor ?? initialDeltaUrl(config);
  let first = true;
  const acc: Accum = new Map();
  for (;;) {
    const res = await client.send({ op: 'groups.delta', url, auth, signal, accept: [400, 404, 409, 410] });
    if (res.status !== 200) {
      const upstream = graphUpstreamError(res);
      const refused = res.status === 410 || (upstream.code !== undefined && GRAPH_RESYNC_CODES.has(upstream.code));
      if (refused && mode === 'delta' && first) {
        logger.warn('group delta cursor refused; starting a full round', { status: res.status, upstreamCode: upstream.code });
        mode = 'full';
        url = initialDeltaUrl(config);
        acc.clear();
        continue;
      }
      throw connectorError(res.status === 404 ? 'connector.not_found' : 'connector.upstream_error', describe(res, upstream), { provider: 'microsoft', op: 'groups.delta', status: res.status, upstreamCode: upstream.code });
    }
    first = false;
    const page = parseGraph(deltaPage, res, 'groups.delta');
    for (const g of page.value) {
      const id = g.id.toLowerCase();
      const a = acc.get(id) ?? { added: new Set<string>(), removed: new Set<string>() };
      acc.set(id, a);
      if (g['@removed'] !== undefined) {
        a.deleted = true;
        continue;
      }
      if (typeof g.displayName === 'string') a.name = g.displayName;
      for (const m of g['members@delta'] ?? []) {
        if (m['@odata.type'] !== undefined && m['@odata.type'] !== USER_TYPE) continue;
        if (m['@removed'] !== undefined) {
          a.added.delete(m.id);
          a.removed.add(m.id);
        } else {
          a.removed.delete(m.id);
          a.added.add(m.id);
        }
      }
    }
    const deltaLink = page['@odata.deltaLink'];
    if (deltaLink !== undefined) {
      const nextState: DeltaSyncState = { provider: 'microsoft', kind: groupDeltaKind(config), cursor: checkLink(deltaLink, config, 'groups.delta'), savedAt: clock.now().toISOString() };
      return { mode, resynced, nextState, acc };
    }
    const next = page['@odata.nextLink'];
    if (next === undefined) throw connectorError('connector.upstream_error', 'groups.delta page has neither a nextLink nor a deltaLink', { provider: 'microsoft', op: 'groups.delta' });
    url = checkLink(next, config, 'groups.delta');
  }
}

async function listAll<T>(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, first: string, schema: z.ZodType<T>, op: string, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let url = first;
  for (;;) {
    const page = parseGraph(listPage(schema), await client.send({ op, url, auth, signal }), op);
    out.push(...(page.value as T[]));
    const next = page['@odata.nextLink'];
    if (next === undefined) return out;
    if (next === url) throw connectorError('connector.upstream_error', `${op} returned the same nextLink twice`, { provider: 'microsoft', op });
    url = checkLink(next, config, op);
  }
}

/** `filter`: the matching groups, then each one's user members (the OData cast keeps users only). */
async function readFiltered(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, filter: string, signal?: AbortSignal): Promise<DirectoryGroup[]> {
  const q = new URLSearchParams({ $filter: filter, $select: 'id,displayName', $top: String(GRAPH_MAX_PAGE) });
  const groups = await listAll(client, auth, config, `${config.graphBaseUrl}/v1.0/groups?${q.toString()}`, groupRow, 'groups.list', signal);
  const out: DirectoryGroup[] = [];
  for (const g of groups) {
    const first = `${config.graphBaseUrl}/v1.0/groups/${encodeURIComponent(g.id)}/members/microsoft.graph.user?$select=id&$top=${GRAPH_MAX_PAGE}`;
    const members = await listAll(client, auth, config, first, idRow, 'groups.members', signal);
    out.push({ id: g.id.toLowerCase(), key: g.id.toLowerCase(), name: g.displayName || g.id, memberIds: uniqueIds(members.map((m) => m.id)) });
  }
  return out;
}

export function readGraphGroups(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, deps: { clock: Clock; logger: Logger }) {
  return (state: DeltaSyncState | null, opts?: OperationOptions): Promise<GroupRead> => {
    const sel = config.groups!;
    if (sel !== 'all' && sel.filter !== undefined) {
      const filter = sel.filter;
      return guardedGroupRead(() => client.counters(), deps.logger, 'full', async () => ({ complete: true as const, mode: 'full' as const, groups: await readFiltered(client, auth, config, filter, opts?.signal) }));
    }
    const mode = usableCursor(state, config) ? 'delta' : 'full';
    return guardedGroupRead(() => client.counters(), deps.logger, mode, async () => {
      const r = await readDelta(client, auth, config, deps.clock, deps.logger, state, opts?.signal);
      if (r.mode === 'full') {
        const groups: DirectoryGroup[] = [];
        for (const [id, a] of r.acc) if (!a.deleted) groups.push({ id, key: id, name: a.name ?? id, memberIds: [...a.added] });
        return { complete: true as const, mode: 'full' as const, groups, nextState: r.nextState, resynced: r.resynced };
      }
      const changes: DirectoryGroupChange[] = [...r.acc].map(([id, a]) => ({ id, key: id, ...(a.name !== undefined ? { name: a.name } : {}), added: [...a.added], removed: [...a.removed], ...(a.deleted ? { deleted: true as const } : {}) }));
      return { complete: true as const, mode: 'delta' as const, changes, nextState: r.nextState };
    });
  };
}
