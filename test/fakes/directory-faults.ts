/**
 * The three local directories behind one face, for fault-matrix tests: each starts a fresh fake
 * (30 in-scope users, 10 per page, so a listing has a "page 2"), says how a connection reaches it,
 * and answers every listing fault in the shape its real API documents (DIRECTORY-APIS.md):
 * Google's error envelope and reasons, Graph's error codes (users list and users/delta alike),
 * GitHub's message bodies and rate-limit headers.
 */
import type { RsaKeys } from '../support/connectors.js';
import { GithubFake, type GithubRoute } from './github-fake.js';
import { GoogleFake, type GoogleRoute } from './google-fake.js';
import { GraphFake, type GraphRoute } from './graph-fake.js';
import type { FakeRequest, FakeServer, Fault, Reply } from './server.js';

export type FakeProvider = 'google' | 'microsoft' | 'github';

/** Faults on the member listing; `lookups` breaks the point lookups (users.get) instead. */
export type ListingFault = 'storm' | 'quota' | 'serverError' | 'slowPage' | 'expiredToken' | 'empty' | 'truncated' | 'lookups';

/** Members the tests create: user i of the directory for i < MEMBERS (all linked after one run). */
export const MEMBERS = 30;
export const PAGE_SIZE = 10;

export interface FaultyDirectory {
  readonly provider: FakeProvider;
  /** Connection config pointing at the fake. */
  readonly config: Record<string, unknown>;
  emailOf(i: number): string;
  /** Queues `fault` on every route that serves the listing (or the lookups); false when it has no documented shape here. */
  inject(kind: ListingFault, times: number, extra?: Pick<Fault, 'delayMs' | 'onServe'>): boolean;
  /** Requests made to the listing routes so far. */
  listingCalls(): number;
  /** Faults the fake has served so far. */
  faultsServed(): number;
  /** The user is suspended (Google), disabled (Graph) or no longer a member (GitHub). */
  offboard(i: number): void;
  /** Every user changed upstream (a bulk attribute update): a Graph delta round spans pages too. */
  touchAll(): void;
  /** The next stored delta cursor is refused (Graph 410 syncStateNotFound), forcing a full round; a no-op elsewhere. Call before inject(). */
  rejectDeltaCursor(): void;
  stop(): Promise<void>;
}

const isLater = (param: string) => (req: FakeRequest) => req.url.searchParams.has(param);
const identity = (r: Reply) => r;
const withoutHeader = (r: Reply, name: string): Reply => ({ ...r, headers: Object.fromEntries(Object.entries(r.headers ?? {}).filter(([k]) => k.toLowerCase() !== name)) });
const withoutKey = (r: Reply, key: string): Reply => ({ ...r, body: Object.fromEntries(Object.entries(r.body as Record<string, unknown>).filter(([k]) => k !== key)) });

function queue<R extends string>(server: FakeServer<R>, routes: readonly R[], fault: Fault | undefined, times: number, extra: Pick<Fault, 'delayMs' | 'onServe'>): boolean {
  if (!fault) return false;
  for (const r of routes) server.inject(r, { ...fault, ...extra }, times);
  return true;
}

const googleError = (code: number, message: string, reason: string, domain = 'global'): Reply => ({ status: code, body: { error: { code, message, errors: [{ message, domain, reason }] } } });

