/**
 * A local GitHub: App installation tokens (checks the app JWT: RS256, iss = app id, exp at most
 * 10 minutes out), a personal token, the org members listing (per_page ≤ 100, default 30, Link
 * headers with next/last, role=admin), /user/{id}, memberships, x-ratelimit-* headers with a
 * primary limit that runs out, and GraphQL SAML external identities paged by cursor.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { GithubTeamsFake, type GithubTeamRoute } from './github-teams.js';
import { bearer, FakeServer, type FakeRequest, type Reply } from './server.js';

export type GithubRoute = 'installation.token' | 'members' | 'user' | 'membership' | 'graphql' | GithubTeamRoute;

export interface GithubFakeOptions {
  org: string;
  members: number;
  appId: string;
  installationId: string;
  publicKeyPem: string;
  /** A personal access token that is accepted as is. */
  pat?: string;
  admins?: (i: number) => boolean;
  /** SAML SSO configured for the org (one identity per member; the last member's is not linked). */
  saml?: boolean;
  /** GraphQL answers FORBIDDEN for SAML identities (token without owner rights). */
  samlForbidden?: boolean;
  /** Logins with a pending invitation (not members). */
  pending?: Set<number>;
  /** Primary rate limit per token (default: effectively unlimited). */
  rateLimit?: number;
  /** Former members: the accounts exist, but they are neither listed nor members any more. */
  removed?: Set<number>;
  /** Serve at most this many members per page, whatever per_page asks. */
  pageSize?: number;
}

