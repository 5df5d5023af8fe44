/**
 * Google groups in the local Directory API (google-fake.ts): groups.get by email or id,
 * groups.list (customer or domain, `query` of the form `email:prefix*`, 200 a page) and
 * members.list (pageToken paging, `includeDerivedMembership` honoured for one nested group, members
 * of type USER and GROUP). Users are the fake's generated users, by index.
 */
import type { FakeRequest, Reply } from './server.js';

export type GoogleGroupRoute = 'groups.get' | 'groups.list' | 'members.list';

interface FakeGroup {
  id: string;
  email: string;
  name: string;
  users: Set<number>;
  /** A nested group's email: its users count only with includeDerivedMembership. */
  nested?: string;
}

const err = (code: number, message: string, reason: string): Reply => ({ status: code, body: { error: { code, message, errors: [{ message, domain: 'global', reason }] } } });

export class GoogleGroupsFake {
  readonly groups: FakeGroup[] = [];
  /** Members per members.list page (smaller than the API's 200, so groups span pages). */
  pageSize = 2;

  constructor(private readonly userId: (i: number) => string) {}

  add(email: string, name: string, users: number[], nested?: string): FakeGroup {
    const g: FakeGroup = { id: `0${(this.groups.length + 1).toString(16).padStart(14, '0')}`, email, name, users: new Set(users), ...(nested ? { nested } : {}) };
    this.groups.push(g);
    return g;
  }
  find(key: string): FakeGroup | undefined {
    return this.groups.find((g) => g.id === key || g.email === key.toLowerCase());
  }

  route(req: FakeRequest): { route: GoogleGroupRoute; handle: () => Reply } | undefined {
    if (req.method !== 'GET') return undefined;
    const p = req.url.pathname;
    if (p === '/admin/directory/v1/groups') return { route: 'groups.list', handle: () => this.list(req) };
    const mm = /^\/admin\/directory\/v1\/groups\/([^/]+)\/members$/.exec(p);
    if (mm) return { route: 'members.list', handle: () => this.members(req, decodeURIComponent(mm[1]!)) };
    const gm = /^\/admin\/directory\/v1\/groups\/([^/]+)$/.exec(p);
    if (gm) return { route: 'groups.get', handle: () => this.get(decodeURIComponent(gm[1]!)) };
    return undefined;
  }

  private resource(g: FakeGroup) {
    return { kind: 'admin#directory#group', id: g.id, email: g.email, name: g.name, directMembersCount: String(g.users.size + (g.nested ? 1 : 0)) };
  }

  private get(key: string): Reply {
    const g = this.find(key);
    return g ? { status: 200, body: this.resource(g) } : err(404, 'Resource Not Found: groupKey', 'notFound');
  }

  private list(req: FakeRequest): Reply {
    const q = req.url.searchParams;
    if (q.get('customer') === null && q.get('domain') === null) return err(400, 'Bad Request', 'badRequest');
    const prefix = /^email:([^*]*)\*$/.exec(q.get('query') ?? '')?.[1];
    if (q.get('query') !== null && prefix === undefined) return err(400, 'Invalid Input', 'invalid');
    const groups = this.groups.filter((g) => prefix === undefined || g.email.startsWith(prefix)).map((g) => this.resource(g));
    return { status: 200, body: { kind: 'admin#directory#groups', etag: '"fake"', ...(groups.length ? { groups } : {}) } };
  }

  private members(req: FakeRequest, key: string): Reply {
    const g = this.find(key);
    if (!g) return err(404, 'Resource Not Found: groupKey', 'notFound');
    const derived = req.url.searchParams.get('includeDerivedMembership') === 'true';
    const nested = g.nested ? this.find(g.nested) : undefined;
    const all: Record<string, unknown>[] = [...g.users].map((i) => ({ kind: 'admin#directory#member', id: this.userId(i), email: `user${i}@example.com`, role: 'MEMBER', type: 'USER', status: 'ACTIVE' }));
    if (nested) {
      all.push({ kind: 'admin#directory#member', id: nested.id, email: nested.email, role: 'MEMBER', type: 'GROUP', status: 'ACTIVE' });
      if (derived) for (const i of nested.users) all.push({ kind: 'admin#directory#member', id: this.userId(i), email: `user${i}@example.com`, role: 'MEMBER', type: 'USER', status: 'ACTIVE' });
    }
    const offset = Number(req.url.searchParams.get('pageToken') ?? 0);
    const page = all.slice(offset, offset + this.pageSize);
    const body: Record<string, unknown> = { kind: 'admin#directory#members', etag: '"fake"', ...(page.length ? { members: page } : {}) };
    if (offset + page.length < all.length) body.nextPageToken = String(offset + page.length);
    return { status: 200, body };
  }
}
