/**
 * Graph change-notification subscriptions on `users` (learn.microsoft.com/graph/api/subscription-post-subscriptions,
 * subscription-update, subscription-reauthorize, subscription-delete). Graph validates the
 * notification URLs (the validationToken handshake) before it answers the create with 201.
 */
import { z } from 'zod';
import type { ChangeSubscription, SubscriptionCapable } from '../../ports/directory.js';
import type { HttpClient } from '../http/client.js';
import type { BearerAuth } from '../http/token-cache.js';
import type { MicrosoftConfig } from './config.js';
import { parseGraph } from './read.js';

const subscriptionSchema = z.looseObject({ id: z.string().min(1), expirationDateTime: z.string().min(1) });
const JSON_HEADERS = { 'content-type': 'application/json' };

function toSubscription(s: z.infer<typeof subscriptionSchema>): ChangeSubscription {
  return { id: s.id, expiresAt: new Date(s.expirationDateTime).toISOString() };
}

export function graphSubscriptions(client: HttpClient, auth: BearerAuth, config: MicrosoftConfig): SubscriptionCapable {
  const at = (id?: string) => `${config.graphBaseUrl}/v1.0/subscriptions${id ? `/${encodeURIComponent(id)}` : ''}`;
  return {
    async subscribe(req, opts) {
      // updated covers disable (accountEnabled false) and soft delete; deleted covers the hard delete.
      const body = { changeType: 'updated,deleted', resource: 'users', notificationUrl: req.notificationUrl, lifecycleNotificationUrl: req.lifecycleNotificationUrl, clientState: req.clientState, expirationDateTime: req.expiresAt };
      const res = await client.send({ op: 'subscriptions.create', url: at(), method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body), auth, signal: opts?.signal });
      return toSubscription(parseGraph(subscriptionSchema, res, 'subscriptions.create'));
    },
    async renewSubscription(id, expiresAt, opts) {
      const res = await client.send({ op: 'subscriptions.update', url: at(id), method: 'PATCH', headers: JSON_HEADERS, body: JSON.stringify({ expirationDateTime: expiresAt }), auth, signal: opts?.signal, accept: [404] });
      if (res.status === 404) return undefined;
      return toSubscription(parseGraph(subscriptionSchema, res, 'subscriptions.update'));
    },
    async reauthorizeSubscription(id, opts) {
      await client.send({ op: 'subscriptions.reauthorize', url: `${at(id)}/reauthorize`, method: 'POST', auth, signal: opts?.signal });
    },
    async deleteSubscription(id, opts) {
      // 404: already gone, which is what a delete wants.
      await client.send({ op: 'subscriptions.delete', url: at(id), method: 'DELETE', auth, signal: opts?.signal, accept: [404] });
    },
  };
}
