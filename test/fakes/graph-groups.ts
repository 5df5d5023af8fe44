/**
 * Entra groups in the local Graph (graph-fake.ts): `/v1.0/groups/delta` the way Graph documents it
 * (`$select=displayName,members`, `$filter=id eq '…' or …`; the first round returns every group
 * with its members in `members@delta`, later rounds from the deltaLink only the groups that
 * changed, with added members and `@removed` ones; only the last page carries the deltaLink),
 * `/v1.0/groups?$filter=startswith(displayName,'…')` and `/v1.0/groups/{id}/members/microsoft.graph.user`.
 * Members are user object ids; a group may also hold a nested group (not a user).
 */
import type { FakeRequest, Reply } from './server.js';

export type GraphGroupRoute = 'groups.delta' | 'groups.list' | 'groups.members';

interface FakeGroup {
  name: string;
  members: Set<string>;
  /** A nested group among the members (type #microsoft.graph.group), which is not a user. */
  nested?: string;
  deleted?: boolean;
}

interface Change {
  version: number;
  groupId: string;
  userId?: string;
  renamed?: true;
  deleted?: true;
}

interface State {
  g: number;
  since: number;
  offset: number;
  ids: string[] | null;
}

const encode = (s: State) => Buffer.from(JSON.stringify(s)).toString('base64url');
const decode = (t: string): State | undefined => {
  try {
    return JSON.parse(Buffer.from(t, 'base64url').toString('utf8')) as State;
  } catch {
    return undefined;
  }
};
const gErr = (status: number, code: string, message: string): Reply => ({ status, body: { error: { code, message, innerError: { 'request-id': 'fake', date: '2026-03-01T00:00:00' } } } });

export class GraphGroupsFake {
  readonly groups = new Map<string, FakeGroup>();
  private readonly changes: Change[] = [];
  private version = 1;
  private generation = 0;
  /** Groups per delta page (a round spans pages when smaller than the selection). */
  pageSize = 1;

  constructor(private readonly base: () => string) {}

  add(id: string, name: string, members: string[], nested?: string): void {
    this.groups.set(id, { name, members: new Set(members), ...(nested ? { nested } : {}) });
    this.changes.push({ version: ++this.version, groupId: id, renamed: true });
  }
  addMember(id: string, userId: string): void {
    this.groups.get(id)!.members.add(userId);
    this.changes.push({ version: ++this.version, groupId: id, userId });
  }
  removeMember(id: string, userId: string): void {
    this.groups.get(id)!.members.delete(userId);
    this.changes.push({ version: ++this.version, groupId: id, userId });
  }
  rename(id: string, name: string): void {
    this.groups.get(id)!.name = name;
    this.changes.push({ version: ++this.version, groupId: id, renamed: true });
  }
  /** Every stored cursor is refused (410 syncStateNotFound). */
  expireDeltaTokens(): void {
    this.generation += 1;
  }

  route(req: FakeRequest): { route: GraphGroupRoute; handle: () => Reply } | undefined {
    const p = req.url.pathname;
    if (p === '/v1.0/groups/delta') return { route: 'groups.delta', handle: () => this.delta(req) };
    if (p === '/v1.0/groups') return { route: 'groups.list', handle: () => this.list(req) };
    const m = /^\/v1\.0\/groups\/([^/]+)\/members\/microsoft\.graph\.user$/.exec(p);
    if (m) return { route: 'groups.members', handle: () => this.members(req, decodeURIComponent(m[1]!)) };
    return undefined;
  }

  private selected(ids: string[] | null): string[] {
    return [...this.groups.keys()].filter((id) => ids === null || ids.includes(id));
  }