const NOT_FOUND: Reply = { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' } };
const USER_BASE = 5_000_000;

export class GithubFake {
  readonly server: FakeServer<GithubRoute>;
  private readonly tokens = new Map<string, number>();
  private remaining: number;
  resetAt = Math.floor(Date.now() / 1000) + 3600;
  /** Org teams and their members (github-teams.ts). */
  readonly teams: GithubTeamsFake;

  constructor(readonly opts: GithubFakeOptions) {
    this.remaining = opts.rateLimit ?? 1_000_000;
    if (opts.pat) this.tokens.set(opts.pat, Number.MAX_SAFE_INTEGER);
    this.teams = new GithubTeamsFake(opts.org, (i) => this.memberAt(i));
    this.server = new FakeServer<GithubRoute>((req) => {
      const p = req.url.pathname;
      const team = this.teams.route(req);
      if (team) return { route: team.route, handle: () => this.api(req, team.handle) };
      const it = /^\/app\/installations\/([^/]+)\/access_tokens$/.exec(p);
      if (req.method === 'POST' && it) return { route: 'installation.token', handle: () => this.installationToken(req, it[1]!) };
      if (req.method === 'POST' && p === '/graphql') return { route: 'graphql', handle: () => this.api(req, () => this.graphql(req)) };
      const mm = /^\/orgs\/([^/]+)\/members$/.exec(p);
      if (mm) return { route: 'members', handle: () => this.api(req, () => this.members(req, mm[1]!)) };
      const um = /^\/user\/(\d+)$/.exec(p);
      if (um) return { route: 'user', handle: () => this.api(req, () => this.user(Number(um[1]) - USER_BASE)) };
      const ms = /^\/orgs\/([^/]+)\/memberships\/([^/]+)$/.exec(p);
      if (ms) return { route: 'membership', handle: () => this.api(req, () => this.membership(ms[1]!, ms[2]!)) };
      return undefined;
    });
  }

  get url(): string {
    return this.server.url;
  }
  start = async () => (await this.server.start(), this);
  stop = () => this.server.stop();
  expireTokens(): void {
    for (const k of this.tokens.keys()) if (k !== this.opts.pat) this.tokens.delete(k);
  }

  /** Member i leaves the org upstream (their account stays; the membership is gone). */
  removeMember(i: number): void {
    (this.opts.removed ??= new Set()).add(i);
  }

  memberAt(i: number): Record<string, unknown> {
    return { login: `octo${i}`, id: USER_BASE + i, node_id: `U_${i}`, type: 'User', site_admin: false };
  }
  isAdmin(i: number): boolean {
    return this.opts.admins ? this.opts.admins(i) : i === 0;
  }

  private async installationToken(req: FakeRequest, id: string): Promise<Reply> {
    try {
      const { payload } = await jwtVerify(bearer(req) ?? '', createPublicKey(this.opts.publicKeyPem), { algorithms: ['RS256'], issuer: this.opts.appId });
      if (!payload.exp || payload.exp - Math.floor(Date.now() / 1000) > 600) {
        return { status: 401, body: { message: "'Expiration time' claim ('exp') is too far in the future", documentation_url: 'https://docs.github.com/rest' } };
      }
    } catch {
      return { status: 401, body: { message: 'A JSON web token could not be decoded', documentation_url: 'https://docs.github.com/rest' } };
    }
    if (id !== this.opts.installationId) return NOT_FOUND;
    const token = `ghs_${this.opts.appId}_${randomBytes(40).toString('base64url')}`;
    const expiresAt = Date.now() + 3600_000;
    this.tokens.set(token, expiresAt);
    return { status: 201, body: { token, expires_at: new Date(expiresAt).toISOString(), permissions: { members: 'read' }, repository_selection: 'all' } };
  }

  /** Auth and the primary rate limit, with the documented headers on every answer. */
  private api(req: FakeRequest, then: () => Reply): Reply {
    const exp = this.tokens.get(bearer(req) ?? '');
    if (exp === undefined || exp < Date.now()) return { status: 401, body: { message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest' } };
    const limit = this.opts.rateLimit ?? 1_000_000;
    const headers = (remaining: number) => ({
      'x-ratelimit-limit': String(limit),
      'x-ratelimit-remaining': String(remaining),
      'x-ratelimit-used': String(limit - remaining),
      'x-ratelimit-reset': String(this.resetAt),
      'x-ratelimit-resource': req.url.pathname === '/graphql' ? 'graphql' : 'core',
    });
    if (this.remaining <= 0) {
      return { status: 403, headers: headers(0), body: { message: `API rate limit exceeded for installation ID ${this.opts.installationId}.`, documentation_url: 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api' } };
    }
    this.remaining -= 1;
    const reply = then();
    return { ...reply, headers: { ...headers(this.remaining), ...reply.headers } };
  }

  /** The reset time passed: the quota is full again. */
  resetRateLimit(): void {
    this.remaining = this.opts.rateLimit ?? 1_000_000;
  }

  private members(req: FakeRequest, org: string): Reply {
    if (org !== this.opts.org) return NOT_FOUND;
    const q = req.url.searchParams;
    const perPage = Math.min(100, this.opts.pageSize ?? 100, Math.max(1, Number(q.get('per_page') ?? 30)));
    const page = Math.max(1, Number(q.get('page') ?? 1));
    const role = q.get('role') ?? 'all';
    const indexes: number[] = [];
    for (let i = 0; i < this.opts.members; i++) if (!this.opts.pending?.has(i) && !this.opts.removed?.has(i) && (role !== 'admin' || this.isAdmin(i))) indexes.push(i);
    const last = Math.max(1, Math.ceil(indexes.length / perPage));
    const body = indexes.slice((page - 1) * perPage, page * perPage).map((i) => this.memberAt(i));
    const link = (p: number) => {
      const u = new URL(req.url);
      u.searchParams.set('page', String(p));
      return u.toString();
    };
    const rels = [];
    if (page < last) rels.push(`<${link(page + 1)}>; rel="next"`, `<${link(last)}>; rel="last"`);
    if (page > 1) rels.push(`<${link(page - 1)}>; rel="prev"`, `<${link(1)}>; rel="first"`);
    return { status: 200, body, ...(rels.length ? { headers: { link: rels.join(', ') } } : {}) };
  }

  private user(i: number): Reply {
    return i >= 0 && i < this.opts.members ? { status: 200, body: this.memberAt(i) } : NOT_FOUND;
  }

  private membership(org: string, login: string): Reply {
    const i = Number(/^octo(\d+)$/.exec(login)?.[1] ?? -1);
    if (org !== this.opts.org || i < 0 || i >= this.opts.members || this.opts.removed?.has(i)) return NOT_FOUND;
    const state = this.opts.pending?.has(i) ? 'pending' : 'active';
    return { status: 200, body: { state, role: this.isAdmin(i) ? 'admin' : 'member', organization: { login: org }, user: this.memberAt(i) } };
  }

  private graphql(req: FakeRequest): Reply {
    const { query, variables } = JSON.parse(req.body) as { query: string; variables: { org: string; cursor: string | null } };
    if (!query.includes('samlIdentityProvider') || !query.includes('externalIdentities(first: 100')) return { status: 200, body: { errors: [{ message: 'unexpected query in the fake' }] } };
    if (variables.org !== this.opts.org) {
      return { status: 200, body: { data: { organization: null }, errors: [{ type: 'NOT_FOUND', path: ['organization'], message: `Could not resolve to an Organization with the login of '${variables.org}'.` }] } };
    }
    if (this.opts.samlForbidden) {
      return { status: 200, body: { data: { organization: { samlIdentityProvider: null } }, errors: [{ type: 'FORBIDDEN', path: ['organization', 'samlIdentityProvider'], message: 'Resource not accessible by integration' }] } };
    }
    if (!this.opts.saml) return { status: 200, body: { data: { organization: { samlIdentityProvider: null } } } };
    const start = variables.cursor === null ? 0 : Number(Buffer.from(variables.cursor, 'base64').toString().replace('cursor:', ''));
    // One identity per member; the last one never linked its account (user: null).
    const total = this.opts.members;
    const end = Math.min(total, start + 100);
    const edges = [];
    for (let i = start; i < end; i++) {
      const linked = i < total - 1;
      edges.push({ node: { guid: `guid-${i}`, samlIdentity: { nameId: `person${i}@corp.example` }, scimIdentity: linked ? { username: `person${i}@corp.example` } : null, user: linked ? { login: `octo${i}` } : null } });
    }
    const endCursor = Buffer.from(`cursor:${end}`).toString('base64');
    return { status: 200, body: { data: { organization: { samlIdentityProvider: { externalIdentities: { pageInfo: { hasNextPage: end < total, endCursor }, edges } } } } } };
  }
}