export async function googleDirectory(keys: RsaKeys): Promise<FaultyDirectory> {
  const sa = 'idsync@project.iam.gserviceaccount.com';
  const suspended = new Set<number>();
  const fake = await new GoogleFake({ users: MEMBERS, pageSize: PAGE_SIZE, serviceAccountEmail: sa, publicKeyPem: keys.publicPem, admins: ['admin@example.com'], patch: (i, u) => (suspended.has(i) ? { ...u, suspended: true } : u) }).start();
  const later = isLater('pageToken');
  const faults: Record<ListingFault, { route: GoogleRoute; fault: Fault } | undefined> = {
    storm: { route: 'users.list', fault: { ...googleError(429, 'Rate Limit Exceeded', 'rateLimitExceeded', 'usageLimits'), headers: { 'retry-after': '30' } } },
    // Documented without Retry-After: the client backs off on its own.
    quota: { route: 'users.list', fault: googleError(403, 'Quota exceeded for quota metric', 'userRateLimitExceeded', 'usageLimits') },
    serverError: { route: 'users.list', fault: { ...googleError(500, 'Backend Error', 'backendError'), when: later } },
    slowPage: { route: 'users.list', fault: { rewrite: identity, when: later } },
    expiredToken: { route: 'users.list', fault: { ...googleError(400, 'Invalid Input', 'invalid'), when: later } },
    empty: { route: 'users.list', fault: { status: 200, body: { kind: 'admin#directory#users', etag: '"fake"' } } },
    truncated: { route: 'users.list', fault: { rewrite: (r) => withoutKey(r, 'nextPageToken'), when: later } },
    lookups: { route: 'users.get', fault: googleError(503, 'Service unavailable. Please try again', 'backendError') },
  };
  return {
    provider: 'google',
    config: { adminEmail: 'admin@example.com', serviceAccountKey: JSON.stringify({ type: 'service_account', client_email: sa, private_key: keys.pkcs8 }), apiBaseUrl: fake.url, tokenUrl: fake.tokenUrl },
    emailOf: (i) => `user${i}@${fake.domain}`,
    inject: (kind, times, extra = {}) => (faults[kind] ? queue(fake.server, [faults[kind].route], faults[kind].fault, times, extra) : false),
    faultsServed: () => fake.server.faultsServed,
    listingCalls: () => fake.server.calls('users.list'),
    offboard: (i) => void suspended.add(i),
    touchAll: () => undefined,
    rejectDeltaCursor: () => undefined,
    stop: () => fake.stop(),
  };
}

const graphError = (status: number, code: string, message: string, headers?: Record<string, string>): Reply => ({
  status,
  ...(headers ? { headers } : {}),
  body: { error: { code, message, innerError: { 'request-id': '00000000-fake', date: '2026-03-01T00:00:00' } } },
});

export async function graphDirectory(): Promise<FaultyDirectory> {
  const tenantId = '11111111-2222-4333-8444-555555555555';
  const clientId = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
  const fake = await new GraphFake({ users: MEMBERS, pageSize: PAGE_SIZE, deltaPageSize: PAGE_SIZE, tenantId, clientId, clientSecret: 'graph-secret' }).start();
  const later = isLater('$skiptoken');
  const both = (fault: Fault) => ({ 'users.list': fault, 'users.delta': fault });
  // Each listing fault on both /users and /users/delta: the reconciler may read either.
  const faults: Record<ListingFault, Partial<Record<GraphRoute, Fault>>> = {
    storm: both(graphError(429, 'TooManyRequests', 'Too many requests', { 'retry-after': '30' })),
    // Graph has no quota 403: its "come back later" is 503/504 with Retry-After.
    quota: both(graphError(503, 'serviceNotAvailable', 'Service unavailable', { 'retry-after': '5' })),
    serverError: both({ ...graphError(500, 'generalException', 'General exception while processing.'), when: later }),
    slowPage: both({ rewrite: identity, when: later }),
    expiredToken: {
      'users.list': { ...graphError(400, 'Directory_ExpiredPageToken', 'The specified page token value has expired and can no longer be included in your request.'), when: later },
      'users.delta': { status: 410, headers: { location: `${fake.url}/v1.0/users/delta?$deltatoken=` }, body: { error: { code: 'syncStateNotFound', message: 'The sync state is not found or has expired. Please restart the sync.' } }, when: later },
    },
    empty: {
      'users.list': { status: 200, body: { '@odata.context': `${fake.url}/v1.0/$metadata#users`, value: [] } },
      'users.delta': { rewrite: () => ({ status: 200, body: { '@odata.context': `${fake.url}/v1.0/$metadata#users`, value: [], '@odata.deltaLink': fake.deltaLinkNow() } }) },
    },
    truncated: {
      'users.list': { rewrite: (r) => withoutKey(r, '@odata.nextLink'), when: later },
      'users.delta': { rewrite: (r) => ({ ...withoutKey(r, '@odata.nextLink'), body: { ...(withoutKey(r, '@odata.nextLink').body as object), '@odata.deltaLink': fake.deltaLinkNow() } }), when: later },
    },
    lookups: { 'users.get': graphError(503, 'serviceNotAvailable', 'Service unavailable', { 'retry-after': '0' }) },
  };
  return {
    provider: 'microsoft',
    config: { tenantId, clientId, clientSecret: 'graph-secret', graphBaseUrl: fake.url, authorityHost: fake.url },
    emailOf: (i) => `user${i}@contoso.example`,
    inject: (kind, times, extra = {}) => Object.entries(faults[kind]).every(([route, fault]) => queue(fake.server, [route as GraphRoute], fault, times, extra)),
    faultsServed: () => fake.server.faultsServed,
    listingCalls: () => fake.server.calls('users.list') + fake.server.calls('users.delta'),
    offboard: (i) => fake.disable(i),
    touchAll: () => {
      for (let i = 0; i < MEMBERS; i++) fake.touch(i);
    },
    // Queued ahead of the listing fault, so that the full round the refusal starts is what meets it.
    rejectDeltaCursor: () => fake.server.inject('users.delta', { ...faults.expiredToken['users.delta']!, when: isLater('$deltatoken') }),
    stop: () => fake.stop(),
  };
}

