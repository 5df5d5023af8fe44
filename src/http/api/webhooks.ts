import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { standardWebhookSecret } from '../../services/webhooks/signing.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, page, pageQuery } from './schemas.js';

const timestamp = z.string().describe('RFC 3339 timestamp');
const webhookParams = orgParams.extend({ id: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });

/** An endpoint as the API shows it: never its secret (sealed or not). */
export const webhookSchema = z.object({
  id: z.string(),
  orgId: z.string().describe('The org, or `provider` for an operator endpoint (`/webhooks`)'),
  url: z.string(),
  events: z.array(z.string()).describe('Event types delivered; empty means all; `member.*` matches a prefix'),
  enabled: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int(),
});

export const deliverySchema = z.object({
  id: z.string().describe('`${endpointId}:${eventId}`; also sent as X-Idsync-Delivery'),
  orgId: z.string().describe('The endpoint\'s scope: the org, or `provider`'),
  endpointId: z.string(),
  outboxId: z.string().describe('The event id (the `id` of the delivered body)'),
  outboxSeq: z.number().int().optional(),
  eventType: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number().int(),
  nextAttemptAt: timestamp.optional(),
  lastAttemptAt: timestamp.optional(),
  lastStatusCode: z.number().int().optional(),
  lastError: z.string().optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const standardSecretSchema = z.string().describe('The secret in the Standard Webhooks form `whsec_<base64>` (equal to `secret` when that is already in this form)');

export const pingSchema = z.object({ delivered: z.boolean(), statusCode: z.number().int().optional(), error: z.string().optional(), durationMs: z.number() });

export const createWebhookBody = z.object({ url: z.string(), events: z.array(z.string()).optional(), secret: z.string().optional(), enabled: z.boolean().optional() });
export const updateWebhookBody = z.object({ url: z.string().optional(), events: z.array(z.string()).optional(), enabled: z.boolean().optional(), rotateSecret: z.union([z.boolean(), z.string()]).optional(), version: z.number().int().optional() });

export function webhookRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/webhooks', tag: 'webhooks', summary: 'List webhook endpoints (never their secrets)', params: orgParams, responses: { 200: { description: 'Endpoints', schema: z.object({ items: z.array(webhookSchema) }) } } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      return { status: 200, body: { items: await s.webhooks.list(params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/webhooks',
      tag: 'webhooks',
      summary: 'Register a webhook endpoint; the signing secret is in this response only',
      params: orgParams,
      body: createWebhookBody,
      responses: { 201: { description: 'Created', schema: webhookSchema.extend({ secret: z.string(), standardSecret: standardSecretSchema }) }, 400: e('Invalid url, events or secret') },
    },
    async ({ params, body, req, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      const { endpoint, secret } = await s.webhooks.create(params.org, body, res.locals.actor);
      return { status: 201, body: { ...endpoint, secret, standardSecret: standardWebhookSecret(secret) }, headers: { Location: `${req.baseUrl}/orgs/${endpoint.orgId}/webhooks/${endpoint.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/webhooks/{id}', tag: 'webhooks', summary: 'Get a webhook endpoint', params: webhookParams, responses: { 200: { description: 'The endpoint', schema: webhookSchema }, 404: e('Not found') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.webhooks.get(params.org, params.id) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}/webhooks/{id}',
      tag: 'webhooks',
      summary: 'Change url, events or enabled; rotateSecret (true, or a secret) returns the new secret once',
      params: webhookParams,
      body: updateWebhookBody,
      responses: { 200: { description: 'Updated', schema: webhookSchema.extend({ secret: z.string().optional(), standardSecret: standardSecretSchema.optional() }) }, 404: e('Not found'), 412: e('Version mismatch') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const { endpoint, secret } = await s.webhooks.update(params.org, params.id, body, res.locals.actor);
      return { status: 200, body: { ...endpoint, ...(secret !== undefined ? { secret, standardSecret: standardWebhookSecret(secret) } : {}) } };
    },
  );

  api.add(
    { method: 'delete', path: '/orgs/{org}/webhooks/{id}', tag: 'webhooks', summary: 'Delete a webhook endpoint (its pending deliveries fail)', params: webhookParams, responses: { 204: { description: 'Deleted' }, 404: e('Not found') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.webhooks.delete(params.org, params.id, res.locals.actor);
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/webhooks/{id}/deliveries',
      tag: 'webhooks',
      summary: 'Deliveries of an endpoint, newest first',
      params: webhookParams,
      query: pageQuery.extend({ status: z.enum(['pending', 'delivered', 'failed']).optional() }),
      responses: { 200: { description: 'Deliveries', schema: page(deliverySchema) }, 404: e('Not found') },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.webhooks.listDeliveries(params.org, params.id, query) };
    },
  );

  api.add(
    { method: 'post', path: '/orgs/{org}/webhooks/{id}/ping', tag: 'webhooks', summary: 'Send a signed webhook.ping event now and report the answer', params: webhookParams, responses: { 200: { description: 'The attempt', schema: pingSchema }, 404: e('Not found') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.webhooks.ping(params.org, params.id) };
    },
  );
}
