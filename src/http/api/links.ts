import { z } from 'zod';
import { assertCanAssignRole } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, inviteLinkSchema, orgParams, page, pageQuery, role } from './schemas.js';

const linkParams = orgParams.extend({ id: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });
const withUrl = z.object({ link: inviteLinkSchema, url: z.string().describe('The shareable join URL; shown on create and rotate only') });

/** Open invite links: shareable, optionally for one team, limited in time, uses and email domains. */
export function linkRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/links', tag: 'links', summary: 'List invite links (never their URLs)', params: orgParams, query: pageQuery, responses: { 200: { description: 'A page of links', schema: page(inviteLinkSchema) }, 404: e('No such organization') } },
    async ({ params, query, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      return { status: 200, body: await s.links.list(params.org, query) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/links',
      tag: 'links',
      summary: 'Create an invite link; its URL is in this response only',
      params: orgParams,
      body: z.object({
        teamId: z.string().optional(),
        role: role.optional(),
        expiresInHours: z.number().int().optional(),
        maxUses: z.number().int().optional(),
        allowedDomains: z.array(z.string()).optional(),
        directoryConnectionId: z.string().optional().describe('Only people this connection lists as active may join'),
      }),
      responses: { 201: { description: 'Created', schema: withUrl }, 403: e('Role not allowed'), 409: e('The team is kept by a directory connection (team.managed_elsewhere)') },
    },
    async ({ params, body, req, res }) => {
      assertCanAssignRole(res.locals.principal, params.org, body.role ?? 'member');
      if (body.teamId) await s.teams.get(params.org, body.teamId);
      if (body.directoryConnectionId) await s.connections.get(body.directoryConnectionId, params.org);
      const r = await s.links.create(params.org, body, res.locals.actor);
      return { status: 201, body: r, headers: { Location: `${req.baseUrl}/orgs/${params.org}/links/${r.link.id}` } };
    },
  );

  api.add(
    { method: 'post', path: '/orgs/{org}/links/{id}/rotate', tag: 'links', summary: 'Rotate: a new URL; the old one stops working at once', params: linkParams, responses: { 200: { description: 'Rotated', schema: withUrl }, 404: e('Not found'), 410: e('Revoked') } },
    async ({ params, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.links.rotate(params.org, params.id, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/links/{id}/revoke',
      tag: 'links',
      summary: 'Revoke an invite link',
      params: linkParams,
      body: z.object({ reason: z.string().trim().min(1).max(500).optional() }),
      responses: { 200: { description: 'Revoked', schema: inviteLinkSchema }, 404: e('Not found') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.links.revoke(params.org, params.id, res.locals.actor, body.reason) };
    },
  );
}
