/**
 * A local Microsoft Entra ID + Graph: the v2.0 token endpoint (client credentials with a secret or a
 * certificate assertion, checked the way Entra documents: aud = token endpoint, x5t = thumbprint,
 * scope = {graph root}/.default) and Graph /v1.0/users, /users/{id}, /users/delta, group
 * transitiveMembers and checkMemberGroups, paging like the real API ($top 1..999, default 100,
 * absolute @odata.nextLink with $skiptoken, deltaLink on the last delta page only), and change
 * notification subscriptions that send real notifications (graph-subscriptions.ts).
 */
import { createPublicKey, randomBytes } from 'node:crypto';
import { decodeProtectedHeader, jwtVerify } from 'jose';
import { GraphGroupsFake, type GraphGroupRoute } from './graph-groups.js';
import { GraphSubscriptionsFake } from './graph-subscriptions.js';
import { bearer, FakeServer, form, type FakeRequest, type Reply } from './server.js';

export type GraphRoute = 'token' | 'users.list' | 'users.get' | 'users.delta' | 'group.members' | 'checkMemberGroups' | 'deletedItems.get' | 'subscriptions' | GraphGroupRoute;

export interface GraphFakeOptions {
  users: number;
  tenantId: string;
  clientId: string;
  clientSecret?: string;
  certificate?: { publicKeyPem: string; thumbprintSha1Hex: string };
  groupId?: string;
  /** Indexes in the group (default: even ones). */
  inGroup?: (i: number) => boolean;
  disabled?: (i: number) => boolean;
  deltaPageSize?: number;
  /** Serve at most this many users per /users page, whatever $top asks (Graph may return fewer). */
  pageSize?: number;
}

const DEFAULT_SELECT = ['businessPhones', 'displayName', 'givenName', 'id', 'jobTitle', 'mail', 'mobilePhone', 'officeLocation', 'preferredLanguage', 'surname', 'userPrincipalName'];
const gErr = (status: number, code: string, message: string): Reply => ({
  status,
  body: { error: { code, message, innerError: { 'request-id': randomBytes(8).toString('hex'), date: new Date().toISOString() } } },
});
const aad = (status: number, error: string, n: number, text: string): Reply => ({
  status,
  body: { error, error_description: `AADSTS${n}: ${text}\r\nTrace ID: x\r\nTimestamp: ${new Date().toISOString()}`, error_codes: [n], timestamp: new Date().toISOString(), trace_id: 'x', correlation_id: 'y' },
});

export function graphId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

export class GraphFake {
  readonly server: FakeServer<GraphRoute>;
  private readonly tokens = new Map<string, number>();
  private generation = 0;
  private version = 1;
  /** index → version of its last change; removed users have `removed` set. */
  private readonly changes = new Map<number, { version: number; removed?: 'changed' | 'deleted'; disabled?: boolean; deletedAt?: string }>();
  private deltaGeneration = 0;
  readonly subscriptions: GraphSubscriptionsFake;
  /** Entra groups with membership delta (graph-groups.ts). */
  readonly groups = new GraphGroupsFake(() => this.url);

  constructor(readonly opts: GraphFakeOptions) {
    this.subscriptions = new GraphSubscriptionsFake(opts.tenantId);
    this.server = new FakeServer<GraphRoute>((req) => {
      const p = req.url.pathname;
      const sub = this.subscriptions.route(req);
      if (sub) return { route: sub.route, handle: () => this.guardAsync(req, sub.handle) };
      const grp = this.groups.route(req);
      if (grp) return { route: grp.route, handle: () => this.guard(req, grp.handle) };
      const tm = /^\/([^/]+)\/oauth2\/v2\.0\/token$/.exec(p);
      if (req.method === 'POST' && tm) return { route: 'token', handle: () => this.token(req, decodeURIComponent(tm[1]!)) };
      if (p === '/v1.0/users') return { route: 'users.list', handle: () => this.guard(req, () => this.list(req, (i) => !this.isRemoved(i))) };
      if (p === '/v1.0/users/delta') return { route: 'users.delta', handle: () => this.guard(req, () => this.delta(req)) };
      const gm = /^\/v1\.0\/groups\/([^/]+)\/transitiveMembers\/microsoft\.graph\.user$/.exec(p);
      if (gm) return { route: 'group.members', handle: () => this.guard(req, () => (gm[1] === opts.groupId ? this.list(req, (i) => !this.isRemoved(i) && this.inGroup(i)) : gErr(404, 'Request_ResourceNotFound', `Resource '${gm[1]}' does not exist or one of its queried reference-property objects are not present.`))) };
      const cm = /^\/v1\.0\/users\/([^/]+)\/checkMemberGroups$/.exec(p);
      if (req.method === 'POST' && cm) return { route: 'checkMemberGroups', handle: () => this.guard(req, () => this.checkMemberGroups(req, cm[1]!)) };
      const dm = /^\/v1\.0\/directory\/deletedItems\/([^/]+)$/.exec(p);
      if (dm) return { route: 'deletedItems.get', handle: () => this.guard(req, () => this.deletedItem(decodeURIComponent(dm[1]!))) };
      const um = /^\/v1\.0\/users\/([^/]+)$/.exec(p);
      if (um) return { route: 'users.get', handle: () => this.guard(req, () => this.get(req, decodeURIComponent(um[1]!))) };
      return undefined;
    });
  }

