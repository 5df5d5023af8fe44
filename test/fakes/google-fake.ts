/**
 * A local Google Workspace: the OAuth token endpoint (JWT-bearer grant, checks the assertion with
 * the service account's public key, `sub` and the delegated scope) and the Directory users.list /
 * users.get endpoints, paging like the real API (maxResults ≤ 500, default 100, opaque
 * pageToken, `fields=` that drops nextPageToken when it is not named). Faults are injected by route.
 * Push channels (users.watch, channels.stop) and the messages they send: google-channels.ts.
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { jwtVerify } from 'jose';
import { GoogleChannelsFake } from './google-channels.js';
import { GoogleGroupsFake, type GoogleGroupRoute } from './google-groups.js';
import { bearer, FakeServer, form, type FakeRequest, type Reply } from './server.js';

export type GoogleRoute = 'token' | 'users.list' | 'users.get' | 'users.watch' | 'channels.stop' | GoogleGroupRoute;
export const GROUP_READONLY = 'https://www.googleapis.com/auth/admin.directory.group.readonly';
export const DIRECTORY_READONLY = 'https://www.googleapis.com/auth/admin.directory.user.readonly';

export interface GoogleFakeUser {
  id: string;
  primaryEmail: string;
  name: { givenName: string; familyName: string; fullName: string };
  suspended: boolean;
  archived: boolean;
  isAdmin: boolean;
  orgUnitPath: string;
  emails: Array<{ address: string; primary?: boolean }>;
  aliases?: string[];
  kind: 'admin#directory#user';
}

export interface GoogleFakeOptions {
  /** How many users the directory holds (generated on demand: memory stays flat for 100k). */
  users: number;
  serviceAccountEmail: string;
  publicKeyPem: string;
  /** Existing users that may be impersonated; the first ones are administrators. */
  admins: string[];
  /** Users that exist but are not administrators. */
  nonAdmins?: string[];
  /** Scopes granted to the client in domain-wide delegation. */
  delegatedScopes?: string[];
  domain?: string;
  tokenLifetimeS?: number;
  /** Changes a generated user (suspend, move, …). */
  patch?: (i: number, u: GoogleFakeUser) => GoogleFakeUser;
  deleted?: Set<number>;
  /** Serve at most this many users per page, whatever maxResults asks (the API may return fewer). */
  pageSize?: number;
}

const ID_BASE = 100000000000000000000n;
const err = (code: number, message: string, reason: string): Reply => ({
  status: code,
  body: { error: { code, message, errors: [{ message, domain: reason.endsWith('Exceeded') ? 'usageLimits' : 'global', reason }] } },
});

export class GoogleFake {
  readonly server: FakeServer<GoogleRoute>;
  private readonly tokens = new Map<string, { sub: string; expiresAt: number; scopes: string[] }>();
  private generation = 0;
  readonly domain: string;
  readonly channels: GoogleChannelsFake;
  /** Groups and their members (google-groups.ts). */
  readonly groups = new GoogleGroupsFake((i) => this.userAt(i).id);
  /** Changes made while the fake runs (suspend, delete), over the generated users. */
  private readonly suspended = new Set<number>();
  private readonly deleted: Set<number>;

  constructor(readonly opts: GoogleFakeOptions) {
    this.domain = opts.domain ?? 'example.com';
    this.deleted = new Set(opts.deleted ?? []);
    this.channels = new GoogleChannelsFake((customer, domain) => this.scope(customer, domain));
    this.server = new FakeServer<GoogleRoute>((req) => {
      const watch = this.channels.route(req);
      if (watch) return { route: watch.route, handle: () => this.authorize(req) ?? watch.handle() };
      const group = this.groups.route(req);
      if (group) return { route: group.route, handle: () => this.authorize(req, GROUP_READONLY) ?? group.handle() };
      const p = req.url.pathname;
      if (req.method === 'POST' && p === '/token') return { route: 'token', handle: () => this.token(req) };
      if (req.method === 'GET' && p === '/admin/directory/v1/users') return { route: 'users.list', handle: () => this.list(req) };
      const m = /^\/admin\/directory\/v1\/users\/([^/]+)$/.exec(p);
      if (req.method === 'GET' && m) return { route: 'users.get', handle: () => this.get(req, decodeURIComponent(m[1]!)) };
      return undefined;
    });
  }

  get url(): string {
    return this.server.url;
  }
  get tokenUrl(): string {
    return `${this.server.url}/token`;
  }

  start = async () => (await this.server.start(), this);
  stop = () => this.server.stop();
  /** Every issued access token stops working (the client sees 401 and must refresh). */
  expireTokens(): void {
    this.tokens.clear();
  }
  /** Every page token handed out so far is rejected. */
  expirePageTokens(): void {
    this.generation += 1;
  }

  /** An admin suspends the user. */
  suspend(i: number): void {
    this.suspended.add(i);
  }
  /** An admin deletes the user (users.get answers 404). */
  remove(i: number): void {
    this.deleted.add(i);
  }
  /** An admin restores a deleted user. */
  restore(i: number): void {
    this.deleted.delete(i);
  }

  userAt(i: number): GoogleFakeUser {
    const email = `user${i}@${this.domain}`;
    const u: GoogleFakeUser = {
      kind: 'admin#directory#user',
      id: String(ID_BASE + BigInt(i)),
      primaryEmail: email,
      name: { givenName: `Given${i}`, familyName: `Family${i}`, fullName: `Given${i} Family${i}` },
      suspended: false,
      archived: false,
      isAdmin: i === 0,
      orgUnitPath: '/',
      emails: [{ address: email, primary: true }],
    };
    const patched = this.opts.patch ? this.opts.patch(i, u) : u;
    return this.suspended.has(i) ? { ...patched, suspended: true } : patched;
  }

