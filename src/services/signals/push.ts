import { systemLookup, vetDestination, type LookupAll } from '../webhooks/destination.js';
import { pinnedFetch, type FetchLike } from '../webhooks/pinned-fetch.js';

export interface PushResult {
  /** 202 (or another 2xx): the receiver took the SET. */
  ok: boolean;
  /** The receiver refused this SET for good (RFC 8935 §2.3: 400 with an `err` code): no retry helps. */
  rejected: boolean;
  statusCode?: number;
  error?: string;
  aborted: boolean;
}

export interface PushOptions {
  fetch: FetchLike;
  timeoutMs: number;
  /** The stream's `authorization_header`, sent as Authorization. */
  authorization?: string;
  signal?: AbortSignal;
  allowPrivateNetworks: boolean;
  lookup?: LookupAll;
}

/**
 * RFC 8935 push of one SET: POST `application/secevent+jwt`, held to the webhook destination rules
 * (an internal address refused unless allowed; the vetted address connected to). Never throws.
 */
export async function pushSet(url: string, jwt: string, opts: PushOptions): Promise<PushResult> {
  const timeout = AbortSignal.timeout(opts.timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let send = opts.fetch;
  if (!opts.allowPrivateNetworks) {
    const vetted = await vetDestination(url, opts.lookup ?? systemLookup);
    if (vetted.refused !== undefined) return { ok: false, rejected: false, error: vetted.refused, aborted: false };
    if (vetted.pinned) send = pinnedFetch(vetted.pinned.address, vetted.pinned.family);
  }
  try {
    const res = await send(url, {
      method: 'POST',
      redirect: 'manual',
      signal,
      headers: {
        'Content-Type': 'application/secevent+jwt',
        Accept: 'application/json',
        'User-Agent': 'idsync-ssf/1',
        ...(opts.authorization ? { Authorization: opts.authorization } : {}),
      },
      body: jwt,
    });
    const text = await res.text().catch(() => '');
    if (res.status >= 200 && res.status < 300) return { ok: true, rejected: false, statusCode: res.status, aborted: false };
    if (res.status === 400) {
      const err = parseErr(text);
      if (err) return { ok: false, rejected: true, statusCode: 400, error: `rejected: ${err}`, aborted: false };
    }
    return { ok: false, rejected: false, statusCode: res.status, error: `HTTP ${res.status}`, aborted: false };
  } catch (err) {
    if (opts.signal?.aborted) return { ok: false, rejected: false, error: 'aborted by shutdown', aborted: true };
    const message = timeout.aborted ? `timeout after ${opts.timeoutMs} ms` : err instanceof Error ? `${err.message}${err.cause instanceof Error ? `: ${err.cause.message}` : ''}` : String(err);
    return { ok: false, rejected: false, error: message.slice(0, 500), aborted: false };
  }
}

function parseErr(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { err?: unknown; description?: unknown };
    if (typeof body.err !== 'string') return undefined;
    return typeof body.description === 'string' ? `${body.err} (${body.description.slice(0, 200)})` : body.err;
  } catch {
    return undefined;
  }
}
