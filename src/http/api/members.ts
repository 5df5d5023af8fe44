import { z } from 'zod';
import type { Member } from '../../domain/model.js';
import { roleSourceOf } from '../../domain/role-mappings.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { bulkRemoveSchema, errorSchema, memberParams, memberSchema, memberSearchQuery, orgParams, page, role } from './schemas.js';

/** A member as the API shows it: with where its role comes from, recorded or derived. */
const shown = (m: Member): Member => ({ ...m, roleSource: roleSourceOf(m) });

const reason = z.object({ reason: z.string().trim().min(1).max(500).optional() });
const e = (description: string) => ({ description, schema: errorSchema });

export function memberRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/members',
      tag: 'members',
      summary: 'List and search members (name, email, status, role, team), paged; each shows where its role comes from (roleSource)',
      params: orgParams,
      query: memberSearchQuery,
      responses: { 200: { description: 'A page of members', schema: page(memberSchema) }, 404: e('No such organization') },
    },
    async ({ params, query, res }) => {
      const page = await s.admin.searchMembers(res.locals.principal, params.org, {
        ...(query.q ? { q: query.q } : {}),
        ...(query.status ? { statuses: query.status } : {}),
        ...(query.role ? { roles: query.role } : {}),
        ...(query.team ? { teamId: query.team } : {}),
        ...(query.kind ? { kinds: [query.kind] } : {}),
        ...(query.offset !== undefined ? { offset: query.offset } : {}),
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
      });
      return { status: 200, body: { ...page, items: page.items.map(shown) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members',
      tag: 'members',
      summary: 'Create a member directly, as an admin filling a form',
      params: orgParams,
      body: z.object({
        email: z.string(),
        givenName: z.string().optional(),
        familyName: z.string().optional(),
        userName: z.string().optional(),
        externalId: z.string().optional(),
        role: role.optional(),
        teamIds: z.array(z.string()).optional(),
      }),
      responses: { 201: { description: 'Created', schema: memberSchema }, 403: e('Role not allowed'), 409: e('userName taken, or a team in teamIds is kept by a directory connection (team.managed_elsewhere)') },
    },
    async ({ params, body, req, res }) => {
      const m = await s.admin.createMember(res.locals.principal, params.org, body);
      return { status: 201, body: m, headers: { Location: `${req.baseUrl}/orgs/${m.orgId}/members/${m.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/members/{id}', tag: 'members', summary: 'Get a member', params: memberParams, responses: { 200: { description: 'The member', schema: memberSchema }, 404: e('Not found') } },
    async ({ params, res }) => ({ status: 200, body: shown(await s.admin.getMember(res.locals.principal, params.org, params.id)) }),
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}/members/{id}',
      tag: 'members',
      summary: "Change a member's role",
      params: memberParams,
      body: z.object({ role }),
      responses: { 200: { description: 'Updated', schema: memberSchema }, 403: e('Not allowed'), 409: e('Last owner, removed, or a role mapping governs the role (member.role_governed)') },
    },
    async ({ params, body, res }) => ({ status: 200, body: shown(await s.admin.changeRole(res.locals.principal, params.org, params.id, body.role)) }),
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members/{id}/deactivate',
      tag: 'members',
      summary: 'Deactivate a member (access is cut at once)',
      params: memberParams,
      body: reason,
      responses: { 200: { description: 'Deactivated', schema: memberSchema }, 409: e('Last owner or removed') },
    },
    async ({ params, body, res }) => ({ status: 200, body: await s.admin.deactivate(res.locals.principal, params.org, params.id, body.reason ?? 'deactivated by admin') }),
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members/{id}/activate',
      tag: 'members',
      summary: 'Reactivate a deactivated member (never a removed one)',
      params: memberParams,
      responses: { 200: { description: 'Active again', schema: memberSchema }, 409: e('Removed') },
    },
    async ({ params, res }) => ({ status: 200, body: await s.admin.activate(res.locals.principal, params.org, params.id) }),
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/members/{id}',
      tag: 'members',
      summary: 'Remove a member for good (a tombstone; never reactivated)',
      params: memberParams,
      responses: { 200: { description: 'Removed', schema: memberSchema }, 409: e('Last owner or already removed') },
    },
    async ({ params, res }) => ({ status: 200, body: await s.admin.remove(res.locals.principal, params.org, params.id, 'removed by admin') }),
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members/bulk-remove',
      tag: 'members',
      summary: 'Remove many members at once; returns the count removed and each skipped id with its reason',
      params: orgParams,
      body: z.object({ ids: z.array(z.string()).min(1).max(1000), reason: z.string().trim().min(1).max(500).optional() }),
      responses: { 200: { description: 'Result', schema: bulkRemoveSchema } },
    },
    async ({ params, body, res }) => ({ status: 200, body: await s.admin.removeMany(res.locals.principal, params.org, body.ids, body.reason ?? 'removed by admin (bulk)') }),
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members/{id}/move',
      tag: 'members',
      summary: "Move a member's account to another organization (provider-wide keys only): same profile and identities there, removed here",
      params: memberParams,
      body: z.object({ toOrg: z.string().min(1), role: role.optional().describe('Role in the target organization; default member') }),
      responses: {
        200: { description: 'The new member and the removed source member', schema: z.object({ member: memberSchema, removed: memberSchema }) },
        403: e('Not a provider-wide key'),
        404: e('No such member or organization'),
        409: e('Last owner of the source, or userName taken in the target'),
      },
    },
    async ({ params, body, res }) => ({ status: 200, body: await s.admin.moveMember(res.locals.principal, params.org, params.id, body.toOrg, body.role) }),
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members/{id}/add-to-org',
      tag: 'members',
      summary:
        "Add a member's existing account to another organization too (provider-wide keys only): same profile and sign-in identities there (so sign-in works at once), the role and teams given, unchanged here. Only an active person is added (not an inactive member or a service account), and not one already a member there",
      params: memberParams,
      body: z.object({
        toOrg: z.string().min(1),
        role: role.optional().describe('Role in the target organization; default member'),
        teamIds: z.array(z.string()).optional().describe('Teams of the target organization to put the new member in'),
      }),
      responses: {
        201: { description: 'The new member of the target organization', schema: memberSchema },
        403: e('Not a provider-wide key'),
        404: e('No such member, organization or team'),
        409: e('Already a member of the target (member.already_member), inactive or a service account (member.not_addable), removed, userName taken in the target, or a team in teamIds kept by a directory connection (team.managed_elsewhere)'),
      },
    },
    async ({ params, body, req, res }) => {
      const m = await s.admin.addToOrg(res.locals.principal, params.org, params.id, body.toOrg, { ...(body.role ? { role: body.role } : {}), ...(body.teamIds ? { teamIds: body.teamIds } : {}) });
      return { status: 201, body: m, headers: { Location: `${req.baseUrl}/orgs/${m.orgId}/members/${m.id}` } };
    },
  );
}