  get url(): string {
    return this.server.url;
  }
  start = async () => (await this.server.start(), this);
  stop = () => this.server.stop();
  expireTokens(): void {
    this.tokens.clear();
  }
  expirePageTokens(): void {
    this.generation += 1;
  }
  expireDeltaTokens(): void {
    this.deltaGeneration += 1;
  }
  /** Upstream changes that the next delta round reports. */
  disable(i: number): void {
    this.changes.set(i, { version: ++this.version, disabled: true });
  }
  /** accountEnabled true again (after disable). */
  enable(i: number): void {
    this.changes.set(i, { version: ++this.version, disabled: false });
  }
  remove(i: number, reason: 'changed' | 'deleted' = 'changed'): void {
    this.changes.set(i, { version: ++this.version, removed: reason, deletedAt: new Date().toISOString() });
  }
  /** The deltaLink a round finishing now would carry (for faults that end a delta round early). */
  deltaLinkNow(): string {
    return `${this.url}/v1.0/users/delta?$deltatoken=d${this.deltaGeneration}.${this.version}`;
  }
  /** A change to an attribute that does not matter here: the user shows up in the next delta round. */
  touch(i: number): void {
    this.changes.set(i, { ...this.changes.get(i), version: ++this.version });
  }

  private isRemoved(i: number): boolean {
    return this.changes.get(i)?.removed !== undefined;
  }
  private inGroup(i: number): boolean {
    return this.opts.inGroup ? this.opts.inGroup(i) : i % 2 === 0;
  }

  userAt(i: number): Record<string, unknown> {
    const upn = `user${i}@contoso.example`;
    return {
      id: graphId(i),
      userPrincipalName: upn,
      mail: upn,
      otherMails: [],
      proxyAddresses: [`SMTP:${upn}`, `smtp:alias${i}@contoso.example`],
      givenName: `Given${i}`,
      surname: `Sur${i}`,
      displayName: `Given${i} Sur${i}`,
      accountEnabled: !(this.opts.disabled?.(i) ?? false) && !this.changes.get(i)?.disabled,
      userType: 'Member',
      deletedDateTime: null,
      businessPhones: [],
      jobTitle: null,
    };
  }

