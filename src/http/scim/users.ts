import { Router, type Request, type Response } from 'express';
import SCIMMY from 'scimmy';
import { isIdsyncError } from '../../domain/errors.js';
import type { Member, Team } from '../../domain/model.js';
import { collect } from '../../ports/paging.js';
import type { Store } from '../../ports/store.js';
import type { Services } from '../../services/index.js';
import { ScimError } from './errors.js';
import { filterSortPage, listResponse, mentions, parseListQuery, type ListQuery } from './list.js';
import { normalizePatchBody, normalizeValues, type PatchOperation } from './normalize.js';
import { applyUserPatch } from './patch-user.js';
import { project, wants } from './projection.js';
import { etagOf } from './schemas.js';
import { allTeamMembers, groupFilter, teamMembersPage, teamOf } from './user-by-group.js';
import { indexedCandidates } from './user-lookup.js';
import { profileFromScim, toScimUser, type ScimJson } from './user-mapper.js';
import { checkIfMatch, sendJson, sendResource } from './http-util.js';

const PATCH_RETRIES = 20;

export interface ScimDeps {
  services: Services;
  store: Store;
  /** Absolute base URL of the SCIM endpoint, e.g. https://idsync.example.com/scim/v2. */
  baseUrl: string;
}

export function usersRouter(deps: ScimDeps): Router {
  const r = Router();
  const { store, services, baseUrl } = deps;

  async function groupsOf(m: Member): Promise<Pick<Team, 'id' | 'displayName'>[]> {
    const ids = await store.listMemberTeams(m.orgId, m.id);
    const teams = await Promise.all(ids.map((id) => store.getTeam(m.orgId, id)));
    return teams.filter((t): t is Team => !!t).map((t) => ({ id: t.id, displayName: t.displayName }));
  }

  async function render(m: Member, withGroups: boolean): Promise<ScimJson> {
    return toScimUser(m, withGroups ? await groupsOf(m) : undefined, baseUrl);
  }

  async function live(orgId: string, id: string): Promise<Member> {
    const m = await store.getMember(orgId, id);
    if (!m || m.status === 'removed') throw new ScimError(404, `User ${id} not found`);
    return m;
  }

  async function list(req: Request, res: Response, q: ListQuery): Promise<void> {
    const { orgId } = res.locals.scim;
    const withGroups = wants(q.projection, 'groups') || mentions(q.filter, 'groups');
    if (!q.filter && !q.sortBy) {
      // Straight from the store's stable creation order: exact totals, no scan.
      const page = await store.listMembers(orgId, { statuses: ['active', 'inactive'], offset: q.startIndex - 1, limit: q.count });
      const resources = await Promise.all(page.items.map(async (m) => project(await render(m, withGroups), q.projection)));
      sendJson(res, 200, listResponse(resources, page.total, q.startIndex));
      return;
    }
    let candidates = q.filter ? await indexedCandidates(store, orgId, q.filter) : undefined;
    let filter = q.filter;
    const byGroup = !candidates && q.filter ? groupFilter(q.filter) : undefined;
    if (byGroup) {
      const teamId = await teamOf(store, orgId, byGroup.value);
      if (!byGroup.rest && !q.sortBy) {
        // A group's members, paged by the store's team-membership index in the order they were added.
        const { members, total } = teamId ? await teamMembersPage(store, orgId, teamId, q.startIndex - 1, q.count) : { members: [], total: 0 };
        // The index answered the filter: groups are loaded only if the answer shows them.
        const resources = await Promise.all(members.map(async (m) => project(await render(m, wants(q.projection, 'groups')), q.projection)));
        sendJson(res, 200, listResponse(resources, total, q.startIndex));
        return;
      }
      // Combined with other conditions: those are evaluated on the team's members only, and the
      // group condition, which each of them meets, is dropped unless groups matter to the rest.
      candidates = teamId ? await allTeamMembers(store, orgId, teamId) : [];
      if (!mentions(byGroup.rest, 'groups') && q.sortBy?.attr.toLowerCase() !== 'groups') filter = byGroup.rest;
    }
    const pool = candidates ?? (await scanAll(orgId));
    // Groups cost a lookup per member: load them for the whole pool only when the filter needs
    // them (or the pool is the one candidate of a lookup), otherwise only for the returned page.
    const groupsForFilter = mentions(filter, 'groups') || q.sortBy?.attr.toLowerCase() === 'groups';
    const eager = groupsForFilter || (withGroups && pool.length === 1);
    const rendered = await Promise.all(pool.map((m) => render(m, eager)));
    const { page, total } = filterSortPage(rendered, { ...q, filter });
    const byId = eager ? undefined : new Map(pool.map((m) => [m.id, m]));
    const resources = await Promise.all(page.map(async (x) => project(withGroups && byId ? await render(byId.get(x.id as string)!, true) : x, q.projection)));
    sendJson(res, 200, listResponse(resources, total, q.startIndex));
  }

  function scanAll(orgId: string): Promise<Member[]> {
    return collect((page) => store.listMembers(orgId, { ...page, statuses: ['active', 'inactive'] }));
  }

  r.get('/', async (req, res) => list(req, res, parseListQuery(req.query as Record<string, unknown>)));
  r.post('/.search', async (req, res) => list(req, res, parseListQuery((req.body ?? {}) as Record<string, unknown>)));

  r.get('/:id', async (req, res) => {
    const q = parseListQuery(req.query as Record<string, unknown>);
    const m = await live(res.locals.scim.orgId, req.params.id);
    if (req.get('if-none-match') === etagOf(m.version)) {
      res.status(304).setHeader('ETag', etagOf(m.version)).end();
      return;
    }
    sendResource(res, 200, project(await render(m, wants(q.projection, 'groups')), q.projection), m.version);
  });

  r.post('/', async (req, res) => {
    const { orgId, actor, writer } = res.locals.scim;
    const body = new SCIMMY.Schemas.User(normalizeValues(req.body) as ScimJson, 'in') as unknown as ScimJson;
    const { profile, active } = profileFromScim(body);
    const existing = await store.findMemberByUserName(orgId, profile.userName);
    let member: Member;
    if (existing) {
      const org = await services.orgs.get(orgId);
      if (existing.managedBy.kind === 'scim' || org.settings.scimAdoption === false) {
        throw new ScimError(409, `userName ${profile.userName} is already taken in this organization`, 'uniqueness');
      }
      try {
        const change = { profile, adoptAs: writer, ...(active !== undefined ? { active } : {}) };
        member = (await services.provisioning.update(orgId, existing.id, change, actor, writer, { reason: 'adopted by SCIM provisioning' })).member;
      } catch (err) {
        if (isIdsyncError(err, 'member.managed_elsewhere')) throw new ScimError(409, `userName ${profile.userName} belongs to a member SCIM may not adopt: ${err.message}`, 'uniqueness');
        throw err;
      }
    } else {
      member = await services.provisioning.create(orgId, profile, active ?? true, actor, writer, 'provisioned inactive by SCIM');
    }
    res.setHeader('Location', `${baseUrl}/Users/${member.id}`);
    sendResource(res, 201, await render(member, true), member.version);
  });

  r.put('/:id', async (req, res) => {
    const { orgId, actor, writer } = res.locals.scim;
    const current = await live(orgId, req.params.id);
    const ifVersion = checkIfMatch(req, current.version);
    const body = new SCIMMY.Schemas.User(normalizeValues(req.body) as ScimJson, 'in') as unknown as ScimJson;
    const { profile, active } = profileFromScim(body);
    // PUT replaces the profile, but a PUT without `active` deactivates nobody.
    const { member } = await services.provisioning.update(orgId, current.id, { profile, ...(active !== undefined ? { active } : {}) }, actor, writer, { ifVersion: ifVersion ?? current.version });
    sendResource(res, 200, await render(member, true), member.version);
  });

  r.patch('/:id', async (req, res) => {
    const { orgId, actor, writer } = res.locals.scim;
    const body = normalizePatchBody(req.body) as { Operations?: PatchOperation[] };
    let current = await live(orgId, req.params.id);
    const ifVersion = checkIfMatch(req, current.version);
    if (Array.isArray(body.Operations) && body.Operations.length === 0) {
      sendResource(res, 200, await render(current, true), current.version);
      return;
    }
    // Validates the message (schemas, op names, paths) before anything is read.
    const ops = new SCIMMY.Messages.PatchOp(body as ConstructorParameters<typeof SCIMMY.Messages.PatchOp>[0]).Operations as PatchOperation[];
    // Read, apply, write with compare-and-swap; a concurrent writer makes us re-read and re-apply,
    // so concurrent PATCHes never lose each other's changes.
    for (let attempt = 0; ; attempt++) {
      const patched = await applyUserPatch(ops, await render(current, false));
      if (!patched) break;
      const { profile, active } = profileFromScim(patched);
      try {
        current = (await services.provisioning.update(orgId, current.id, { profile, ...(active !== undefined ? { active } : {}) }, actor, writer, { ifVersion: current.version })).member;
        break;
      } catch (err) {
        if (!isIdsyncError(err, 'version.mismatch') || ifVersion !== undefined || attempt >= PATCH_RETRIES) throw err;
        current = await live(orgId, current.id);
      }
    }
    sendResource(res, 200, await render(current, true), current.version);
  });

  r.delete('/:id', async (req, res) => {
    const { orgId, actor, writer } = res.locals.scim;
    const current = await live(orgId, req.params.id);
    checkIfMatch(req, current.version);
    await services.members.remove(orgId, current.id, actor, 'deleted by SCIM provisioning', writer);
    res.status(204).end();
  });

  return r;
}
