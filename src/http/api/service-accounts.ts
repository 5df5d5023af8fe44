import { z } from 'zod';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, memberParams, memberSchema, orgParams } from './schemas.js';

const credentialSchema = z.object({ id: z.string(), orgId: z.string().optional(), serviceAccountId: z.string().optional(), label: z.string().optional(), prefix: z.string(), createdAt: z.string(), revokedAt: z.string().optional() });
const issued = z.object({ account: memberSchema, credential: credentialSchema, key: z.string().describe('The secret, shown once'), revoked: z.array(z.string()).optional() });
const e = (description: string) => ({ description, schema: errorSchema });

/** Service accounts: an application's member and its own org-scoped credential (owners). */
export function serviceAccountRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/service-accounts',
      tag: 'service accounts',
      summary: 'Create a service account (a member of kind service, no email) and its credential; the key is shown once',
      params: orgParams,
      body: z.object({ name: z.string(), role: z.enum(['admin', 'member']).optional() }),
      responses: { 201: { description: 'Created', schema: issued }, 403: e('Not an owner'), 409: e('The name is taken') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 201, body: await s.serviceAccounts.create(params.org, body, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/service-accounts',
      tag: 'service accounts',
      summary: 'List service accounts with their live credential (without the secret)',
      params: orgParams,
      responses: { 200: { description: 'Service accounts', schema: z.object({ items: z.array(z.object({ account: memberSchema, credential: credentialSchema.optional() })) }) }, 403: e('Not an owner') },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: { items: await s.serviceAccounts.list(params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/service-accounts/{id}/rotate',
      tag: 'service accounts',
      summary: 'Issue a new credential for the service account and revoke the old one at once; the key is shown once',
      params: memberParams,
      responses: { 200: { description: 'Rotated', schema: issued }, 403: e('Not an owner'), 404: e('No such service account') },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.serviceAccounts.rotate(params.org, params.id, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/service-accounts/{id}/credential',
      tag: 'service accounts',
      summary: "Revoke the service account's credential (the account stays; rotate issues a new one)",
      params: memberParams,
      responses: { 200: { description: 'Revoked', schema: z.object({ account: memberSchema, revoked: z.array(z.string()) }) }, 403: e('Not an owner'), 404: e('No such service account') },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.serviceAccounts.revoke(params.org, params.id, res.locals.actor) };
    },
  );
}
