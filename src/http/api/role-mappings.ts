import { z } from 'zod';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, roleChangeSchema, roleMappingInput, roleMappingSchema } from './schemas.js';

const mappingParams = orgParams.extend({ id: z.string().min(1).describe('The mapping id, or source:group (e.g. scim:Engineering-Admins)') });
const e = (description: string) => ({ description, schema: errorSchema });

/** Role mappings: reading needs any role in the org; changing them (which moves roles) needs the owner role. */
export function roleMappingRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/role-mappings',
      tag: 'role mappings',
      summary: "List the organization's role mappings (upstream group -> role), in creation order",
      params: orgParams,
      responses: { 200: { description: 'Mappings', schema: z.object({ items: z.array(roleMappingSchema) }) }, 404: e('No such organization') },
    },
    async ({ params, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      return { status: 200, body: { items: await s.roleMappings.list(params.org) } };
    },
  );

  api.add(
    {
      method: 'put',
      path: '/orgs/{org}/role-mappings',
      tag: 'role mappings',
      summary: "Map a group to a role (or change its role and precedence), then apply it to the group's members",
      params: orgParams,
      body: roleMappingInput,
      responses: {
        200: { description: 'Changed; `applied` lists the roles it moved', schema: z.object({ mapping: roleMappingSchema, created: z.boolean(), applied: z.array(roleChangeSchema) }) },
        201: { description: 'Created; `applied` lists the roles it moved', schema: z.object({ mapping: roleMappingSchema, created: z.boolean(), applied: z.array(roleChangeSchema) }) },
        403: e('Not an owner, or owner by mapping not allowed (role_mapping.owner_not_allowed)'),
      },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const r = await s.roleMappings.set(params.org, body, res.locals.actor);
      return { status: r.created ? 201 : 200, body: r };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/role-mappings/preview',
      tag: 'role mappings',
      summary: 'Whose role would change if this mapping were saved (nothing is written)',
      params: orgParams,
      body: roleMappingInput,
      responses: {
        200: { description: 'The mapping as it would be, how many members were evaluated, and the changes', schema: z.object({ mapping: roleMappingSchema, evaluated: z.number().int(), changes: z.array(roleChangeSchema) }) },
        403: e('Not an admin, or owner by mapping not allowed (role_mapping.owner_not_allowed)'),
      },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.roleMappings.preview(params.org, body) };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/role-mappings/{id}',
      tag: 'role mappings',
      summary: "Delete a mapping; its group's members fall back to their next mapped role, the role their IdP sends, or the default role",
      params: mappingParams,
      responses: { 200: { description: 'Deleted, with the roles it moved', schema: z.object({ mapping: roleMappingSchema, applied: z.array(roleChangeSchema) }) }, 404: e('No such mapping') },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.roleMappings.delete(params.org, params.id, res.locals.actor) };
    },
  );
}
