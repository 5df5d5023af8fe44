import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { ORG_LIFECYCLE_EVENTS } from '../../services/webhooks/provider-events.js';
import { standardWebhookSecret } from '../../services/webhooks/signing.js';
import { assertProviderKey } from './auth.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, page, pageQuery } from './schemas.js';
import { createWebhookBody, deliverySchema, pingSchema, standardSecretSchema, updateWebhookBody, webhookSchema } from './webhooks.js';

const params = z.object({ id: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });
const forbidden = e('Not a provider-wide admin key (auth.forbidden)');
const receives = `the provider audit chain's events (org.purged, signup.access_requested, …) and every org's ${ORG_LIFECYCLE_EVENTS.join(', ')}`;

/**
 * The operator's webhook endpoints (`orgId: "provider"`): the org endpoints' API without an org, for
 * provider-wide admin keys only (an org key answers 403). They receive `receives` above, signed,
 * retried and recorded like an org's deliveries, and keep receiving after an org is purged.
 */
export function providerWebhookRoutes(api: ApiRegistry, s: Services): void {
  const ops = s.webhooks.provider;
  api.add(
    { method: 'get', path: '/webhooks', tag: 'webhooks', summary: "The operator's webhook endpoints (provider-wide keys; never their secrets)", responses: { 200: { description: 'Endpoints', schema: z.object({ items: z.array(webhookSchema) }) }, 403: forbidden } },
    async ({ res }) => {
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: { items: await ops.list() } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/webhooks',
      tag: 'webhooks',
      summary: `Register an operator webhook endpoint receiving ${receives}; the signing secret is in this response only (provider-wide keys)`,
      body: createWebhookBody,
      responses: { 201: { description: 'Created', schema: webhookSchema.extend({ secret: z.string(), standardSecret: standardSecretSchema }) }, 400: e('Invalid url, events or secret'), 403: forbidden },
    },
    async ({ body, req, res }) => {
      assertProviderKey(res.locals.adminKey);
      const { endpoint, secret } = await ops.create(body, res.locals.actor);
      return { status: 201, body: { ...endpoint, secret, standardSecret: standardWebhookSecret(secret) }, headers: { Location: `${req.baseUrl}/webhooks/${endpoint.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/webhooks/{id}', tag: 'webhooks', summary: 'Get an operator webhook endpoint (provider-wide keys)', params, responses: { 200: { description: 'The endpoint', schema: webhookSchema }, 403: forbidden, 404: e('Not found') } },
    async ({ params, res }) => {
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: await ops.get(params.id) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/webhooks/{id}',
      tag: 'webhooks',
      summary: 'Change an operator endpoint: url, events or enabled; rotateSecret (true, or a secret) returns the new secret once (provider-wide keys)',
      params,
      body: updateWebhookBody,
      responses: { 200: { description: 'Updated', schema: webhookSchema.extend({ secret: z.string().optional(), standardSecret: standardSecretSchema.optional() }) }, 403: forbidden, 404: e('Not found'), 412: e('Version mismatch') },
    },
    async ({ params, body, res }) => {
      assertProviderKey(res.locals.adminKey);
      const { endpoint, secret } = await ops.update(params.id, body, res.locals.actor);
      return { status: 200, body: { ...endpoint, ...(secret !== undefined ? { secret, standardSecret: standardWebhookSecret(secret) } : {}) } };
    },
  );

  api.add(
    { method: 'delete', path: '/webhooks/{id}', tag: 'webhooks', summary: 'Delete an operator webhook endpoint; its pending deliveries fail (provider-wide keys)', params, responses: { 204: { description: 'Deleted' }, 403: forbidden, 404: e('Not found') } },
    async ({ params, res }) => {
      assertProviderKey(res.locals.adminKey);
      await ops.delete(params.id, res.locals.actor);
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/webhooks/{id}/deliveries',
      tag: 'webhooks',
      summary: 'Deliveries of an operator endpoint, newest first (provider-wide keys)',
      params,
      query: pageQuery.extend({ status: z.enum(['pending', 'delivered', 'failed']).optional() }),
      responses: { 200: { description: 'Deliveries', schema: page(deliverySchema) }, 403: forbidden, 404: e('Not found') },
    },
    async ({ params, query, res }) => {
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: await ops.listDeliveries(params.id, query) };
    },
  );

  api.add(
    { method: 'post', path: '/webhooks/{id}/ping', tag: 'webhooks', summary: 'Send a signed webhook.ping to an operator endpoint now and report the answer (provider-wide keys)', params, responses: { 200: { description: 'The attempt', schema: pingSchema }, 403: forbidden, 404: e('Not found') } },
    async ({ params, res }) => {
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: await ops.ping(params.id) };
    },
  );
}
