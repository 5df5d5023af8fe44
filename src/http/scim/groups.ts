import { Router, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import { isIdsyncError } from '../../domain/errors.js';
import type { Team } from '../../domain/model.js';
import { collect } from '../../ports/paging.js';
import { ScimError } from './errors.js';
import { parseFilter } from './filter/parse.js';
import { checkIfMatch, sendJson, sendResource } from './http-util.js';
import { filterSortPage, listResponse, mentions, parseListQuery, type ListQuery } from './list.js';
import { normalizePatchBody, normalizeValues, type PatchOperation } from './normalize.js';
import { project, wants } from './projection.js';
import { etagOf, GROUP_SCHEMA } from './schemas.js';
import type { ScimDeps } from './users.js';

type Json = Record<string, unknown>;

function memberValues(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.map((v) => {
    const id = typeof v === 'string' ? v : typeof v === 'object' && v !== null ? (v as Json).value : undefined;
    if (typeof id !== 'string' || id === '') throw new ScimError(400, `${where}: each member needs a string "value"`, 'invalidValue');
    return id;
  });
}

/** Ids named by a removal filter such as `members[value eq "a" or value eq "b"]`, if it is that simple. */
function idsFromMemberFilter(path: string): string[] | undefined {
  const m = /^members\[(.*)\]$/i.exec(path.trim());
  if (!m) return undefined;
  const ids: string[] = [];
  const walk = (n: ReturnType<typeof parseFilter>): boolean => {
    if (n.kind === 'or') return walk(n.left) && walk(n.right);
    if (n.kind === 'compare' && n.op === 'eq' && n.path.attr.toLowerCase() === 'value' && !n.path.sub && typeof n.value === 'string') {
      ids.push(n.value);
      return true;
    }
    return false;
  };
  return walk(parseFilter(m[1]!)) ? ids : undefined;
}

export function groupsRouter(deps: ScimDeps): Router {
  const r = Router();
  const { store, services, baseUrl } = deps;

  async function render(t: Team, withMembers: boolean): Promise<Json> {
    const members = withMembers ? await services.teams.memberIds(t.orgId, t.id) : undefined;
    return {
      schemas: [GROUP_SCHEMA],
      id: t.id,
      ...(t.externalId !== undefined ? { externalId: t.externalId } : {}),
      displayName: t.displayName,
      ...(members ? { members: members.map((id) => ({ value: id, $ref: `${baseUrl}/Users/${id}`, type: 'User' })) } : {}),
      meta: { resourceType: 'Group', created: t.createdAt, lastModified: t.updatedAt, location: `${baseUrl}/Groups/${t.id}`, version: etagOf(t.version) },
    };
  }

  async function team(orgId: string, id: string): Promise<Team> {
    const t = await store.getTeam(orgId, id);
    if (!t) throw new ScimError(404, `Group ${id} not found`);
    return t;
  }

  /** Unknown member ids in a group write are the client's mistake about users, not a missing group. */
  async function withMemberCheck(fn: () => Promise<unknown>): Promise<unknown> {
    try {
      return await fn();
    } catch (err) {
      if (isIdsyncError(err, 'member.not_found')) throw new ScimError(400, `${err.message}: members must be users of this organization`, 'invalidValue');
      throw err;
    }
  }

  async function list(_req: Request, res: Response, q: ListQuery): Promise<void> {
    const { orgId } = res.locals.scim;
    const withMembers = wants(q.projection, 'members') || mentions(q.filter, 'members');
    let pool: Team[];
    const f = q.filter;
    if (f?.kind === 'compare' && f.op === 'eq' && !f.path.sub && f.path.attr.toLowerCase() === 'displayname' && typeof f.value === 'string') {
      const t = await store.findTeamByName(orgId, f.value);
      pool = t ? [t] : [];
    } else {
      pool = await collect((page) => store.listTeams(orgId, page));
    }
    if (!f && !q.sortBy) {
      const slice = pool.slice(q.startIndex - 1, q.startIndex - 1 + q.count);
      sendJson(res, 200, listResponse(await Promise.all(slice.map(async (t) => project(await render(t, withMembers), q.projection))), pool.length, q.startIndex));
      return;
    }
    const rendered = await Promise.all(pool.map((t) => render(t, withMembers)));
    const { page, total } = filterSortPage(rendered, q);
    sendJson(res, 200, listResponse(page.map((x) => project(x, q.projection)), total, q.startIndex));
  }

  r.get('/', async (req, res) => list(req, res, parseListQuery(req.query as Json)));
  r.post('/.search', async (req, res) => list(req, res, parseListQuery((req.body ?? {}) as Json)));

  r.get('/:id', async (req, res) => {
    const q = parseListQuery(req.query as Json);
    const t = await team(res.locals.scim.orgId, req.params.id);
    sendResource(res, 200, project(await render(t, wants(q.projection, 'members')), q.projection), t.version);
  });

  r.post('/', async (req, res) => {
    const { orgId, actor } = res.locals.scim;
    const body = new SCIMMY.Schemas.Group(normalizeValues(req.body) as Json, 'in') as unknown as Json;
    const ids = memberValues(body.members, 'members');
    const created = await services.teams.create(orgId, { displayName: String(body.displayName ?? ''), ...(typeof body.externalId === 'string' ? { externalId: body.externalId } : {}) }, actor);
    if (ids.length) {
      try {
        await withMemberCheck(() => services.teams.addMembers(orgId, created.id, ids, actor));
      } catch (err) {
        await services.teams.delete(orgId, created.id, actor);
        throw err;
      }
    }
    res.setHeader('Location', `${baseUrl}/Groups/${created.id}`);
    sendResource(res, 201, await render(created, true), created.version);
  });

  r.put('/:id', async (req, res) => {
    const { orgId, actor } = res.locals.scim;
    const current = await team(orgId, req.params.id);
    const ifVersion = checkIfMatch(req, current.version);
    const body = new SCIMMY.Schemas.Group(normalizeValues(req.body) as Json, 'in') as unknown as Json;
    const updated = await services.teams.update(orgId, current.id, { displayName: String(body.displayName ?? ''), externalId: typeof body.externalId === 'string' ? body.externalId : null }, actor, ifVersion);
    await withMemberCheck(() => services.teams.setMembers(orgId, current.id, memberValues(body.members, 'members'), actor));
    sendResource(res, 200, await render(updated, true), updated.version);
  });

  r.patch('/:id', async (req, res) => {
    const { orgId, actor } = res.locals.scim;
    const body = normalizePatchBody(req.body) as { Operations?: unknown };
    const current = await team(orgId, req.params.id);
    const ifVersion = checkIfMatch(req, current.version);
    const ops = (Array.isArray(body.Operations) && body.Operations.length === 0
      ? []
      : new SCIMMY.Messages.PatchOp(body as ConstructorParameters<typeof SCIMMY.Messages.PatchOp>[0]).Operations) as PatchOperation[];
    let latest = current;
    // If-Match guards the first attribute write; later ones in the same PATCH follow our own writes.
    let guard = ifVersion;
    const takeGuard = () => {
      const g = guard;
      guard = undefined;
      return g;
    };
    for (const [i, op] of ops.entries()) {
      const where = `operation ${i + 1}`;
      const path = op.path?.trim();
      const lower = path?.toLowerCase();
      if (!path) {
        if (op.op === 'remove') throw new ScimError(400, `${where}: remove needs a path`, 'noTarget');
        if (op.value === null || typeof op.value !== 'object' || Array.isArray(op.value)) throw new ScimError(400, `${where}: a path-less ${op.op} needs an object value`, 'invalidValue');
        const v = op.value as Json;
        const key = (name: string) => Object.keys(v).find((k) => k.toLowerCase() === name);
        const dn = key('displayname');
        const ext = key('externalid');
        if (dn || ext) {
          latest = await services.teams.update(orgId, current.id, { ...(dn ? { displayName: String(v[dn]) } : {}), ...(ext ? { externalId: v[ext] === null ? null : String(v[ext]) } : {}) }, actor, takeGuard());
        }
        const mk = key('members');
        if (mk) {
          const ids = memberValues(v[mk], where);
          await withMemberCheck(() => (op.op === 'add' ? services.teams.addMembers(orgId, current.id, ids, actor) : services.teams.setMembers(orgId, current.id, ids, actor)));
        }
        continue;
      }
      if (lower === 'members') {
        const ids = memberValues(op.value, where);
        if (op.op === 'add') await withMemberCheck(() => services.teams.addMembers(orgId, current.id, ids, actor));
        else if (op.op === 'replace') await withMemberCheck(() => services.teams.setMembers(orgId, current.id, ids, actor));
        // Entra (without aadOptscim062020) removes by value; a bare remove empties the group (RFC 7644 §3.5.2.2).
        else if (op.value !== undefined) await services.teams.removeMembers(orgId, current.id, ids, actor);
        else await services.teams.setMembers(orgId, current.id, [], actor);
        continue;
      }
      if (lower?.startsWith('members[')) {
        if (op.op !== 'remove') throw new ScimError(400, `${where}: only remove may target members[…]`, 'invalidPath');
        const ids = idsFromMemberFilter(path!);
        if (!ids) throw new ScimError(400, `${where}: members filter must be value eq "id" (or several joined by or)`, 'invalidFilter');
        await services.teams.removeMembers(orgId, current.id, ids, actor);
        continue;
      }
      if (lower === 'displayname' || lower === 'externalid') {
        if (op.op === 'remove' && lower === 'displayname') throw new ScimError(400, `${where}: displayName is required`, 'mutability');
        const value = op.op === 'remove' ? null : op.value;
        if (lower === 'displayname' && typeof value !== 'string') throw new ScimError(400, `${where}: displayName must be a string`, 'invalidValue');
        latest = await services.teams.update(orgId, current.id, lower === 'displayname' ? { displayName: value as string } : { externalId: value === null ? null : String(value) }, actor, takeGuard());
        continue;
      }
      throw new ScimError(400, `${where}: unsupported path '${path}' for a Group`, 'invalidPath');
    }
    const fresh = (await store.getTeam(orgId, current.id)) ?? latest;
    sendResource(res, 200, await render(fresh, !wantsNoMembers(req)), fresh.version);
  });

  r.delete('/:id', async (req, res) => {
    const { orgId, actor } = res.locals.scim;
    const current = await team(orgId, req.params.id);
    checkIfMatch(req, current.version);
    await services.teams.delete(orgId, current.id, actor);
    res.status(204).end();
  });

  return r;
}

/** Entra asks for `excludedAttributes=members` on PATCH responses too; honour it to stay cheap. */
function wantsNoMembers(req: Request): boolean {
  const ex = req.query.excludedAttributes;
  return typeof ex === 'string' && ex.split(',').some((a) => a.trim().toLowerCase() === 'members');
}
