import { z } from 'zod';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, scimTokenSchema } from './schemas.js';

export function credentialRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/scim-tokens', tag: 'scim-tokens', summary: 'List SCIM tokens (never their secrets)', params: orgParams, responses: { 200: { description: 'Tokens', schema: z.object({ items: z.array(scimTokenSchema) }) } } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      return { status: 200, body: { items: await s.credentials.listScimTokens(params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/scim-tokens',
      tag: 'scim-tokens',
      summary: 'Create a SCIM token; the secret is in this response only (two may be live, for rotation)',
      params: orgParams,
      body: z.object({ label: z.string().max(200).optional() }),
      responses: { 201: { description: 'Created', schema: scimTokenSchema.extend({ token: z.string() }) }, 409: { description: 'Two live tokens already', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      const { token, record } = await s.credentials.createScimToken(params.org, res.locals.actor, body.label);
      return { status: 201, body: { ...record, token } };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/scim-tokens/{id}',
      tag: 'scim-tokens',
      summary: 'Revoke a SCIM token at once',
      params: orgParams.extend({ id: z.string() }),
      responses: { 200: { description: 'Revoked', schema: scimTokenSchema }, 404: { description: 'Not found', schema: errorSchema } },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.credentials.revokeScimToken(params.org, params.id, res.locals.actor) };
    },
  );
}
