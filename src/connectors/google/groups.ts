/**
 * Google groups as teams (DIRECTORY-APIS.md §1.3): the selected groups come from groups.get (one
 * call per configured email) or groups.list (`query`, or every group of the customer: 200 a page),
 * and each group's members from members.list (200 a page) with includeDerivedMembership, so users
 * of nested groups count as members. Only members of type USER are kept.
 */
import { z } from 'zod';
import type { DirectoryGroup, GroupRead, OperationOptions } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson, type HttpResponse } from '../http/verdict.js';
import { guardedGroupRead, uniqueIds } from '../group-read.js';
import { googleUpstreamError } from './client.js';
import type { GoogleConfig } from './config.js';

export const GOOGLE_GROUPS_MAX_PAGE = 200;

const groupSchema = z.looseObject({ id: z.string().min(1), email: z.string().min(1), name: z.string().optional() });
type GoogleGroup = z.output<typeof groupSchema>;
const groupsPage = z.looseObject({ kind: z.literal('admin#directory#groups'), groups: z.array(groupSchema).optional(), nextPageToken: z.string().min(1).optional() });
const membersPage = z.looseObject({
  kind: z.literal('admin#directory#members'),
  members: z.array(z.looseObject({ id: z.string().optional(), type: z.string().optional() })).optional(),
  nextPageToken: z.string().min(1).optional(),
});

function parse<T>(schema: z.ZodType<T>, res: HttpResponse, op: string): T {
  const parsed = schema.safeParse(readJson(res));
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw connectorError('connector.upstream_error', `malformed ${op} response at ${where}: ${describe(res, {})}`, { provider: 'google', op, status: res.status });
  }
  return parsed.data;
}

function url(config: GoogleConfig, path: string, params: Record<string, string | undefined>): URL {
  const u = new URL(`${config.apiBaseUrl}/admin/directory/v1${path}`);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u;
}

/** Follows nextPageToken until the last page; the same token twice is a broken listing, not the end. */
async function pages<T extends { nextPageToken?: string | undefined }>(send: (token: string | undefined) => Promise<T>, op: string): Promise<T[]> {
  const out: T[] = [];
  let token: string | undefined;
  for (;;) {
    const page = await send(token);
    out.push(page);
    if (page.nextPageToken === undefined) return out;
    if (page.nextPageToken === token) throw connectorError('connector.upstream_error', `${op} returned the same nextPageToken twice`, { provider: 'google', op });
    token = page.nextPageToken;
  }
}

async function selectedGroups(client: HttpClient, auth: BearerAuth, config: GoogleConfig, signal?: AbortSignal): Promise<GoogleGroup[]> {
  const sel = config.groups!;
  if (sel !== 'all' && sel.emails) {
    const out: GoogleGroup[] = [];
    for (const email of sel.emails) {
      const res = await client.send({ op: 'groups.get', url: url(config, `/groups/${encodeURIComponent(email)}`, { fields: 'id,email,name' }), auth, signal, accept: [404] });
      if (res.status === 404) throw connectorError('connector.not_found', `google.groups.emails: group ${email} not found (${describe(res, googleUpstreamError(res))})`, { provider: 'google', op: 'groups.get', status: 404 });
      out.push(parse(groupSchema, res, 'groups.get'));
    }
    return out;
  }
  const scope = config.customer !== undefined ? { customer: config.customer } : { domain: config.domain };
  const listed = await pages(async (pageToken) => {
    const u = url(config, '/groups', { ...scope, maxResults: String(GOOGLE_GROUPS_MAX_PAGE), fields: 'kind,nextPageToken,groups(id,email,name)', query: sel === 'all' ? undefined : sel.query, pageToken });
    return parse(groupsPage, await client.send({ op: 'groups.list', url: u, auth, signal }), 'groups.list');
  }, 'groups.list');
  return listed.flatMap((p) => p.groups ?? []);
}

async function memberIds(client: HttpClient, auth: BearerAuth, config: GoogleConfig, groupId: string, signal?: AbortSignal): Promise<string[]> {
  const listed = await pages(async (pageToken) => {
    const u = url(config, `/groups/${encodeURIComponent(groupId)}/members`, { maxResults: String(GOOGLE_GROUPS_MAX_PAGE), includeDerivedMembership: 'true', fields: 'kind,nextPageToken,members(id,type)', pageToken });
    return parse(membersPage, await client.send({ op: 'members.list', url: u, auth, signal }), 'members.list');
  }, 'members.list');
  return uniqueIds(listed.flatMap((p) => (p.members ?? []).filter((m) => m.type === 'USER' && m.id).map((m) => m.id!)));
}

export function readGoogleGroups(client: HttpClient, auth: BearerAuth, config: GoogleConfig, logger: Logger) {
  return (_state: unknown, opts?: OperationOptions): Promise<GroupRead> =>
    guardedGroupRead(() => client.counters(), logger, 'full', async () => {
      const groups: DirectoryGroup[] = [];
      for (const g of await selectedGroups(client, auth, config, opts?.signal)) {
        groups.push({ id: g.id, key: g.email.toLowerCase(), name: g.name || g.email, memberIds: await memberIds(client, auth, config, g.id, opts?.signal) });
      }
      return { complete: true as const, mode: 'full' as const, groups };
    });
}
