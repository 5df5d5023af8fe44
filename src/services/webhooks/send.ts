import { systemLookup, vetDestination, type LookupAll } from './destination.js';
import { pinnedFetch, type FetchLike } from './pinned-fetch.js';
import type { WebhookEvent } from './signing.js';
import { signatureHeader, standardWebhookHeaders } from './signing.js';

export type { FetchLike } from './pinned-fetch.js';

export interface SendResult {
  /** True on a 2xx answer. */
  ok: boolean;
  statusCode?: number;
  /** Why it failed, without the secret: `HTTP 500`, `timeout after 10000 ms`, a network error. */
  error?: string;
  durationMs: number;
  /** The caller's shutdown signal cut the request: not an attempt that counts. */
  aborted: boolean;
}

export interface SendOptions {
  fetch: FetchLike;
  timeoutMs: number;
  /** Unix seconds of the signature. */
  timestamp: number;
  deliveryId: string;
  /** Aborts the request on shutdown. */
  signal?: AbortSignal;
  /** webhooks.allowPrivateNetworks: false resolves the host first and refuses internal addresses. */
  allowPrivateNetworks: boolean;
  /** Resolver of the destination check (tests); default node:dns/promises lookup. */
  lookup?: LookupAll;
}

/**
 * POSTs one signed event. Never throws; redirects are not followed (a 3xx is a failure). Unless
 * private networks are allowed, a host resolving to an internal address is refused before connecting,
 * and an allowed one is connected to at the address that was checked (no DNS rebinding).
 */
export async function sendWebhook(url: string, secret: string, event: WebhookEvent, opts: SendOptions): Promise<SendResult> {
  const body = JSON.stringify(event);
  const started = performance.now();
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  const elapsed = () => Math.round(performance.now() - started);
  let send = opts.fetch;
  if (!opts.allowPrivateNetworks) {
    const vetted = await vetDestination(url, opts.lookup ?? systemLookup);
    if (vetted.refused !== undefined) return { ok: false, error: vetted.refused, durationMs: elapsed(), aborted: false };
    // Connect to the address just vetted, not to whatever the name resolves to a moment later.
    if (vetted.pinned) send = pinnedFetch(vetted.pinned.address, vetted.pinned.family);
  }
  try {
    const res = await send(url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'Content-Type': 'application/json',
        'User-Agent': 'idsync-webhooks/1',
        'X-Idsync-Event': event.type,
        'X-Idsync-Delivery': opts.deliveryId,
        'X-Idsync-Timestamp': String(opts.timestamp),
        'X-Idsync-Signature': signatureHeader(secret, opts.timestamp, body),
        ...standardWebhookHeaders(secret, event.id, opts.timestamp, body),
      },
      body,
    });
    // Read (and drop) the body so the connection can be reused; a receiver that stalls here is cut by the timeout.
    await res.arrayBuffer().catch(() => undefined);
    const ok = res.status >= 200 && res.status < 300;
    return { ok, statusCode: res.status, ...(ok ? {} : { error: `HTTP ${res.status}` }), durationMs: elapsed(), aborted: false };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, error: 'aborted by shutdown', durationMs: elapsed(), aborted: true };
    const message = timeout.aborted ? `timeout after ${opts.timeoutMs} ms` : errorMessage(err);
    return { ok: false, error: message, durationMs: elapsed(), aborted: false };
  }
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`.slice(0, 500);
  }
  return String(err).slice(0, 500);
}
