import { z } from 'zod';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, page, pageQuery, teamSchema } from './schemas.js';

const teamParams = orgParams.extend({ team: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });

export function teamRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/teams', tag: 'teams', summary: 'List teams', params: orgParams, query: pageQuery, responses: { 200: { description: 'Teams', schema: page(teamSchema) } } },
    async ({ params, query, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      return { status: 200, body: await s.teams.list(params.org, query) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/teams',
      tag: 'teams',
      summary: 'Create a team',
      params: orgParams,
      body: z.object({ displayName: z.string(), externalId: z.string().optional() }),
      responses: { 201: { description: 'Created', schema: teamSchema }, 409: e('Name taken') },
    },
    async ({ params, body, req, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      const t = await s.teams.create(params.org, body, res.locals.actor);
      return { status: 201, body: t, headers: { Location: `${req.baseUrl}/orgs/${t.orgId}/teams/${t.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/teams/{team}', tag: 'teams', summary: 'Get a team', params: teamParams, responses: { 200: { description: 'The team', schema: teamSchema }, 404: e('Not found') } },
    async ({ params, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      return { status: 200, body: await s.teams.get(params.org, params.team) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}/teams/{team}',
      tag: 'teams',
      summary: 'Rename a team',
      params: teamParams,
      body: z.object({ displayName: z.string(), version: z.number().int().optional() }),
      responses: { 200: { description: 'Renamed', schema: teamSchema }, 409: e('Name taken, or a directory connection keeps this team from a group (team.managed_elsewhere)'), 412: e('Version mismatch') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      const before = await s.teams.get(params.org, params.team);
      const renamed = await s.teams.rename(params.org, params.team, body.displayName, res.locals.actor, body.version);
      await s.roleMappings.afterTeamChange(params.org, params.team, { before }, res.locals.actor);
      return { status: 200, body: renamed };
    },
  );

  api.add(
    { method: 'delete', path: '/orgs/{org}/teams/{team}', tag: 'teams', summary: 'Delete a team (its members stay in the org)', params: teamParams, responses: { 204: { description: 'Deleted' }, 404: e('Not found'), 409: e('A directory connection keeps this team from a group and it still has members (team.managed_elsewhere)') } },
    async ({ params, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      const team = await s.teams.get(params.org, params.team);
      await s.roleMappings.deleteTeam(params.org, team, () => s.teams.delete(params.org, team.id, res.locals.actor), res.locals.actor);
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/teams/{team}/members',
      tag: 'teams',
      summary: 'Member ids of a team, in the order they joined',
      params: teamParams,
      query: pageQuery,
      responses: { 200: { description: 'Member ids', schema: page(z.string()) } },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      await s.teams.get(params.org, params.team);
      return { status: 200, body: await s.teams.listMembers(params.org, params.team, query) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/teams/{team}/members',
      tag: 'teams',
      summary: 'Add members to a team (a set delta)',
      params: teamParams,
      body: z.object({ memberIds: z.array(z.string()).min(1).max(1000) }),
      responses: { 200: { description: 'Ids actually added', schema: z.object({ added: z.array(z.string()) }) }, 404: e('Unknown member or team'), 409: e('A directory connection keeps this team from a group (team.managed_elsewhere)') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      const added = await s.teams.addMembers(params.org, params.team, body.memberIds, res.locals.actor);
      await s.roleMappings.afterTeamChange(params.org, params.team, { memberIds: added }, res.locals.actor);
      return { status: 200, body: { added } };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/teams/{team}/members/{member}',
      tag: 'teams',
      summary: 'Remove a member from a team',
      params: teamParams.extend({ member: z.string() }),
      responses: { 200: { description: 'Ids actually removed', schema: z.object({ removed: z.array(z.string()) }) }, 409: e('A directory connection keeps this team from a group (team.managed_elsewhere)') },
    },
    async ({ params, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      const removed = await s.teams.removeMembers(params.org, params.team, [params.member], res.locals.actor);
      await s.roleMappings.afterTeamChange(params.org, params.team, { memberIds: removed }, res.locals.actor);
      return { status: 200, body: { removed } };
    },
  );
}