  private delta(req: FakeRequest): Reply {
    const q = req.url.searchParams;
    const token = q.get('$skiptoken') ?? q.get('$deltatoken');
    let state: State;
    if (token === null) {
      if (q.get('$select') !== 'displayName,members') return gErr(400, 'Request_UnsupportedQuery', 'the fake expects $select=displayName,members');
      const filter = q.get('$filter');
      const ids = filter === null ? null : [...filter.matchAll(/id eq '([^']+)'/g)].map((x) => x[1]!);
      state = { g: this.generation, since: 0, offset: 0, ids };
    } else {
      const s = decode(token);
      if (!s || s.g !== this.generation) return { status: 410, headers: { location: `${this.base()}/v1.0/groups/delta?$deltatoken=` }, body: { error: { code: 'syncStateNotFound', message: 'The sync state is not found or has expired. Please restart the sync.' } } };
      state = q.has('$deltatoken') ? { ...s, offset: 0 } : s;
    }
    const entries = state.since === 0 ? this.fullEntries(state.ids) : this.changedEntries(state.ids, state.since);
    const value = entries.slice(state.offset, state.offset + this.pageSize);
    const end = state.offset + value.length;
    const body: Record<string, unknown> = { '@odata.context': `${this.base()}/v1.0/$metadata#groups`, value };
    if (end < entries.length) body['@odata.nextLink'] = `${this.base()}/v1.0/groups/delta?$skiptoken=${encode({ ...state, offset: end })}`;
    else body['@odata.deltaLink'] = `${this.base()}/v1.0/groups/delta?$deltatoken=${encode({ ...state, since: this.version, offset: 0 })}`;
    return { status: 200, body };
  }

  private fullEntries(ids: string[] | null): Record<string, unknown>[] {
    return this.selected(ids)
      .filter((id) => !this.groups.get(id)!.deleted)
      .map((id) => {
        const g = this.groups.get(id)!;
        const members = [...g.members].map((u) => ({ '@odata.type': '#microsoft.graph.user', id: u }));
        if (g.nested) members.push({ '@odata.type': '#microsoft.graph.group', id: g.nested });
        return { id, displayName: g.name, 'members@delta': members };
      });
  }

  private changedEntries(ids: string[] | null, since: number): Record<string, unknown>[] {
    const out: Record<string, unknown>[] = [];
    for (const id of this.selected(ids)) {
      const mine = this.changes.filter((c) => c.groupId === id && c.version > since);
      if (mine.length === 0) continue;
      const g = this.groups.get(id)!;
      const users = [...new Set(mine.filter((c) => c.userId).map((c) => c.userId!))];
      out.push({
        id,
        ...(mine.some((c) => c.renamed) ? { displayName: g.name } : {}),
        'members@delta': users.map((u) => (g.members.has(u) ? { '@odata.type': '#microsoft.graph.user', id: u } : { '@odata.type': '#microsoft.graph.user', id: u, '@removed': { reason: 'deleted' } })),
      });
    }
    return out;
  }

  private list(req: FakeRequest): Reply {
    const filter = req.url.searchParams.get('$filter') ?? '';
    const prefix = /^startswith\(displayName,'([^']*)'\)$/.exec(filter)?.[1];
    if (prefix === undefined) return gErr(400, 'Request_UnsupportedQuery', `Unsupported or invalid query filter clause specified: '${filter}'.`);
    const value = [...this.groups].filter(([, g]) => g.name.startsWith(prefix)).map(([id, g]) => ({ id, displayName: g.name }));
    return { status: 200, body: { '@odata.context': `${this.base()}/v1.0/$metadata#groups(id,displayName)`, value } };
  }

  private members(req: FakeRequest, id: string): Reply {
    const g = this.groups.get(id);
    if (!g) return gErr(404, 'Request_ResourceNotFound', `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`);
    const top = Number(req.url.searchParams.get('$top') ?? 100);
    const offset = Number(req.url.searchParams.get('$skiptoken') ?? 0);
    const all = [...g.members];
    const value = all.slice(offset, offset + Math.min(top, 2)).map((u) => ({ '@odata.type': '#microsoft.graph.user', id: u }));
    const body: Record<string, unknown> = { value };
    if (offset + value.length < all.length) {
      const next = new URL(req.url);
      next.searchParams.set('$skiptoken', String(offset + value.length));
      body['@odata.nextLink'] = next.toString();
    }
    return { status: 200, body };
  }
}