  private async token(req: FakeRequest, tenant: string): Promise<Reply> {
    const f = form(req);
    if (tenant !== this.opts.tenantId) return aad(400, 'invalid_request', 90002, `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.`);
    if (f.get('grant_type') !== 'client_credentials') return aad(400, 'unsupported_grant_type', 70003, 'The app requested an unsupported grant type.');
    if (f.get('client_id') !== this.opts.clientId) return aad(400, 'unauthorized_client', 700016, `Application with identifier '${f.get('client_id')}' was not found in the directory.`);
    if (f.get('scope') !== `${this.url}/.default`) return aad(400, 'invalid_scope', 70011, `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid.`);
    const assertion = f.get('client_assertion');
    if (assertion !== null) {
      const cert = this.opts.certificate;
      try {
        if (!cert || f.get('client_assertion_type') !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer') throw new Error('no cert');
        const header = decodeProtectedHeader(assertion);
        if (header.x5t !== Buffer.from(cert.thumbprintSha1Hex, 'hex').toString('base64url')) throw new Error('x5t');
        const tokenUrl = `${this.url}/${tenant}/oauth2/v2.0/token`;
        const { payload } = await jwtVerify(assertion, createPublicKey(cert.publicKeyPem), { audience: tokenUrl, issuer: this.opts.clientId, subject: this.opts.clientId });
        if (!payload.jti || !payload.exp || payload.exp - Math.floor(Date.now() / 1000) > 600) throw new Error('claims');
      } catch {
        return aad(401, 'invalid_client', 700027, 'Client assertion failed signature validation.');
      }
    } else if (f.get('client_secret') === null) {
      return aad(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    } else if (f.get('client_secret') !== this.opts.clientSecret) {
      return aad(401, 'invalid_client', 7000215, 'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.');
    }
    const value = `eyJ0eXAiOiJKV1Qi.${randomBytes(24).toString('base64url')}`;
    this.tokens.set(value, Date.now() + 3599_000);
    return { status: 200, body: { token_type: 'Bearer', expires_in: 3599, ext_expires_in: 3599, access_token: value } };
  }

  private async guardAsync(req: FakeRequest, then: () => Reply | Promise<Reply>): Promise<Reply> {
    const refused = this.guard(req, () => ({ status: 0 }));
    return refused.status === 0 ? then() : refused;
  }

  private guard(req: FakeRequest, then: () => Reply): Reply {
    const exp = this.tokens.get(bearer(req) ?? '');
    if (exp === undefined || exp < Date.now()) return gErr(401, 'InvalidAuthenticationToken', 'Access token has expired or is not yet valid.');
    return then();
  }

  private select(u: Record<string, unknown>, select: string | null): Record<string, unknown> {
    const keep = new Set(select ? select.split(',') : DEFAULT_SELECT);
    keep.add('id');
    return Object.fromEntries(Object.entries(u).filter(([k]) => keep.has(k)));
  }

  private list(req: FakeRequest, include: (i: number) => boolean): Reply {
    const q = req.url.searchParams;
    const top = Number(q.get('$top') ?? 100);
    if (!Number.isInteger(top) || top < 1 || top > 999) return gErr(400, 'Request_UnsupportedQuery', `Invalid page size specified: '${q.get('$top')}'. Must be between 1 and 999 inclusive.`);
    let offset = 0;
    const skip = q.get('$skiptoken');
    if (skip !== null) {
      const [g, o] = skip.split('.').map(Number);
      if (g !== this.generation) return gErr(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.');
      offset = o!;
    }
    const value: Record<string, unknown>[] = [];
    let i = offset;
    const pageMax = Math.min(top, this.opts.pageSize ?? top);
    for (; i < this.opts.users && value.length < pageMax; i++) if (include(i)) value.push(this.select(this.userAt(i), q.get('$select')));
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/v1.0/$metadata#users`, value };
    if (i < this.opts.users) {
      const next = new URL(req.url);
      next.searchParams.set('$skiptoken', `${this.generation}.${i}`);
      body['@odata.nextLink'] = next.toString();
    }
    return { status: 200, body };
  }

  private get(req: FakeRequest, id: string): Reply {
    const i = parseInt(id.slice(-12), 16);
    if (graphId(i) !== id || i >= this.opts.users || this.isRemoved(i)) return gErr(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    return { status: 200, body: this.select(this.userAt(i), req.url.searchParams.get('$select')) };
  }

  /** GET /directory/deletedItems/{id}: soft-deleted users (`@removed` reason "changed") are restorable and dated; hard-deleted ones are gone. */
  private deletedItem(id: string): Reply {
    const i = parseInt(id.slice(-12), 16);
    const c = this.changes.get(i);
    if (graphId(i) !== id || c?.removed !== 'changed') return gErr(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    return { status: 200, body: { '@odata.type': '#microsoft.graph.user', id, deletedDateTime: c.deletedAt } };
  }

  private checkMemberGroups(req: FakeRequest, id: string): Reply {
    const i = parseInt(id.slice(-12), 16);
    const ids = (JSON.parse(req.body) as { groupIds: string[] }).groupIds;
    return { status: 200, body: { value: ids.filter((g) => g === this.opts.groupId && this.inGroup(i)) } };
  }

  /** State tokens: `$skiptoken` = "d{deltaGen}.{since}.{offset}", `$deltatoken` = "d{deltaGen}.{version}". */
  private delta(req: FakeRequest): Reply {
    const q = req.url.searchParams;
    if (q.has('$top')) return gErr(400, 'Request_UnsupportedQuery', 'Unsupported query.');
    const state = q.get('$skiptoken') ?? q.get('$deltatoken');
    let since = 0;
    let offset = 0;
    let select = q.get('$select');
    if (state !== null) {
      const [g, a, b] = state.slice(1).split('.');
      if (Number(g) !== this.deltaGeneration) {
        return { status: 410, headers: { location: `${this.url}/v1.0/users/delta?$deltatoken=` }, body: { error: { code: 'syncStateNotFound', message: 'The sync state is not found or has expired. Please restart the sync.' } } };
      }
      since = Number(a);
      offset = q.has('$skiptoken') ? Number(b) : 0;
      select = 'id,userPrincipalName,mail,otherMails,proxyAddresses,givenName,surname,displayName,accountEnabled,userType,deletedDateTime';
    }
    const size = this.opts.deltaPageSize ?? 200;
    const value: Record<string, unknown>[] = [];
    let i = offset;
    for (; i < this.opts.users && value.length < size; i++) {
      const c = this.changes.get(i);
      if (since > 0 && (!c || c.version <= since)) continue;
      if (c?.removed) value.push({ id: graphId(i), '@removed': { reason: c.removed } });
      else value.push(this.select(this.userAt(i), select));
    }
    const base = `${this.url}/v1.0/users/delta`;
    const body: Record<string, unknown> = { '@odata.context': `${this.url}/v1.0/$metadata#users`, value };
    if (i < this.opts.users) body['@odata.nextLink'] = `${base}?$skiptoken=d${this.deltaGeneration}.${since}.${i}`;
    else body['@odata.deltaLink'] = `${base}?$deltatoken=d${this.deltaGeneration}.${this.version}`;
    return { status: 200, body };
  }
}
