import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a webhook receiver gets as the JSON body of every POST. */
export interface WebhookEvent {
  /** The event id (the outbox record id): the same for every endpoint and every retry. */
  id: string;
  /** e.g. `member.created`, `webhook.ping`. */
  type: string;
  /** RFC 3339 time of the change. */
  time: string;
  orgId: string;
  data: unknown;
}

/** The prefix of a secret in the Standard Webhooks form: `whsec_` + base64 of the key bytes. */
export const WHSEC_PREFIX = 'whsec_';

/** 32 random bytes in the Standard Webhooks form `whsec_<base64>`: the secret generated when none is given. */
export function generateWebhookSecret(): string {
  return WHSEC_PREFIX + randomBytes(32).toString('base64');
}

/**
 * The HMAC key of the Standard Webhooks signature. A `whsec_…` secret is its base64-decoded bytes
 * (the standard's rule); any other secret (endpoints registered before the `whsec_` form, or a
 * secret the caller chose) is its UTF-8 bytes, which makes its `whsec_` form
 * `whsec_` + base64(secret) (see standardWebhookSecret).
 */
export function standardWebhookKey(secret: string): Buffer {
  return secret.startsWith(WHSEC_PREFIX) ? Buffer.from(secret.slice(WHSEC_PREFIX.length), 'base64') : Buffer.from(secret, 'utf8');
}

/** The secret as Standard Webhooks libraries take it: `whsec_` + base64 of the key bytes. */
export function standardWebhookSecret(secret: string): string {
  return secret.startsWith(WHSEC_PREFIX) ? secret : WHSEC_PREFIX + Buffer.from(secret, 'utf8').toString('base64');
}

/**
 * The Standard Webhooks 1.0 headers: `webhook-id` (the event id, the same on every retry),
 * `webhook-timestamp` (unix seconds of this attempt) and `webhook-signature`
 * (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body` keyed by standardWebhookKey).
 */
export function standardWebhookHeaders(secret: string, id: string, timestamp: number, body: string): Record<string, string> {
  const sig = createHmac('sha256', standardWebhookKey(secret)).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${sig}` };
}

/** Hex HMAC-SHA256 of `${timestamp}.${body}` with the endpoint's secret. */
export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/** The `X-Idsync-Signature` header value: `t=<unix seconds>,v1=<hex>`. */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${signWebhook(secret, timestamp, body)}`;
}

/**
 * The receiver's side (the README's recipe): parses the header, recomputes the HMAC over the raw
 * body, compares in constant time, and rejects timestamps further than `toleranceSec` from now.
 */
export function verifyWebhookSignature(secret: string, header: string, body: string, nowSec: number, toleranceSec = 300): boolean {
  const parts = new Map(header.split(',').map((p) => p.split('=', 2) as [string, string]));
  const t = Number(parts.get('t'));
  const v1 = parts.get('v1');
  if (!Number.isInteger(t) || !v1 || !/^[0-9a-f]{64}$/.test(v1)) return false;
  if (Math.abs(nowSec - t) > toleranceSec) return false;
  return timingSafeEqual(Buffer.from(signWebhook(secret, t, body), 'hex'), Buffer.from(v1, 'hex'));
}

export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

/**
 * Delay before the next attempt after `attempts` failed ones (1-based): min(base·2^(attempts-1), max),
 * with "equal jitter": a random point in the upper half of that delay, so that endpoints that failed
 * together do not retry together. `random` is in [0, 1).
 */
export function backoffDelayMs(attempts: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const exp = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(exp / 2 + (exp / 2) * random());
}

/** An endpoint's filter: empty means every event; `member.*` matches every `member.` event. */
export function eventMatches(filter: readonly string[], type: string): boolean {
  if (filter.length === 0) return true;
  return filter.some((f) => f === type || f === '*' || (f.endsWith('.*') && type.startsWith(f.slice(0, -1))));
}
