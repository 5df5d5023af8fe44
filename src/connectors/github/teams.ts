/**
 * GitHub teams as idsync teams: the selected teams from GET /orgs/{org}/teams/{slug} (one call per
 * configured slug) or GET /orgs/{org}/teams (every team, 100 a page), and each team's members from
 * GET /orgs/{org}/teams/{slug}/members (100 a page, Link rel="next"; GitHub includes the members
 * of child teams).
 */
import { z } from 'zod';
import type { DirectoryGroup, GroupRead, OperationOptions } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson, type HttpResponse } from '../http/verdict.js';
import { guardedGroupRead, uniqueIds } from '../group-read.js';
import { sameOrigin } from '../mapping.js';
import { GITHUB_HEADERS, githubUpstreamError } from './client.js';
import type { GithubConfig } from './config.js';
import { GITHUB_MAX_PAGE, nextLink } from './read.js';

const teamSchema = z.looseObject({ id: z.number().int(), slug: z.string().min(1), name: z.string() });
type Team = z.output<typeof teamSchema>;
const memberSchema = z.looseObject({ id: z.number().int(), login: z.string() });

function parse<T>(schema: z.ZodType<T>, res: HttpResponse, op: string): T {
  const parsed = schema.safeParse(readJson(res));
  if (!parsed.success) {
    const where = parsed.error.issues[0]?.path.join('.') || 'body';
    throw connectorError('connector.upstream_error', `malformed ${op} response at ${where}: ${describe(res, {})}`, { provider: 'github', op, status: res.status });
  }
  return parsed.data;
}

/** Every item of a Link-paged listing, following rel="next" on the configured host only. */
async function allPages<T>(client: HttpClient, auth: BearerAuth, config: GithubConfig, first: string, schema: z.ZodType<T>, op: string, signal?: AbortSignal): Promise<T[]> {
  const out: T[] = [];
  let url = first;
  for (;;) {
    const res = await client.send({ op, url, auth, headers: GITHUB_HEADERS, signal });
    out.push(...parse(z.array(schema), res, op));
    const next = nextLink(res.headers.get('link'));
    if (next === undefined) return out;
    if (!sameOrigin(next, config.apiBaseUrl)) throw connectorError('connector.upstream_error', `${op}: next link points outside ${config.apiBaseUrl}`, { provider: 'github', op });
    if (next === url) throw connectorError('connector.upstream_error', `${op}: the same next link twice`, { provider: 'github', op });
    url = next;
  }
}

async function selectedTeams(client: HttpClient, auth: BearerAuth, config: GithubConfig, signal?: AbortSignal): Promise<Team[]> {
  const org = `${config.apiBaseUrl}/orgs/${encodeURIComponent(config.org)}`;
  const sel = config.groups!;
  if (sel === 'all') return allPages(client, auth, config, `${org}/teams?per_page=${GITHUB_MAX_PAGE}`, teamSchema, 'teams.list', signal);
  const out: Team[] = [];
  for (const slug of sel.slugs) {
    const res = await client.send({ op: 'teams.get', url: `${org}/teams/${encodeURIComponent(slug)}`, auth, headers: GITHUB_HEADERS, signal, accept: [404] });
    if (res.status === 404) throw connectorError('connector.not_found', `github.groups.slugs: team ${slug} not found in ${config.org} (${describe(res, githubUpstreamError(res))})`, { provider: 'github', op: 'teams.get', status: 404 });
    out.push(parse(teamSchema, res, 'teams.get'));
  }
  return out;
}

export function readGithubTeams(client: HttpClient, auth: BearerAuth, config: GithubConfig, logger: Logger) {
  return (_state: unknown, opts?: OperationOptions): Promise<GroupRead> =>
    guardedGroupRead(() => client.counters(), logger, 'full', async () => {
      const groups: DirectoryGroup[] = [];
      for (const t of await selectedTeams(client, auth, config, opts?.signal)) {
        const first = `${config.apiBaseUrl}/orgs/${encodeURIComponent(config.org)}/teams/${encodeURIComponent(t.slug)}/members?per_page=${GITHUB_MAX_PAGE}`;
        const members = await allPages(client, auth, config, first, memberSchema, 'teams.members', opts?.signal);
        groups.push({ id: String(t.id), key: t.slug.toLowerCase(), name: t.name || t.slug, memberIds: uniqueIds(members.map((m) => String(m.id))) });
      }
      return { complete: true as const, mode: 'full' as const, groups };
    });
}
