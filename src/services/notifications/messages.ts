import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { ChannelState } from './state.js';

/**
 * The directories' notification formats, read as hints: which user may have changed, and the
 * message's ids for the audit. Nothing here says what happened to the user; the point lookup does.
 */

/** One user a message says may have changed. */
export interface Hint {
  readonly directoryId: string;
  /** What the message said changed, for logs and evidence only. */
  readonly change: string;
  /** Ids that name the message (dedup key and audit evidence). */
  readonly ids: readonly string[];
}

/** Constant-time equality of two secrets of any length (compared as SHA-256 digests). */
export function sameSecret(a: string, b: string): boolean {
  const da = createHash('sha256').update(a, 'utf8').digest();
  const db = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(da, db) && a.length === b.length;
}

/**
 * GitHub's `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 of the raw body with the webhook
 * secret (docs.github.com "Validating webhook deliveries"), compared in constant time.
 */
export function githubSignatureValid(raw: Buffer, header: string | undefined, secret: string): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/i.test(header)) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(raw).digest('hex'), 'utf8');
  return timingSafeEqual(expected, Buffer.from(header.slice('sha256='.length).toLowerCase(), 'utf8'));
}

const githubUser = z.looseObject({ id: z.number().int().positive() });
const githubPayload = z.looseObject({
  action: z.string(),
  membership: z.looseObject({ user: githubUser.nullable().optional() }).optional(),
  /** member_invited: the invited account, when it has one. */
  user: githubUser.nullable().optional(),
  /** `membership` (team) events. */
  member: githubUser.nullable().optional(),
});

/** The organization actions acted on (docs.github.com webhook events: organization, membership). */
const ORGANIZATION_ACTIONS = new Set(['member_removed', 'member_added', 'member_invited']);

/** The user a GitHub `organization` or `membership` event names; undefined for other events or actions. */
export function githubHint(event: string, delivery: string, body: unknown): Hint | undefined {
  const parsed = githubPayload.safeParse(body);
  if (!parsed.success) return undefined;
  const p = parsed.data;
  if (event === 'organization' && !ORGANIZATION_ACTIONS.has(p.action)) return undefined;
  if (event !== 'organization' && event !== 'membership') return undefined;
  const user = event === 'membership' ? p.member : (p.membership?.user ?? p.user);
  if (!user) return undefined;
  return { directoryId: String(user.id), change: `${event}.${p.action}`, ids: [delivery] };
}

const graphItem = z.looseObject({
  subscriptionId: z.string(),
  clientState: z.string().optional(),
  changeType: z.string().optional(),
  resource: z.string().optional(),
  resourceData: z.looseObject({ id: z.string().optional() }).nullable().optional(),
  lifecycleEvent: z.string().optional(),
  /** Graph sends it on each notification (learn.microsoft.com/graph/change-notifications-delivery-webhooks). */
  id: z.string().optional(),
});
export const graphBody = z.looseObject({ value: z.array(graphItem).min(1).max(1000) });
export type GraphItem = z.infer<typeof graphItem>;

export type GraphLifecycle = 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed';
const LIFECYCLE = new Set<string>(['reauthorizationRequired', 'subscriptionRemoved', 'missed']);

export function graphLifecycle(item: GraphItem): GraphLifecycle | undefined {
  return item.lifecycleEvent && LIFECYCLE.has(item.lifecycleEvent) ? (item.lifecycleEvent as GraphLifecycle) : undefined;
}

/** The user a Graph change notification names: `resourceData.id`, else the id in `resource` (`Users/{id}`). */
export function graphHint(item: GraphItem): Hint | undefined {
  const id = item.resourceData?.id ?? /^\/?users\/([^/]+)$/i.exec(item.resource ?? '')?.[1];
  if (!id || !/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  // Without Graph's own id, the message's digest names it: a redelivery (or a copy at another replica) has the same.
  const named = item.id ?? createHash('sha256').update(JSON.stringify(item)).digest('hex').slice(0, 24);
  return { directoryId: id, change: item.changeType ?? 'updated', ids: [item.subscriptionId, named] };
}

/** The Directory API user events acted on (the `X-Goog-Resource-State` of a users channel's messages). */
const GOOGLE_EVENTS = new Set(['update', 'delete', 'makeAdmin', 'undelete']);
/** The body of a users channel's message: the user resource, of which only the id is read. */
const googleUser = z.looseObject({ kind: z.literal('admin#directory#user').optional(), id: z.string().regex(/^[0-9A-Za-z_-]{1,64}$/) });

/** The user a Google push message names; undefined for events not acted on or a body without a user id. */
export function googleHint(state: string, channelId: string, messageNumber: string, body: unknown): Hint | undefined {
  if (!GOOGLE_EVENTS.has(state)) return undefined;
  const parsed = googleUser.safeParse(body);
  if (!parsed.success) return undefined;
  return { directoryId: parsed.data.id, change: state, ids: [channelId, messageNumber] };
}

/** What a Google push message's headers say before any work: refused (and why), `sync`, or a message to act on. */
export type GoogleCheck =
  | { readonly kind: 'refused'; readonly outcome: 'unknown_channel' | 'unsigned' | 'forged' | 'malformed'; readonly status: number }
  | { readonly kind: 'sync' }
  | { readonly kind: 'message'; readonly channel: ChannelState; readonly state: string; readonly number: string };

/**
 * Google's message headers against the connection's channels: `X-Goog-Channel-ID` must name one,
 * `X-Goog-Channel-Token` match its token (constant time; `openToken` answers undefined for a token
 * this deployment cannot open) and `X-Goog-Resource-ID` its resource once Google has told it.
 */
export function checkGoogleMessage(header: (name: string) => string | undefined, channels: readonly ChannelState[], openToken: (sealed: string) => string | undefined): GoogleCheck {
  const channelId = header('x-goog-channel-id');
  const channel = channelId ? channels.find((c) => c.id === channelId) : undefined;
  if (!channel) return { kind: 'refused', outcome: 'unknown_channel', status: 404 };
  const token = header('x-goog-channel-token');
  if (!token) return { kind: 'refused', outcome: 'unsigned', status: 401 };
  const expected = openToken(channel.tokenSealed);
  if (expected === undefined || !sameSecret(token, expected) || (channel.resourceId !== undefined && header('x-goog-resource-id') !== channel.resourceId)) return { kind: 'refused', outcome: 'forged', status: 403 };
  const state = header('x-goog-resource-state');
  if (state === 'sync') return { kind: 'sync' };
  const number = header('x-goog-message-number') ?? '';
  if (!state || !/^\d{1,20}$/.test(number)) return { kind: 'refused', outcome: 'malformed', status: 400 };
  return { kind: 'message', channel, state, number };
}
