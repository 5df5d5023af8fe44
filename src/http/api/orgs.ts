import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { assertOrgVisible, assertProviderKey } from './auth.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, orgSchema, page, pageQuery } from './schemas.js';

const settingsInput = z.object({
  inviteTtlHours: z.number().int().optional(),
  pendingInviteCap: z.number().int().optional(),
  allowedDomains: z.array(z.string()).optional(),
  scimAdoption: z.boolean().optional(),
  ownerByMapping: z.boolean().optional().describe('A role mapping may grant and take the owner role (never from the last active owner)'),
  manualOverridesWin: z.boolean().optional().describe('A manual role change on a member a mapping governs is kept and shown instead of refused'),
});

export function orgRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs', tag: 'organizations', summary: 'List organizations (an org-scoped key sees only its own)', query: pageQuery, responses: { 200: { description: 'Organizations', schema: page(orgSchema) } } },
    async ({ query, res }) => {
      const key = res.locals.adminKey;
      if (key.orgId) return { status: 200, body: { items: [await s.orgs.get(key.orgId)], total: 1 } };
      return { status: 200, body: await s.orgs.list(query) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs',
      tag: 'organizations',
      summary: 'Create an organization (provider-wide keys only)',
      body: z.object({ name: z.string(), settings: settingsInput.optional() }),
      responses: { 201: { description: 'Created', schema: orgSchema }, 403: { description: 'Not a provider-wide key', schema: errorSchema } },
    },
    async ({ body, req, res }) => {
      assertProviderKey(res.locals.adminKey);
      const org = await s.orgs.create(body, res.locals.actor);
      return { status: 201, body: org, headers: { Location: `${req.baseUrl}/orgs/${org.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}', tag: 'organizations', summary: 'Get an organization', params: orgParams, responses: { 200: { description: 'The organization', schema: orgSchema }, 404: { description: 'Not found', schema: errorSchema } } },
    async ({ params, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 200, body: await s.orgs.get(params.org) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}',
      tag: 'organizations',
      summary: 'Rename an organization or change its settings (provider-wide keys only)',
      params: orgParams,
      body: z.object({ name: z.string().optional(), settings: settingsInput.optional(), version: z.number().int().optional() }),
      responses: { 200: { description: 'Updated', schema: orgSchema }, 403: { description: 'Not a provider-wide key', schema: errorSchema }, 412: { description: 'Version mismatch', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      assertProviderKey(res.locals.adminKey);
      const { version, ...change } = body;
      return { status: 200, body: await s.orgs.update(params.org, change, res.locals.actor, version) };
    },
  );
}
