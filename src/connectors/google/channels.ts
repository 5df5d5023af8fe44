/**
 * Directory API push channels on users (developers.google.com/admin-sdk/directory/v1/guides/push):
 * `users.watch` opens a channel for one event (the discovery document's `event` is a single enum:
 * add, delete, makeAdmin, undelete, update), `channels.stop` closes one. A channel cannot be renewed:
 * a new one is opened before the old one expires. Both accept the `admin.directory.user.readonly`
 * scope the connector already asks for.
 */
import { z } from 'zod';
import type { Clock } from '../../ports/clock.js';
import type { ChannelCapable, PushChannel } from '../../ports/directory.js';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson } from '../http/verdict.js';
import type { GoogleConfig } from './config.js';

/** The events that can end or change a member's access: a suspension or an OU move is an `update`. */
export const GOOGLE_CHANNEL_EVENTS = ['update', 'delete', 'makeAdmin', 'undelete'] as const;

const channelSchema = z.looseObject({
  kind: z.literal('api#channel').optional(),
  id: z.string().min(1),
  resourceId: z.string().min(1),
  /** Milliseconds since the epoch, as a string (int64 in the discovery document). */
  expiration: z.union([z.string().regex(/^\d+$/), z.number().int()]).optional(),
});

const JSON_HEADERS = { 'content-type': 'application/json' };

export function googleChannels(client: HttpClient, auth: BearerAuth, config: GoogleConfig, clock: Clock): ChannelCapable {
  return {
    channelEvents: GOOGLE_CHANNEL_EVENTS,
    async watchUsers(req, opts): Promise<PushChannel> {
      const url = new URL(`${config.apiBaseUrl}/admin/directory/v1/users/watch`);
      if (config.customer !== undefined) url.searchParams.set('customer', config.customer);
      else if (config.domain !== undefined) url.searchParams.set('domain', config.domain);
      url.searchParams.set('event', req.event);
      const body = { id: req.id, type: 'web_hook', address: req.address, token: req.token, params: { ttl: String(req.ttlSeconds) } };
      const res = await client.send({ op: 'users.watch', url, method: 'POST', headers: JSON_HEADERS, body: JSON.stringify(body), auth, signal: opts?.signal });
      const parsed = channelSchema.safeParse(readJson(res));
      if (!parsed.success || parsed.data.id !== req.id) {
        throw connectorError('connector.upstream_error', `malformed users.watch response: ${describe(res, {})}`, { provider: 'google', op: 'users.watch', status: res.status });
      }
      // Google says when it will stop; without it, the ttl asked for is the best guess.
      const expiresMs = parsed.data.expiration !== undefined ? Number(parsed.data.expiration) : clock.now().getTime() + req.ttlSeconds * 1000;
      return { id: parsed.data.id, resourceId: parsed.data.resourceId, expiresAt: new Date(expiresMs).toISOString() };
    },
    async stopChannel(channel, opts) {
      // 404: Google no longer has it (expired, or stopped before), which is what a stop wants.
      const url = `${config.apiBaseUrl}/admin/directory_v1/channels/stop`;
      await client.send({ op: 'channels.stop', url, method: 'POST', headers: JSON_HEADERS, body: JSON.stringify({ id: channel.id, resourceId: channel.resourceId }), auth, signal: opts?.signal, accept: [404] });
    },
  };
}