const githubError = (status: number, message: string, headers?: Record<string, string>): Reply => ({ status, ...(headers ? { headers } : {}), body: { message, documentation_url: 'https://docs.github.com/rest', status: String(status) } });

export async function githubDirectory(keys: RsaKeys): Promise<FaultyDirectory> {
  const removed = new Set<number>();
  // One more member than the tests use: the fake's last SAML identity is never linked to an account.
  const fake = await new GithubFake({ org: 'acme', members: MEMBERS + 1, pageSize: PAGE_SIZE, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, saml: true, removed }).start();
  // Page 2 and later of the all-members listing (the admins listing, role=admin, comes first).
  const later = (req: FakeRequest) => Number(req.url.searchParams.get('page') ?? 1) > 1 && !req.url.searchParams.has('role');
  const secondary = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.';
  const faults: Record<ListingFault, { route: GithubRoute; fault: Fault } | undefined> = {
    storm: { route: 'members', fault: githubError(429, secondary, { 'retry-after': '30' }) },
    quota: { route: 'members', fault: githubError(403, secondary, { 'retry-after': '60', 'x-ratelimit-remaining': '4000' }) },
    serverError: { route: 'members', fault: { ...githubError(500, 'Server Error'), when: later } },
    slowPage: { route: 'members', fault: { rewrite: identity, when: later } },
    // Page-number pagination: there is no page token to expire.
    expiredToken: undefined,
    empty: { route: 'members', fault: { status: 200, body: [], when: (req) => !req.url.searchParams.has('role') } },
    truncated: { route: 'members', fault: { rewrite: (r) => withoutHeader(r, 'link'), when: (req) => req.url.searchParams.get('page') === '2' && !req.url.searchParams.has('role') } },
    lookups: { route: 'user', fault: githubError(503, 'Service Unavailable') },
  };
  return {
    provider: 'github',
    config: { org: 'acme', appId: '4242', installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: fake.url, graphqlUrl: `${fake.url}/graphql` },
    emailOf: (i) => `person${i}@corp.example`,
    inject: (kind, times, extra = {}) => (faults[kind] ? queue(fake.server, [faults[kind].route], faults[kind].fault, times, extra) : false),
    faultsServed: () => fake.server.faultsServed,
    listingCalls: () => fake.server.calls('members'),
    offboard: (i) => void removed.add(i),
    touchAll: () => undefined,
    rejectDeltaCursor: () => undefined,
    stop: () => fake.stop(),
  };
}

export function startDirectory(provider: FakeProvider, keys: RsaKeys): Promise<FaultyDirectory> {
  return provider === 'google' ? googleDirectory(keys) : provider === 'microsoft' ? graphDirectory() : githubDirectory(keys);
}
