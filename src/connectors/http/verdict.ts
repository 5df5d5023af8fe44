/**
 * What a response means, decided per provider: success, a 401 worth one token refresh, a wait and
 * retry (transient or throttled), or a coded failure. The generic rules live here; each provider's
 * client.ts adds its own (Google quota 403s, GitHub rate-limit headers, Graph error codes).
 */
import type { ErrorCode, IdsyncError } from '../../domain/errors.js';
import type { DirectoryProvider } from '../../ports/directory.js';
import { parseRetryAfter } from './backoff.js';
import { clip, connectorError } from './errors.js';

export interface HttpResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly url: string;
}

export interface ClassifyContext {
  readonly op: string;
  /** Epoch ms by the connector's clock. */
  readonly now: number;
  /** Statuses the caller interprets itself. */
  readonly accept: readonly number[];
}

export type Verdict =
  | { readonly kind: 'ok'; readonly pauseUntil?: number }
  | { readonly kind: 'unauthorized'; readonly error: IdsyncError }
  | { readonly kind: 'retry'; readonly throttled: boolean; readonly waitMs?: number; readonly minWaitMs?: number; readonly error: IdsyncError }
  | { readonly kind: 'fail'; readonly error: IdsyncError };

export type Classifier = (res: HttpResponse, ctx: ClassifyContext) => Verdict;

/** The directory's own words about a failed response. */
export interface UpstreamError {
  readonly code?: string | undefined;
  readonly message?: string | undefined;
}

export function readJson(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.text) as unknown;
  } catch {
    return undefined;
  }
}

export function describe(res: HttpResponse, upstream: UpstreamError): string {
  const what = [upstream.code, upstream.message ? clip(upstream.message) : undefined].filter(Boolean).join(': ');
  const path = new URL(res.url).pathname;
  return `HTTP ${res.status} from ${path}${what ? ` (${what})` : ''}`;
}

export function fail(code: ErrorCode, provider: DirectoryProvider, res: HttpResponse, ctx: ClassifyContext, upstream: UpstreamError, hint?: string): Verdict {
  const message = hint ? `${hint}: ${describe(res, upstream)}` : describe(res, upstream);
  return { kind: 'fail', error: connectorError(code, message, { provider, op: ctx.op, status: res.status, upstreamCode: upstream.code }) };
}

export function throttle(provider: DirectoryProvider, res: HttpResponse, ctx: ClassifyContext, upstream: UpstreamError, wait?: { waitMs?: number | undefined; minWaitMs?: number }): Verdict {
  const error = connectorError('connector.throttled', `throttled: ${describe(res, upstream)}`, { provider, op: ctx.op, status: res.status, upstreamCode: upstream.code });
  return { kind: 'retry', throttled: true, error, ...(wait?.waitMs !== undefined ? { waitMs: wait.waitMs } : {}), ...(wait?.minWaitMs !== undefined ? { minWaitMs: wait.minWaitMs } : {}) };
}

export function transient(provider: DirectoryProvider, res: HttpResponse, ctx: ClassifyContext, upstream: UpstreamError): Verdict {
  const waitMs = parseRetryAfter(res.headers.get('retry-after'), ctx.now);
  const error = connectorError('connector.upstream_error', describe(res, upstream), { provider, op: ctx.op, status: res.status, upstreamCode: upstream.code });
  return { kind: 'retry', throttled: false, error, ...(waitMs !== undefined ? { waitMs } : {}) };
}

/**
 * Generic meaning of a status once the provider's own rules had their say: 2xx and accepted
 * statuses are answers, 401 earns one refresh, 429 is throttling (Retry-After honoured), 5xx is
 * transient, the rest fail with a code that says what to fix.
 */
export function defaultVerdict(provider: DirectoryProvider, res: HttpResponse, ctx: ClassifyContext, upstream: UpstreamError): Verdict {
  const s = res.status;
  if ((s >= 200 && s < 300) || ctx.accept.includes(s)) return { kind: 'ok' };
  if (s === 401) {
    return { kind: 'unauthorized', error: connectorError('connector.auth_failed', `credentials rejected: ${describe(res, upstream)}`, { provider, op: ctx.op, status: s, upstreamCode: upstream.code }) };
  }
  if (s === 429) return throttle(provider, res, ctx, upstream, { waitMs: parseRetryAfter(res.headers.get('retry-after'), ctx.now) });
  if (s === 408 || s >= 500) return transient(provider, res, ctx, upstream);
  if (s === 403) return fail('connector.forbidden', provider, res, ctx, upstream, 'permission denied');
  if (s === 404) return fail('connector.not_found', provider, res, ctx, upstream, 'not found');
  return fail('connector.upstream_error', provider, res, ctx, upstream);
}
