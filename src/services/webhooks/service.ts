import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import type { Page, PageRequest } from '../../ports/store.js';
import type { ServiceDeps } from '../deps.js';
import type { SecretBox } from '../secret-box.js';
import { parseInput } from '../validate.js';
import { blockedLiteralReason, type LookupAll } from './destination.js';
import { sendWebhook, type FetchLike, type SendResult } from './send.js';
import { generateWebhookSecret, standardWebhookKey, WHSEC_PREFIX } from './signing.js';

/** An endpoint as it may be shown: never the secret, sealed or not. */
export type PublicWebhook = Omit<WebhookEndpoint, 'secretCiphertext'>;

export function publicWebhook(ep: WebhookEndpoint): PublicWebhook {
  const { secretCiphertext: _sealed, ...rest } = ep;
  return rest;
}

function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

const urlSchema = z
  .string()
  .trim()
  .max(2000)
  .pipe(z.url({ protocol: /^https?$/ }))
  .refine((u) => {
    const parsed = new URL(u);
    return parsed.protocol === 'https:' || isLoopback(parsed.hostname);
  }, 'must be https (http only for loopback hosts)');
const eventsSchema = z.array(z.string().trim().regex(/^(\*|[a-z_]+(\.[a-z_*]+)*)$/, 'expected an event type such as member.created or member.*')).max(100);
const secretSchema = z
  .string()
  .min(16, 'at least 16 characters')
  .max(256)
  .refine((s) => !s.startsWith(WHSEC_PREFIX) || /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(s), 'a whsec_ secret must be whsec_ followed by base64')
  .refine((s) => !s.startsWith(WHSEC_PREFIX) || (standardWebhookKey(s).length >= 24 && standardWebhookKey(s).length <= 64), 'a whsec_ secret must hold 24 to 64 bytes');

const createSchema = z.object({ url: urlSchema, events: eventsSchema.optional(), secret: secretSchema.optional(), enabled: z.boolean().optional() });
const updateSchema = z.object({
  url: urlSchema.optional(),
  events: eventsSchema.optional(),
  enabled: z.boolean().optional(),
  /** true: a new random secret; a string: that secret. */
  rotateSecret: z.union([z.boolean(), secretSchema]).optional(),
  version: z.number().int().optional(),
});

export interface WebhookHttpOptions {
  fetch?: FetchLike;
  timeoutMs?: number;
  /** webhooks.allowPrivateNetworks; false (the default) refuses internal destinations at registration and on ping. */
  allowPrivateNetworks?: boolean;
  /** Resolver of the destination check (tests); default node:dns/promises lookup. */
  lookup?: LookupAll;
}

export type PingResult = Pick<SendResult, 'statusCode' | 'error' | 'durationMs'> & { delivered: boolean };

const summary = (ep: WebhookEndpoint) => ({ url: ep.url, events: ep.events, enabled: ep.enabled });

/**
 * Webhook endpoints of an org: signing secrets sealed at rest and shown once (at creation or
 * rotation), every change audited. Delivery is the WebhookWorker's; `ping` sends one directly.
 */
