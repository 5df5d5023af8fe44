/**
 * Graph `/users/delta` (DIRECTORY-APIS.md §2.2). Query parameters go on the first request only;
 * pages follow `@odata.nextLink` (an empty page with a nextLink still means "more"); only the last
 * page carries `@odata.deltaLink`, which becomes the next sync state. A stored cursor that Graph
 * rejects (410 Gone, syncStateNotFound, resyncRequired, an expired token) — or that does not point
 * at the configured Graph root — falls back to a full round.
 */
import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { DeltaListing, DeltaSyncState } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe } from '../http/verdict.js';
import { createListing, PageTokenExpiredError, type PageReader } from '../listing.js';
import { sameOrigin } from '../mapping.js';
import { GRAPH_RESYNC_CODES, graphUpstreamError } from './client.js';
import type { MicrosoftConfig } from './config.js';
import { GRAPH_USER_SELECT, mapGraphUser } from './mapper.js';
import { checkLink, graphPage, parseGraph } from './read.js';

/** Bump when the selected properties change: an old cursor would keep the old $select. */
export const GRAPH_DELTA_KIND = 'graph.users.delta.v1';

const stateSchema = z.object({ provider: z.literal('microsoft'), kind: z.literal(GRAPH_DELTA_KIND), cursor: z.string().min(1), savedAt: z.string() });

interface DeltaExtra {
  mode: 'full' | 'delta';
  resynced: boolean;
  nextState?: DeltaSyncState;
}

export function usableCursor(state: DeltaSyncState | null, config: MicrosoftConfig): string | undefined {
  if (state === null) return undefined;
  const parsed = stateSchema.safeParse(state);
  if (!parsed.success || !sameOrigin(parsed.data.cursor, config.graphBaseUrl)) return undefined;
  return new URL(parsed.data.cursor).pathname.endsWith('/users/delta') ? parsed.data.cursor : undefined;
}

/** Where the round stands, kept outside the reader so that a round that fails still says which it was. */
type RoundProgress = Pick<DeltaExtra, 'mode' | 'resynced'>;

function readDelta(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, clock: Clock, logger: Logger, state: DeltaSyncState | null, progress: RoundProgress): PageReader<DeltaExtra> {
  const initial = `${config.graphBaseUrl}/v1.0/users/delta?$select=${GRAPH_USER_SELECT}`;
  return async function* read(ctx) {
    const cursor = usableCursor(state, config);
    let resynced = state !== null && cursor === undefined;
    if (resynced) logger.warn('stored delta state is not usable; starting a full round');
    let mode: 'full' | 'delta' = cursor === undefined ? 'full' : 'delta';
    Object.assign(progress, { mode, resynced });
    let url = cursor ?? initial;
    let firstOfRound = true;
    for (;;) {
      const res = await client.send({ op: 'users.delta', url, auth, signal: ctx.signal, accept: [400, 404, 409, 410] });
      if (res.status !== 200) {
        const upstream = graphUpstreamError(res);
        const rejected = res.status === 410 || (upstream.code !== undefined && GRAPH_RESYNC_CODES.has(upstream.code));
        if (rejected && mode === 'delta' && firstOfRound) {
          logger.warn('delta token rejected; falling back to a full round', { status: res.status, upstreamCode: upstream.code });
          mode = 'full';
          resynced = true;
          Object.assign(progress, { mode, resynced });
          url = initial;
          continue;
        }
        if (rejected) throw new PageTokenExpiredError(describe(res, upstream));
        throw connectorError(res.status === 404 ? 'connector.not_found' : 'connector.upstream_error', describe(res, upstream), { provider: 'microsoft', op: 'users.delta', status: res.status, upstreamCode: upstream.code });
      }
      firstOfRound = false;
      const page = parseGraph(graphPage, res, 'users.delta');
      yield page.value.map(mapGraphUser);
      const deltaLink = page['@odata.deltaLink'];
      if (deltaLink !== undefined) {
        const nextState: DeltaSyncState = { provider: 'microsoft', kind: GRAPH_DELTA_KIND, cursor: checkLink(deltaLink, config, 'users.delta'), savedAt: clock.now().toISOString() };
        return { mode, resynced, nextState };
      }
      const next = page['@odata.nextLink'];
      if (next === undefined) throw connectorError('connector.upstream_error', 'users.delta page has neither a nextLink nor a deltaLink', { provider: 'microsoft', op: 'users.delta' });
      url = checkLink(next, config, 'users.delta');
    }
  };
}

export function listGraphChanges(
  client: HttpClient,
  auth: BearerAuth,
  config: MicrosoftConfig,
  deps: { clock: Clock; logger: Logger },
  state: DeltaSyncState | null,
  signal?: AbortSignal,
): DeltaListing {
  const progress: RoundProgress = { mode: usableCursor(state, config) ? 'delta' : 'full', resynced: false };
  const listing = createListing(readDelta(client, auth, config, deps.clock, deps.logger, state, progress), { clock: deps.clock, logger: deps.logger, counters: () => client.counters(), signal });
  // A round that did not finish reports how far it got: a refused cursor has already made it full.
  const fill = <T extends Partial<DeltaExtra>>(r: T) => ({ ...r, mode: r.mode ?? progress.mode, resynced: r.resynced ?? progress.resynced });
  return {
    [Symbol.asyncIterator]: () => listing[Symbol.asyncIterator](),
    result: () => fill(listing.result()),
    done: listing.done.then(fill),
  };
}
