/**
 * GitHub org teams in the local GitHub (github-fake.ts): GET /orgs/{org}/teams, GET
 * /orgs/{org}/teams/{slug} and GET /orgs/{org}/teams/{slug}/members, paged by per_page/page with
 * Link headers like the members listing. Members are the fake's members, by index.
 */
import type { FakeRequest, Reply } from './server.js';

export type GithubTeamRoute = 'teams.list' | 'teams.get' | 'teams.members';

interface FakeTeam {
  id: number;
  slug: string;
  name: string;
  members: Set<number>;
}

const NOT_FOUND: Reply = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' } };

export class GithubTeamsFake {
  readonly teams: FakeTeam[] = [];
  /** Team members per page at most (smaller than 100, so a team spans pages). */
  pageSize = 2;

  constructor(
    private readonly org: string,
    private readonly memberAt: (i: number) => Record<string, unknown>,
  ) {}

  add(slug: string, name: string, members: number[]): FakeTeam {
    const t = { id: 900 + this.teams.length, slug, name, members: new Set(members) };
    this.teams.push(t);
    return t;
  }

  route(req: FakeRequest): { route: GithubTeamRoute; handle: () => Reply } | undefined {
    const p = req.url.pathname;
    const m = /^\/orgs\/([^/]+)\/teams(?:\/([^/]+))?(\/members)?$/.exec(p);
    if (!m || req.method !== 'GET') return undefined;
    const [, org, slug, members] = m;
    if (org !== this.org) return { route: 'teams.list', handle: () => NOT_FOUND };
    const team = () => this.teams.find((t) => t.slug === decodeURIComponent(slug ?? ''));
    if (slug === undefined) return { route: 'teams.list', handle: () => this.paged(req, this.teams.map((t) => this.resource(t))) };
    if (members === undefined) return { route: 'teams.get', handle: () => (team() ? { status: 200, body: this.resource(team()!) } : NOT_FOUND) };
    return { route: 'teams.members', handle: () => (team() ? this.paged(req, [...team()!.members].map((i) => this.memberAt(i))) : NOT_FOUND) };
  }

  private resource(t: FakeTeam) {
    return { id: t.id, node_id: `T_${t.id}`, slug: t.slug, name: t.name, privacy: 'closed', permission: 'pull', parent: null };
  }

  private paged(req: FakeRequest, all: unknown[]): Reply {
    const perPage = Math.min(this.pageSize, Math.max(1, Number(req.url.searchParams.get('per_page') ?? 30)));
    const page = Math.max(1, Number(req.url.searchParams.get('page') ?? 1));
    const last = Math.max(1, Math.ceil(all.length / perPage));
    const link = (n: number) => {
      const u = new URL(req.url);
      u.searchParams.set('page', String(n));
      return u.toString();
    };
    const rels = page < last ? [`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`] : [];
    return { status: 200, body: all.slice((page - 1) * perPage, page * perPage), ...(rels.length ? { headers: { link: rels.join(', ') } } : {}) };
  }
}
