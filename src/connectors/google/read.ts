/**
 * users.list paging (maxResults 500, `fields=` keeping nextPageToken) and users.get point lookups.
 */
import { z } from 'zod';
import type { DirectoryTombstone, DirectoryUser } from '../../ports/directory.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson, type HttpResponse } from '../http/verdict.js';
import { PageTokenExpiredError, type PageReader } from '../listing.js';
import type { GoogleConfig } from './config.js';
import { googleUpstreamError } from './client.js';
import { GOOGLE_LIST_FIELDS, GOOGLE_USER_FIELDS, googleUserSchema, inOrgUnit, mapGoogleUser } from './mapper.js';

export const GOOGLE_MAX_PAGE = 500;

const usersPage = z.looseObject({
  // `kind` is requested in fields= so that a 200 that is not a users page is never read as "no users".
  kind: z.literal('admin#directory#users'),
  users: z.array(googleUserSchema).optional(),
  nextPageToken: z.string().min(1).optional(),
});

function parsePage<T>(schema: z.ZodType<T>, res: HttpResponse, op: string): T {
  const parsed = schema.safeParse(readJson(res));
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw connectorError('connector.upstream_error', `malformed ${op} response at ${where}: ${describe(res, {})}`, { provider: 'google', op, status: res.status });
  }
  return parsed.data;
}

/** The `query` sent to users.list: the configured one, narrowed to orgUnitPath when given. */
export function googleQuery(config: GoogleConfig): string | undefined {
  const parts: string[] = [];
  if (config.orgUnitPath !== undefined && config.orgUnitPath !== '/') parts.push(`orgUnitPath='${config.orgUnitPath.replace(/'/g, "\\'")}'`);
  if (config.query !== undefined) parts.push(config.query);
  return parts.length ? parts.join(' ') : undefined;
}

export function readGoogleUsers(client: HttpClient, auth: BearerAuth, config: GoogleConfig): PageReader<object> {
  return async function* read(ctx) {
    let pageToken: string | undefined;
    for (;;) {
      const url = new URL(`${config.apiBaseUrl}/admin/directory/v1/users`);
      if (config.customer !== undefined) url.searchParams.set('customer', config.customer);
      else if (config.domain !== undefined) url.searchParams.set('domain', config.domain);
      url.searchParams.set('maxResults', String(GOOGLE_MAX_PAGE));
      url.searchParams.set('fields', GOOGLE_LIST_FIELDS);
      const query = googleQuery(config);
      if (query !== undefined) url.searchParams.set('query', query);
      if (pageToken !== undefined) url.searchParams.set('pageToken', pageToken);
      // A 400 on a request that carries a page token is read as an expired/invalid token (restart once).
      const res = await client.send({ op: 'users.list', url, auth, signal: ctx.signal, accept: pageToken !== undefined ? [400] : [] });
      if (res.status === 400) throw new PageTokenExpiredError(describe(res, googleUpstreamError(res)));
      const page = parsePage(usersPage, res, 'users.list');
      yield (page.users ?? []).map(mapGoogleUser);
      if (page.nextPageToken === undefined) return {};
      if (page.nextPageToken === pageToken) {
        throw connectorError('connector.upstream_error', 'users.list returned the same nextPageToken twice', { provider: 'google', op: 'users.list' });
      }
      pageToken = page.nextPageToken;
    }
  };
}

/**
 * users.get by immutable id. 404 and 412 mean the user is gone; a user outside the configured
 * orgUnitPath or domain is out of this connection's scope and answered as a tombstone too.
 * (The free-form `query` scope cannot be evaluated locally and is not applied here.)
 */
export async function getGoogleUser(client: HttpClient, auth: BearerAuth, config: GoogleConfig, id: string, signal?: AbortSignal): Promise<DirectoryUser | DirectoryTombstone> {
  const url = new URL(`${config.apiBaseUrl}/admin/directory/v1/users/${encodeURIComponent(id)}`);
  url.searchParams.set('fields', GOOGLE_USER_FIELDS);
  const res = await client.send({ op: 'users.get', url, auth, signal, accept: [404, 412] });
  if (res.status === 404 || res.status === 412) {
    return { provider: 'google', id, deleted: true, reason: describe(res, googleUpstreamError(res)) };
  }
  const user = mapGoogleUser(parsePage(googleUserSchema, res, 'users.get'));
  if (!inOrgUnit(String(user.raw.orgUnitPath ?? '/'), config.orgUnitPath)) {
    return { provider: 'google', id, deleted: true, reason: `outside orgUnitPath ${config.orgUnitPath} (now in ${String(user.raw.orgUnitPath)})` };
  }
  if (config.domain !== undefined && !user.emails.some((e) => e.endsWith(`@${config.domain!.toLowerCase()}`))) {
    return { provider: 'google', id, deleted: true, reason: `no address in domain ${config.domain}` };
  }
  return user;
}
