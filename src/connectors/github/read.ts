/**
 * Org member listing: GET /orgs/{org}/members (per_page 100, Link rel="next"), joined with the
 * admins (the same listing with role=admin) and the SAML identities. Point lookups go through the
 * user id and the membership endpoint.
 */
import { z } from 'zod';
import type { DirectoryTombstone, DirectoryUser } from '../../ports/directory.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson, type HttpResponse } from '../http/verdict.js';
import type { PageReader } from '../listing.js';
import { sameOrigin } from '../mapping.js';
import { GITHUB_HEADERS, githubUpstreamError } from './client.js';
import type { GithubConfig } from './config.js';
import { githubMemberSchema, mapGithubMember, type GithubMember } from './mapper.js';
import { readSamlLinks } from './saml.js';

export const GITHUB_MAX_PAGE = 100;

/** The rel="next" target of a Link header, if any. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /^<([^>]+)>(.*)$/.exec(part.trim());
    const rel = m ? /;\s*rel="?([^";]*)"?/.exec(m[2]!)?.[1] : undefined;
    if (rel?.split(/\s+/).includes('next')) return m![1];
  }
  return undefined;
}

function parseGithub<T>(schema: z.ZodType<T>, res: HttpResponse, op: string): T {
  const parsed = schema.safeParse(readJson(res));
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw connectorError('connector.upstream_error', `malformed ${op} response at ${where}: ${describe(res, {})}`, { provider: 'github', op, status: res.status });
  }
  return parsed.data;
}

const membersPage = z.array(githubMemberSchema);

/** Pages of /orgs/{org}/members, following Link rel="next" on the configured host only. */
async function* memberPages(client: HttpClient, auth: BearerAuth, config: GithubConfig, role: 'all' | 'admin', signal?: AbortSignal): AsyncGenerator<GithubMember[]> {
  const op = role === 'admin' ? 'members.admins' : 'members.list';
  let url = `${config.apiBaseUrl}/orgs/${encodeURIComponent(config.org)}/members?${role === 'admin' ? 'role=admin&' : ''}per_page=${GITHUB_MAX_PAGE}`;
  for (;;) {
    const res = await client.send({ op, url, auth, headers: GITHUB_HEADERS, signal });
    yield parseGithub(membersPage, res, op);
    const next = nextLink(res.headers.get('link'));
    if (next === undefined) return;
    if (!sameOrigin(next, config.apiBaseUrl)) throw connectorError('connector.upstream_error', `${op}: next link points outside ${config.apiBaseUrl}`, { provider: 'github', op });
    if (next === url) throw connectorError('connector.upstream_error', `${op}: the same next link twice`, { provider: 'github', op });
    url = next;
  }
}

/**
 * SAML links and admin ids are read first (small: one entry per identity, one id per admin), then
 * members stream page by page. Only member pages are yielded (and counted as pages); apiCalls in
 * the result counts all of them.
 */
export function readGithubMembers(client: HttpClient, auth: BearerAuth, config: GithubConfig): PageReader<object> {
  return async function* read(ctx) {
    const saml = await readSamlLinks(client, auth, config, ctx.signal);
    const admins = new Set<number>();
    for await (const page of memberPages(client, auth, config, 'admin', ctx.signal)) for (const m of page) admins.add(m.id);
    for await (const page of memberPages(client, auth, config, 'all', ctx.signal)) {
      yield page.map((m) => mapGithubMember(m, admins.has(m.id) ? 'admin' : 'member', saml.get(m.login.toLowerCase())));
    }
    return {};
  };
}

const userSchema = z.looseObject({ id: z.number().int(), login: z.string().min(1) });
const membershipSchema = z.looseObject({ state: z.string(), role: z.string() });

/**
 * By numeric id: GET /user/{id} (404: the account is gone), then GET /orgs/{org}/memberships/{login}
 * (404: not a member; state pending: invited, not a member yet). SAML email is not looked up here.
 */
export async function getGithubUser(client: HttpClient, auth: BearerAuth, config: GithubConfig, id: string, signal?: AbortSignal): Promise<DirectoryUser | DirectoryTombstone> {
  if (!/^\d+$/.test(id)) throw connectorError('connector.upstream_error', `GitHub user ids are numeric, got "${id}"`, { provider: 'github', op: 'users.get' });
  const u = await client.send({ op: 'users.get', url: `${config.apiBaseUrl}/user/${id}`, auth, headers: GITHUB_HEADERS, signal, accept: [404] });
  if (u.status === 404) return { provider: 'github', id, deleted: true, reason: `account: ${describe(u, githubUpstreamError(u))}` };
  const user = parseGithub(userSchema, u, 'users.get');
  const m = await client.send({
    op: 'memberships.get',
    url: `${config.apiBaseUrl}/orgs/${encodeURIComponent(config.org)}/memberships/${encodeURIComponent(user.login)}`,
    auth,
    headers: GITHUB_HEADERS,
    signal,
    accept: [404],
  });
  if (m.status === 404) return { provider: 'github', id, deleted: true, reason: `membership: ${describe(m, githubUpstreamError(m))}` };
  const membership = parseGithub(membershipSchema, m, 'memberships.get');
  if (membership.state !== 'active') return { provider: 'github', id, deleted: true, reason: `membership state is ${membership.state} (invitation not accepted)` };
  return mapGithubMember(user, membership.role === 'admin' ? 'admin' : 'member', undefined);
}
