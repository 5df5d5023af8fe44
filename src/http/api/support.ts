import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { assertOrgVisible } from './auth.js';
import type { ApiRegistry } from './define.js';
import { actorSchema, errorSchema, orgParams, orgSchema, timestamp } from './schemas.js';

const grantSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  reason: z.string(),
  grantedBy: actorSchema,
  createdAt: timestamp,
  expiresAt: timestamp,
  revokedAt: timestamp.optional(),
  revokedBy: actorSchema.optional(),
  lastNotifiedAt: timestamp.optional().describe('When the owners were last sent support.access_used for this grant (at most hourly)'),
  state: z.enum(['active', 'expired', 'revoked']),
  updatedAt: timestamp,
  version: z.number().int(),
});

const grantParams = orgParams.extend({ id: z.string().min(1) });

/** Support access with consent: the org's mode and its owners' time-boxed grants. */
export function supportRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'put',
      path: '/orgs/{org}/support-access',
      tag: 'support access',
      summary: "Set the org's support access: open (provider-wide keys reach its data) or consent (only under an owner's live grant). Owners may set either; the operator may only set consent",
      params: orgParams,
      body: z.object({ mode: z.enum(['open', 'consent']) }),
      responses: { 200: { description: 'The organization', schema: orgSchema }, 403: { description: 'Not an owner, or the operator lifting consent', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 200, body: await s.support.setMode(res.locals.principal, params.org, body.mode) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/support-grants',
      tag: 'support access',
      summary: "Grant the operator time-boxed access to the org's data (org owners only: the org's key, or an owner acting through it)",
      params: orgParams,
      body: z.object({ hours: z.number().int().min(1).max(720), reason: z.string().min(1).max(500) }),
      responses: { 201: { description: 'The grant', schema: grantSchema }, 403: { description: 'Not an owner of the org (a provider-wide key cannot consent for it)', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 201, body: await s.support.grant(res.locals.principal, params.org, body) };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/support-grants', tag: 'support access', summary: 'List the org\'s support grants, newest first, with their state', params: orgParams, responses: { 200: { description: 'Grants', schema: z.object({ items: z.array(grantSchema) }) } } },
    async ({ params, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 200, body: { items: await s.support.list(res.locals.principal, params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/support-grants/{id}/revoke',
      tag: 'support access',
      summary: 'End a support grant now (an owner, or the operator giving the access up)',
      params: grantParams,
      responses: { 200: { description: 'The grant, revoked', schema: grantSchema }, 404: { description: 'No such grant (support.grant_not_found)', schema: errorSchema } },
    },
    async ({ params, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 200, body: await s.support.revoke(res.locals.principal, params.org, params.id) };
    },
  );
}
