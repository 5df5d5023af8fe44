import { z } from 'zod';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, issuedClientSecretSchema, orgParams, scimClientSchema } from './schemas.js';

const clientParams = orgParams.extend({ client: z.string() });
const secretDays = z.number().int().min(1).max(1095).optional().describe('Secret lifetime in days (default 365)');

/** SCIM OAuth clients, authorized like SCIM tokens: an org admin of the org, or a provider-wide key. */
export function scimClientRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/scim-clients', tag: 'scim-clients', summary: 'List SCIM OAuth clients (never their secrets)', params: orgParams, responses: { 200: { description: 'Clients', schema: z.object({ items: z.array(scimClientSchema) }) } } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      return { status: 200, body: { items: await s.scimClients.list(params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/scim-clients',
      tag: 'scim-clients',
      summary: 'Create a SCIM OAuth client (client credentials grant); the secret is in this response only',
      params: orgParams,
      body: z.object({
        label: z.string().max(200).optional(),
        publicKeyPem: z.string().max(20_000).optional().describe('PEM public key for private_key_jwt (RFC 7523)'),
        jwksUrl: z.string().max(2_000).optional().describe('https JWKS URL for private_key_jwt (RFC 7523)'),
        secretDays,
      }),
      responses: { 201: { description: 'Created', schema: issuedClientSecretSchema }, 400: { description: 'Bad key or JWKS URL', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      const r = await s.scimClients.create(params.org, res.locals.actor, {
        ...(body.label ? { label: body.label } : {}),
        ...(body.publicKeyPem ? { publicKeyPem: body.publicKeyPem } : {}),
        ...(body.jwksUrl ? { jwksUrl: body.jwksUrl } : {}),
        ...(body.secretDays !== undefined ? { secretTtlDays: body.secretDays } : {}),
      });
      return { status: 201, body: { clientId: r.clientId, clientSecret: r.clientSecret, tokenUrl: r.tokenUrl, secretId: r.client.secrets[0]!.id, client: r.client } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/scim-clients/{client}/secrets',
      tag: 'scim-clients',
      summary: 'Rotate: add a second live secret (in this response only); the old one works until revoked',
      params: clientParams,
      body: z.object({ secretDays }),
      responses: { 201: { description: 'Added', schema: issuedClientSecretSchema }, 404: { description: 'Not found', schema: errorSchema }, 409: { description: 'Two live secrets already', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const r = await s.scimClients.rotate(params.org, params.client, res.locals.actor, body.secretDays);
      return { status: 201, body: { clientId: r.clientId, clientSecret: r.clientSecret, tokenUrl: r.tokenUrl, secretId: r.secretId, client: r.client } };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/scim-clients/{client}/secrets/{secret}',
      tag: 'scim-clients',
      summary: 'Revoke one secret; access tokens issued with it stop working at once',
      params: clientParams.extend({ secret: z.string() }),
      responses: { 200: { description: 'Revoked', schema: scimClientSchema }, 404: { description: 'Not found', schema: errorSchema } },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.scimClients.revokeSecret(params.org, params.client, params.secret, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/scim-clients/{client}',
      tag: 'scim-clients',
      summary: 'Revoke a SCIM OAuth client; its access tokens stop working at once',
      params: clientParams,
      responses: { 200: { description: 'Revoked', schema: scimClientSchema }, 404: { description: 'Not found', schema: errorSchema } },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.scimClients.revoke(params.org, params.client, res.locals.actor) };
    },
  );
}