  private async token(req: FakeRequest): Promise<Reply> {
    const f = form(req);
    if (f.get('grant_type') !== 'urn:ietf:params:oauth:grant-type:jwt-bearer') return { status: 400, body: { error: 'unsupported_grant_type', error_description: 'Invalid grant_type' } };
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(f.get('assertion') ?? '', createPublicKey(this.opts.publicKeyPem), { audience: this.tokenUrl, issuer: this.opts.serviceAccountEmail, algorithms: ['RS256'] }));
    } catch {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT Signature.' } };
    }
    if (typeof claims.exp !== 'number' || typeof claims.iat !== 'number' || claims.exp - claims.iat > 3600) {
      return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim.' } };
    }
    const sub = String(claims.sub ?? '');
    if (![...this.opts.admins, ...(this.opts.nonAdmins ?? [])].includes(sub)) return { status: 400, body: { error: 'invalid_grant', error_description: 'Invalid email or User ID' } };
    const granted = this.opts.delegatedScopes ?? [DIRECTORY_READONLY];
    if (!String(claims.scope ?? '').split(' ').every((s) => granted.includes(s))) {
      return { status: 401, body: { error: 'unauthorized_client', error_description: 'Client is unauthorized to retrieve access tokens using this method, or client not authorized for any of the scopes requested.' } };
    }
    const value = `ya29.${randomBytes(24).toString('base64url')}`;
    const lifetime = this.opts.tokenLifetimeS ?? 3600;
    this.tokens.set(value, { sub, expiresAt: Date.now() + lifetime * 1000, scopes: String(claims.scope ?? '').split(' ') });
    return { status: 200, body: { access_token: value, expires_in: lifetime, token_type: 'Bearer' } };
  }

  /** 401 for a token this fake did not issue (or expired); 403 when the impersonated user is no admin. */
  /** 400 without customer or domain, or with a customer this fake is not; 404 for another domain. */
  private scope(customer: string | null, domain: string | null): Reply | undefined {
    if (customer === null && domain === null) return err(400, 'Bad Request', 'badRequest');
    if (customer !== null && customer !== 'my_customer' && customer !== 'C0fake') return err(400, 'Bad Request', 'badRequest');
    if (domain !== null && domain !== this.domain) return err(404, 'Domain not found.', 'notFound');
    return undefined;
  }

  private authorize(req: FakeRequest, scope = DIRECTORY_READONLY): Reply | undefined {
    const t = this.tokens.get(bearer(req) ?? '');
    if (!t || t.expiresAt < Date.now()) {
      return { status: 401, body: { error: { code: 401, message: 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', errors: [{ message: 'Invalid Credentials', domain: 'global', reason: 'authError' }], status: 'UNAUTHENTICATED' } } };
    }
    if (!this.opts.admins.includes(t.sub) || !t.scopes.includes(scope)) return err(403, 'Not Authorized to access this resource/api', 'forbidden');
    return undefined;
  }

  private list(req: FakeRequest): Reply {
    const denied = this.authorize(req);
    if (denied) return denied;
    const q = req.url.searchParams;
    const scoped = this.scope(q.get('customer'), q.get('domain'));
    if (scoped) return scoped;
    const max = Number(q.get('maxResults') ?? 100);
    if (!Number.isInteger(max) || max < 1 || max > 500) return err(400, `Invalid value '${q.get('maxResults')}'. Values must be within the range: [1, 500]`, 'invalid');
    const pageMax = Math.min(max, this.opts.pageSize ?? max);
    let offset = 0;
    const token = q.get('pageToken');
    if (token !== null) {
      const decoded = decodeToken(token);
      if (!decoded || decoded.g !== this.generation) return err(400, 'Invalid Input', 'invalid');
      offset = decoded.o;
    }
    const ou = /orgUnitPath='([^']*)'/.exec(q.get('query') ?? '')?.[1];
    const users: GoogleFakeUser[] = [];
    let i = offset;
    for (; i < this.opts.users && users.length < pageMax; i++) {
      if (this.deleted.has(i)) continue;
      const u = this.userAt(i);
      if (ou === undefined || u.orgUnitPath === ou || u.orgUnitPath.startsWith(`${ou}/`)) users.push(u);
    }
    const body: Record<string, unknown> = { kind: 'admin#directory#users', etag: '"fake"' };
    if (users.length) body.users = users;
    if (i < this.opts.users) body.nextPageToken = encodeToken({ o: i, g: this.generation });
    return { status: 200, body: partial(body, q.get('fields')) };
  }

  private get(req: FakeRequest, key: string): Reply {
    const denied = this.authorize(req);
    if (denied) return denied;
    const i = /^\d+$/.test(key) ? Number(BigInt(key) - ID_BASE) : -1;
    if (i < 0 || i >= this.opts.users || this.deleted.has(i)) return err(404, 'Resource Not Found: userKey', 'notFound');
    return { status: 200, body: this.userAt(i) };
  }
}

function encodeToken(t: { o: number; g: number }): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}
function decodeToken(s: string): { o: number; g: number } | undefined {
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as { o?: unknown; g?: unknown };
    return typeof v.o === 'number' && typeof v.g === 'number' ? { o: v.o, g: v.g } : undefined;
  } catch {
    return undefined;
  }
}

/** Top-level `fields=` semantics: what is not named is dropped — nextPageToken included. */
function partial(body: Record<string, unknown>, fields: string | null): Record<string, unknown> {
  if (fields === null) return body;
  const top = new Set(fields.split(/,(?![^(]*\))/).map((f) => f.replace(/\(.*$/, '').trim()));
  return Object.fromEntries(Object.entries(body).filter(([k]) => top.has(k)));
}
