import { Router, type Request, type Response } from 'express';
import type { Team } from '../../domain/model.js';
import { groupResources } from './group-resources.js';
import { groupCursorPage } from './group-cursor.js';
import { groupWrites } from './group-writes.js';
import { sendJson, sendOutcome, sendResource } from './http-util.js';
import { collect } from '../../ports/paging.js';
import { mapBounded, STORE_READS_IN_FLIGHT } from '../../ports/bounded.js';
import { filterSortPage, listResponse, mentions, parseListQuery, type ListQuery } from './list.js';
import { project, wants } from './projection.js';
import type { ScimDeps } from './users.js';

type Json = Record<string, unknown>;

/** The /Groups routes, registered on the SCIM router (as the /Users ones). */
export function groupsRoutes(r: Router, deps: ScimDeps): void {
  const { store } = deps;
  const groups = groupResources(deps);
  const { render, team } = groups;

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
    if (q.cursor !== undefined) {
      sendJson(res, 200, await groupCursorPage(pool, (t) => render(t, withMembers), q, Math.floor(Date.now() / 1000)));
      return;
    }
    if (!f && !q.sortBy) {
      const slice = pool.slice(q.startIndex - 1, q.startIndex - 1 + q.count);
      sendJson(res, 200, listResponse(await Promise.all(slice.map(async (t) => project(await render(t, withMembers), q.projection))), pool.length, q.startIndex));
      return;
    }
    const rendered = await mapBounded(pool, withMembers ? STORE_READS_IN_FLIGHT : pool.length, (t) => render(t, withMembers));
    const { page, total } = filterSortPage(rendered, q);
    sendJson(res, 200, listResponse(page.map((x) => project(x, q.projection)), total, q.startIndex));
  }

  r.get('/Groups', async (req, res) => list(req, res, parseListQuery(req.query as Json)));
  r.post('/Groups/.search', async (req, res) => list(req, res, parseListQuery((req.body ?? {}) as Json)));

  r.get('/Groups/:id', async (req, res) => {
    const q = parseListQuery(req.query as Json);
    const t = await team(res.locals.scim.orgId, req.params.id);
    sendResource(res, 200, project(await render(t, wants(q.projection, 'members')), q.projection), t.version);
  });

  const writes = groupWrites(deps, groups);
  r.post('/Groups', async (req, res) => sendOutcome(res, await writes.create(res.locals.scim, req.body)));
  r.put('/Groups/:id', async (req, res) => sendOutcome(res, await writes.replace(res.locals.scim, req.params.id, req.body, req.get('if-match'))));
  r.patch('/Groups/:id', async (req, res) => sendOutcome(res, await writes.patch(res.locals.scim, req.params.id, req.body, req.get('if-match'), req.query as Json)));
  r.delete('/Groups/:id', async (req, res) => sendOutcome(res, await writes.remove(res.locals.scim, req.params.id, req.get('if-match'))));

}