export class WebhookService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly box: SecretBox,
    http: WebhookHttpOptions = {},
  ) {
    this.http = { fetch: (u, i) => fetch(u, i), timeoutMs: 10_000, allowPrivateNetworks: false, ...http };
  }

  private readonly http: Required<Omit<WebhookHttpOptions, 'lookup'>> & Pick<WebhookHttpOptions, 'lookup'>;

  async create(orgId: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret: string }> {
    const data = parseInput(createSchema, input);
    this.checkUrl(data.url);
    const secret = data.secret ?? generateWebhookSecret();
    const at = this.deps.clock.now().toISOString();
    const ep: WebhookEndpoint = {
      id: randomUUID(),
      orgId,
      url: data.url,
      events: [...new Set(data.events ?? [])],
      secretCiphertext: this.box.seal(secret),
      enabled: data.enabled ?? true,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createWebhook(ep, { orgId, actor, action: 'webhook.created', target: { type: 'webhook', id: ep.id }, after: summary(ep) });
    return { endpoint: publicWebhook(ep), secret };
  }

  async list(orgId: string): Promise<PublicWebhook[]> {
    return (await this.deps.store.listWebhooks(orgId)).map(publicWebhook);
  }

  async get(orgId: string, id: string): Promise<PublicWebhook> {
    return publicWebhook(await this.endpoint(orgId, id));
  }

  /** Changes url, events, enabled; `rotateSecret` replaces the secret and returns the new one (once). */
  async update(orgId: string, id: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret?: string }> {
    const data = parseInput(updateSchema, input);
    if (data.url !== undefined) this.checkUrl(data.url);
    const secret = data.rotateSecret === true ? generateWebhookSecret() : typeof data.rotateSecret === 'string' ? data.rotateSecret : undefined;
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateWebhook(
      orgId,
      id,
      (cur) => {
        const next: WebhookEndpoint = {
          ...cur,
          url: data.url ?? cur.url,
          events: data.events ? [...new Set(data.events)] : cur.events,
          enabled: data.enabled ?? cur.enabled,
          secretCiphertext: secret === undefined ? cur.secretCiphertext : this.box.seal(secret),
        };
        const same = next.url === cur.url && next.enabled === cur.enabled && JSON.stringify(next.events) === JSON.stringify(cur.events);
        if (same && secret === undefined) return null;
        return {
          next: { ...next, updatedAt: at },
          audit: {
            orgId,
            actor,
            action: 'webhook.updated',
            target: { type: 'webhook', id },
            before: summary(cur),
            after: { ...summary(next), ...(secret !== undefined ? { secretRotated: true } : {}) },
          },
        };
      },
      data.version === undefined ? undefined : { ifVersion: data.version },
    );
    return { endpoint: publicWebhook(record), ...(secret !== undefined ? { secret } : {}) };
  }

  async delete(orgId: string, id: string, actor: Actor): Promise<void> {
    const ep = await this.endpoint(orgId, id);
    await this.deps.store.deleteWebhook(orgId, id, { orgId, actor, action: 'webhook.deleted', target: { type: 'webhook', id }, before: summary(ep) });
  }

  async listDeliveries(orgId: string, id: string, query: PageRequest & { status?: DeliveryStatus } = {}): Promise<Page<WebhookDelivery>> {
    await this.endpoint(orgId, id);
    return this.deps.store.listDeliveries(orgId, { ...query, endpointId: id });
  }

  /** Sends a `webhook.ping` event now, signed like any other, whatever the filter; nothing is stored. */
  async ping(orgId: string, id: string): Promise<PingResult> {
    const ep = await this.endpoint(orgId, id);
    const now = this.deps.clock.now();
    const eventId = randomUUID();
    const result = await sendWebhook(
      ep.url,
      this.box.open(ep.secretCiphertext),
      { id: eventId, type: 'webhook.ping', time: now.toISOString(), orgId, data: { webhookId: ep.id } },
      {
        fetch: this.http.fetch,
        timeoutMs: this.http.timeoutMs,
        timestamp: Math.floor(now.getTime() / 1000),
        deliveryId: `${ep.id}:ping:${eventId}`,
        allowPrivateNetworks: this.http.allowPrivateNetworks,
        ...(this.http.lookup ? { lookup: this.http.lookup } : {}),
      },
    );
    this.deps.logger.info('webhook ping', { orgId, webhookId: ep.id, delivered: result.ok, statusCode: result.statusCode, error: result.error, durationMs: result.durationMs });
    return {
      delivered: result.ok,
      durationMs: result.durationMs,
      ...(result.statusCode !== undefined ? { statusCode: result.statusCode } : {}),
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
  }

  /** An IP-literal host in an internal range is refused as invalid input; hostnames are checked when sent. */
  private checkUrl(url: string): void {
    if (this.http.allowPrivateNetworks) return;
    const reason = blockedLiteralReason(url);
    if (reason === undefined) return;
    throw new IdsyncError('request.invalid', `url: ${reason}`, { problems: [{ field: 'url', message: reason }] });
  }

  private async endpoint(orgId: string, id: string): Promise<WebhookEndpoint> {
    const ep = await this.deps.store.getWebhook(orgId, id);
    if (!ep) throw new IdsyncError('webhook.not_found', `webhook endpoint ${id} not found`, { webhookId: id });
    return ep;
  }
}
