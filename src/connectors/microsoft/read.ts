/**
 * Graph listing (`$top=999`, `$select`, following `@odata.nextLink`) and point lookups.
 */
import { z } from 'zod';
import type { DirectoryTombstone, DirectoryUser } from '../../ports/directory.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson, type HttpResponse } from '../http/verdict.js';
import { PageTokenExpiredError, type PageReader } from '../listing.js';
import { sameOrigin } from '../mapping.js';
import { GRAPH_EXPIRED_TOKEN_CODES, graphUpstreamError } from './client.js';
import type { MicrosoftConfig } from './config.js';
import { GRAPH_USER_SELECT, graphUserSchema, mapGraphUser } from './mapper.js';

export const GRAPH_MAX_PAGE = 999;

export const graphPage = z.looseObject({
  value: z.array(graphUserSchema),
  '@odata.nextLink': z.string().optional(),
  '@odata.deltaLink': z.string().optional(),
});

export function parseGraph<T>(schema: z.ZodType<T>, res: HttpResponse, op: string): T {
  const parsed = schema.safeParse(readJson(res));
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw connectorError('connector.upstream_error', `malformed ${op} response at ${where}: ${describe(res, {})}`, { provider: 'microsoft', op, status: res.status });
  }
  return parsed.data;
}

/** A next link must stay on the configured Graph root: the token is never sent elsewhere. */
export function checkLink(link: string, config: MicrosoftConfig, op: string): string {
  if (!sameOrigin(link, config.graphBaseUrl)) {
    throw connectorError('connector.upstream_error', `${op}: next link points outside ${config.graphBaseUrl}`, { provider: 'microsoft', op });
  }
  return link;
}

export function firstListUrl(config: MicrosoftConfig): string {
  const q = `$select=${GRAPH_USER_SELECT}&$top=${GRAPH_MAX_PAGE}`;
  // The OData cast keeps only users (not groups, devices or service principals) among the members.
  return config.groupId === undefined
    ? `${config.graphBaseUrl}/v1.0/users?${q}`
    : `${config.graphBaseUrl}/v1.0/groups/${config.groupId}/transitiveMembers/microsoft.graph.user?${q}`;
}

export function readGraphUsers(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig): PageReader<object> {
  return async function* read(ctx) {
    let url = firstListUrl(config);
    let followingLink = false;
    for (;;) {
      const res = await client.send({ op: 'users.list', url, auth, signal: ctx.signal, accept: followingLink ? [400] : [] });
      if (res.status === 400) {
        const upstream = graphUpstreamError(res);
        if (upstream.code !== undefined && GRAPH_EXPIRED_TOKEN_CODES.has(upstream.code)) throw new PageTokenExpiredError(describe(res, upstream));
        throw connectorError('connector.upstream_error', describe(res, upstream), { provider: 'microsoft', op: 'users.list', status: 400, upstreamCode: upstream.code });
      }
      const page = parseGraph(graphPage, res, 'users.list');
      yield page.value.map(mapGraphUser);
      const next = page['@odata.nextLink'];
      if (next === undefined) return {};
      if (next === url) throw connectorError('connector.upstream_error', 'users.list returned the same nextLink twice', { provider: 'microsoft', op: 'users.list' });
      url = checkLink(next, config, 'users.list');
      followingLink = true;
    }
  };
}

const checkMemberGroups = z.object({ value: z.array(z.string()) });
const deletedItem = z.looseObject({ deletedDateTime: z.string().nullish() });

/**
 * When a user that /users no longer has was deleted: a soft-deleted (restorable) user is in
 * /directory/deletedItems with its deletedDateTime; a hard-deleted one is not. Only a date for the
 * metrics: a failure answers undefined and never changes the tombstone.
 */
async function deletedDateTime(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, id: string, signal?: AbortSignal): Promise<string | undefined> {
  try {
    const res = await client.send({ op: 'directory.deletedItems', url: `${config.graphBaseUrl}/v1.0/directory/deletedItems/${encodeURIComponent(id)}?$select=id,deletedDateTime`, auth, signal, accept: [403, 404] });
    if (res.status !== 200) return undefined;
    return parseGraph(deletedItem, res, 'directory.deletedItems').deletedDateTime ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * GET /users/{id}: 404 means gone. With a groupId scope, a user no longer (transitively) in the
 * group is out of scope and answered as a tombstone too (checkMemberGroups).
 */
export async function getGraphUser(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig, id: string, signal?: AbortSignal): Promise<DirectoryUser | DirectoryTombstone> {
  const base = `${config.graphBaseUrl}/v1.0/users/${encodeURIComponent(id)}`;
  const res = await client.send({ op: 'users.get', url: `${base}?$select=${GRAPH_USER_SELECT}`, auth, signal, accept: [404] });
  if (res.status === 404) {
    const deletedAt = await deletedDateTime(client, auth, config, id, signal);
    return { provider: 'microsoft', id, deleted: true, reason: describe(res, graphUpstreamError(res)), ...(deletedAt ? { deletedAt } : {}) };
  }
  const user = mapGraphUser(parseGraph(graphUserSchema, res, 'users.get'));
  if (config.groupId === undefined) return user;
  const check = await client.send({
    op: 'users.checkMemberGroups',
    url: `${base}/checkMemberGroups`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ groupIds: [config.groupId] }),
    auth,
    signal,
  });
  const groups = parseGraph(checkMemberGroups, check, 'users.checkMemberGroups').value;
  return groups.includes(config.groupId) ? user : { provider: 'microsoft', id, deleted: true, reason: `not a member of group ${config.groupId}` };
}
