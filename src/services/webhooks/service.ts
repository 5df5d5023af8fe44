import { randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor, DeliveryStatus, WebhookDelivery, WebhookEndpoint } from '../../domain/model.js';
import { PROVIDER_SCOPE, type Page, type PageRequest } from '../../ports/store.js';
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

/** A delivery as it may be shown: the event body kept for an operator's delivery stays inside (the event is what was sent). */
export type PublicDelivery = Omit<WebhookDelivery, 'event'>;

export function publicDelivery(d: WebhookDelivery): PublicDelivery {
  const { event: _kept, ...rest } = d;
  return rest;
}

/** An org id as the scope of org endpoints: the provider scope is not an org (its endpoints are `provider`'s). */
function orgScope(orgId: string): string {
  if (orgId === PROVIDER_SCOPE) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  return orgId;
}

/** The endpoints of one scope (an org's, or the operator's). */
export interface ScopedWebhooks {
  create(input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret: string }>;
  list(): Promise<PublicWebhook[]>;
  get(id: string): Promise<PublicWebhook>;
  update(id: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret?: string }>;
  delete(id: string, actor: Actor): Promise<void>;
  listDeliveries(id: string, query?: PageRequest & { status?: DeliveryStatus }): Promise<Page<PublicDelivery>>;
  ping(id: string): Promise<PingResult>;
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
 * Webhook endpoints of an org, and the operator's (`provider`, the provider scope): signing secrets
 * sealed at rest and shown once (at creation or rotation), every change audited in the endpoint's
 * scope. Delivery is the WebhookWorker's; `ping` sends one directly.
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

  /**
   * The operator's endpoints, in the provider scope: they receive the provider chain's events and
   * every org's lifecycle events (provider-events.ts). Only provider-wide admin keys and the CLI reach them.
   */
  readonly provider: ScopedWebhooks = {
    create: (input, actor) => this.#create(PROVIDER_SCOPE, input, actor),
    list: () => this.#list(PROVIDER_SCOPE),
    get: (id) => this.#get(PROVIDER_SCOPE, id),
    update: (id, input, actor) => this.#update(PROVIDER_SCOPE, id, input, actor),
    delete: (id, actor) => this.#delete(PROVIDER_SCOPE, id, actor),
    listDeliveries: (id, query) => this.#listDeliveries(PROVIDER_SCOPE, id, query),
    ping: (id) => this.#ping(PROVIDER_SCOPE, id),
  };

  create(orgId: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret: string }> {
    return this.#create(orgScope(orgId), input, actor);
  }

  list(orgId: string): Promise<PublicWebhook[]> {
    return this.#list(orgScope(orgId));
  }

  get(orgId: string, id: string): Promise<PublicWebhook> {
    return this.#get(orgScope(orgId), id);
  }

  /** Changes url, events, enabled; `rotateSecret` replaces the secret and returns the new one (once). */
  update(orgId: string, id: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret?: string }> {
    return this.#update(orgScope(orgId), id, input, actor);
  }

  delete(orgId: string, id: string, actor: Actor): Promise<void> {
    return this.#delete(orgScope(orgId), id, actor);
  }

  listDeliveries(orgId: string, id: string, query: PageRequest & { status?: DeliveryStatus } = {}): Promise<Page<PublicDelivery>> {
    return this.#listDeliveries(orgScope(orgId), id, query);
  }

  /** Sends a `webhook.ping` event now, signed like any other, whatever the filter; nothing is stored. */
  ping(orgId: string, id: string): Promise<PingResult> {
    return this.#ping(orgScope(orgId), id);
  }

  async #create(orgId: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret: string }> {
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

  async #list(orgId: string): Promise<PublicWebhook[]> {
    return (await this.deps.store.listWebhooks(orgId)).map(publicWebhook);
  }

  async #get(orgId: string, id: string): Promise<PublicWebhook> {
    return publicWebhook(await this.endpoint(orgId, id));
  }

  async #update(orgId: string, id: string, input: unknown, actor: Actor): Promise<{ endpoint: PublicWebhook; secret?: string }> {
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

  async #delete(orgId: string, id: string, actor: Actor): Promise<void> {
    const ep = await this.endpoint(orgId, id);
    await this.deps.store.deleteWebhook(orgId, id, { orgId, actor, action: 'webhook.deleted', target: { type: 'webhook', id }, before: summary(ep) });
  }

  async #listDeliveries(orgId: string, id: string, query: PageRequest & { status?: DeliveryStatus } = {}): Promise<Page<PublicDelivery>> {
    await this.endpoint(orgId, id);
    const page = await this.deps.store.listDeliveries(orgId, { ...query, endpointId: id });
    return { ...page, items: page.items.map(publicDelivery) };
  }

  async #ping(orgId: string, id: string): Promise<PingResult> {
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
