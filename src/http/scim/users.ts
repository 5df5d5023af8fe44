import { Router, type Request, type Response } from 'express';
import type { Member } from '../../domain/model.js';
import { mapBounded, STORE_READS_IN_FLIGHT } from '../../ports/bounded.js';
import { collect } from '../../ports/paging.js';
import type { Store } from '../../ports/store.js';
import type { Services } from '../../services/index.js';
import { filterSortPage, listResponse, mentions, parseListQuery, type ListQuery } from './list.js';
import { project, wants } from './projection.js';
import { etagOf } from './schemas.js';
import { allTeamMembers, groupFilter, teamMembersPage, teamOf } from './user-by-group.js';
import { indexedCandidates } from './user-lookup.js';
import { userResources } from './user-resources.js';
import { userCursorPage } from './user-cursor.js';
import { userWrites } from './user-writes.js';
import { sendJson, sendOutcome, sendResource } from './http-util.js';


export interface ScimDeps {
  services: Services;
  store: Store;
  /** Absolute base URL of the SCIM endpoint, e.g. https://idsync.example.com/scim/v2. */
  baseUrl: string;
}

/**
 * The /Users routes, registered on the SCIM router itself rather than on a router of their own:
 * a nested router costs every lookup another layer walk and URL rewrite.
 */
/** Registers the /Users routes; returns the list handler (GET /Users), which the lean lookup entry calls too. */
export function usersRoutes(r: Router, deps: ScimDeps): (req: Request, res: Response) => Promise<void> {
  const { store, baseUrl } = deps;

  const users = userResources(store, baseUrl);
  const { render, live } = users;

  async function list(req: Request, res: Response, q: ListQuery): Promise<void> {
    const { orgId } = res.locals.scim;
    if (q.cursor !== undefined) {
      sendJson(res, 200, await userCursorPage(store, render, orgId, q, Math.floor(Date.now() / 1000)));
      return;
    }
    const withGroups = wants(q.projection, 'groups') || mentions(q.filter, 'groups');
    if (!q.filter && !q.sortBy) {
      // Straight from the store's stable creation order: exact totals, no scan.
      const page = await store.listMembers(orgId, { statuses: ['active', 'inactive'], kinds: ['person'], offset: q.startIndex - 1, limit: q.count });
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
    // With groups each render is a store read: a bounded number at a time, however large the pool.
    const rendered = eager ? await mapBounded(pool, STORE_READS_IN_FLIGHT, (m) => render(m, true)) : await Promise.all(pool.map((m) => render(m, false)));
    const { page, total } = filterSortPage(rendered, { ...q, filter });
    const byId = eager ? undefined : new Map(pool.map((m) => [m.id, m]));
    const resources = await Promise.all(page.map(async (x) => project(withGroups && byId ? await render(byId.get(x.id as string)!, true) : x, q.projection)));
    sendJson(res, 200, listResponse(resources, total, q.startIndex));
  }

  function scanAll(orgId: string): Promise<Member[]> {
    return collect((page) => store.listMembers(orgId, { ...page, statuses: ['active', 'inactive'], kinds: ['person'] }));
  }

  const listUsers = async (req: Request, res: Response) => list(req, res, parseListQuery(req.query as Record<string, unknown>));
  r.get('/Users', listUsers);
  r.post('/Users/.search', async (req, res) => list(req, res, parseListQuery((req.body ?? {}) as Record<string, unknown>)));

  r.get('/Users/:id', async (req, res) => {
    const q = parseListQuery(req.query as Record<string, unknown>);
    const m = await live(res.locals.scim.orgId, req.params.id);
    if (req.get('if-none-match') === etagOf(m.version)) {
      res.status(304).setHeader('ETag', etagOf(m.version)).end();
      return;
    }
    sendResource(res, 200, project(await render(m, wants(q.projection, 'groups')), q.projection), m.version);
  });

  const writes = userWrites(deps, users);
  r.post('/Users', async (req, res) => sendOutcome(res, await writes.create(res.locals.scim, req.body)));
  r.put('/Users/:id', async (req, res) => sendOutcome(res, await writes.replace(res.locals.scim, req.params.id, req.body, req.get('if-match'))));
  r.patch('/Users/:id', async (req, res) => sendOutcome(res, await writes.patch(res.locals.scim, req.params.id, req.body, req.get('if-match'))));
  r.delete('/Users/:id', async (req, res) => sendOutcome(res, await writes.remove(res.locals.scim, req.params.id, req.get('if-match'))));
  return listUsers;
}
