/**
 * The one HTTP client of the three connectors. It owns everything about *when* to send: the
 * per-attempt timeout, retries with exponential backoff and jitter, waits the directory asks for
 * (Retry-After, rate-limit resets), the run's request budget and deadline, the abort signal, the
 * bearer token (refreshed once on a 401) and the counters. *What* a response means is decided by
 * the provider's classifier (see ./verdict.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import { IdsyncError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { ConnectorCounters, DirectoryProvider, ConnectorDeps } from '../../ports/directory.js';
import type { Logger } from '../../ports/logger.js';
import { backoffDelay, resolveLimits, type ResolvedLimits } from './backoff.js';
import { connectorError } from './errors.js';
import type { BearerAuth } from './token-cache.js';
import type { Classifier, HttpResponse } from './verdict.js';

type Where = { readonly provider: DirectoryProvider; readonly op: string };

export interface HttpRequest {
  /** Names the call in errors and logs, e.g. "users.list". */
  readonly op: string;
  readonly url: string | URL;
  readonly method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** Omitted for token-endpoint calls. */
  readonly auth?: BearerAuth;
  /** Token-endpoint request (counted in authCalls too). */
  readonly isAuth?: boolean;
  /** Statuses the caller interprets itself (e.g. 404 on a point lookup). */
  readonly accept?: readonly number[];
  readonly signal?: AbortSignal | undefined;
  /** Overrides the provider classifier for this request (token endpoints). */
  readonly classify?: Classifier;
}

interface MutableCounters {
  apiCalls: number;
  authCalls: number;
  retries: number;
  throttled: number;
  byStatus: Record<string, number>;
}

export class HttpClient {
  private readonly limits: ResolvedLimits;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly fetchImpl: typeof fetch | undefined;
  private readonly deadlineAt: number;
  private readonly counts: MutableCounters = { apiCalls: 0, authCalls: 0, retries: 0, throttled: 0, byStatus: {} };
  /** Set when a response announced an exhausted quota (GitHub x-ratelimit-remaining: 0). */
  private notBefore = 0;

  constructor(
    readonly provider: DirectoryProvider,
    private readonly classify: Classifier,
    deps: ConnectorDeps,
  ) {
    this.limits = resolveLimits(deps.limits);
    this.clock = deps.clock;
    this.log = deps.logger.child({ provider });
    this.sleep = deps.sleep ?? ((ms, signal) => delay(ms, undefined, signal ? { signal } : {}));
    this.random = deps.random ?? Math.random;
    this.fetchImpl = deps.fetch;
    this.deadlineAt = this.now() + this.limits.deadlineMs;
  }

  counters(): ConnectorCounters {
    return { ...this.counts, byStatus: { ...this.counts.byStatus } };
  }

  async send(req: HttpRequest): Promise<HttpResponse> {
    const url = new URL(req.url);
    const where = { provider: this.provider, op: req.op };
    let transientFailures = 0;
    let throttleWaits = 0;
    let refreshed = false;
    for (;;) {
      this.checkAbort(req, where);
      await this.waitForQuota(req, where);
      const headers: Record<string, string> = { accept: 'application/json', ...req.headers };
      if (req.auth) headers.authorization = `Bearer ${await req.auth.token(req.signal)}`;
      const res = await this.attempt(req, url, headers, where);
      if (res instanceof IdsyncError) {
        // Network failure or timeout: transient.
        if (transientFailures >= this.limits.maxRetries) throw res;
        await this.retryAfter(backoffDelay(transientFailures++, this.limits, this.random), false, res, req, where);
        continue;
      }
      const verdict = (req.classify ?? this.classify)(res, { op: req.op, now: this.now(), accept: req.accept ?? [] });
      switch (verdict.kind) {
        case 'ok':
          if (verdict.pauseUntil !== undefined) this.notBefore = Math.max(this.notBefore, verdict.pauseUntil);
          return res;
        case 'unauthorized':
          if (!req.auth?.refreshable || refreshed) throw verdict.error;
          refreshed = true;
          this.counts.retries += 1;
          req.auth.invalidate();
          this.log.info('access token rejected; refreshing it once', { op: req.op });
          continue;
        case 'fail':
          throw verdict.error;
        case 'retry':
          if (verdict.throttled) {
            this.counts.throttled += 1;
            const wait = Math.max(verdict.waitMs ?? backoffDelay(throttleWaits++, this.limits, this.random), verdict.minWaitMs ?? 0);
            await this.retryAfter(wait, true, verdict.error, req, where);
          } else {
            if (transientFailures >= this.limits.maxRetries) throw verdict.error;
            await this.retryAfter(verdict.waitMs ?? backoffDelay(transientFailures, this.limits, this.random), false, verdict.error, req, where);
            transientFailures += 1;
          }
      }
    }
  }

  /** Waits before the next attempt, unless the wait would pass the run deadline. */
  private async retryAfter(wait: number, throttled: boolean, error: IdsyncError, req: HttpRequest, where: Where): Promise<void> {
    if (this.now() + wait >= this.deadlineAt) {
      throw throttled
        ? connectorError('connector.throttled', `${error.message}; the wait of ${Math.ceil(wait / 1000)} s would pass the run deadline`, { ...where, retryInMs: wait }, error)
        : connectorError('connector.budget_exhausted', `${error.message}; no time left before the run deadline to retry`, where, error);
    }
    this.counts.retries += 1;
    this.log.debug('retrying', { op: req.op, waitMs: wait, throttled, reason: error.message });
    await this.pause(wait, req, where);
  }

  /** One attempt: budget, timeout, fetch, read the body. Network failures come back as an Error to retry. */
  private async attempt(req: HttpRequest, url: URL, headers: Record<string, string>, where: Where): Promise<HttpResponse | IdsyncError> {
    if (this.counts.apiCalls >= this.limits.maxRequests) {
      throw connectorError('connector.budget_exhausted', `request budget of ${this.limits.maxRequests} calls used up`, where);
    }
    const remaining = this.deadlineAt - this.now();
    if (remaining <= 0) throw connectorError('connector.budget_exhausted', 'the run deadline has passed', where);
    const timeoutMs = Math.min(this.limits.requestTimeoutMs, remaining);
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = req.signal ? AbortSignal.any([req.signal, timeout]) : timeout;
    this.counts.apiCalls += 1;
    if (req.isAuth) this.counts.authCalls += 1;
    try {
      const fetchImpl = this.fetchImpl ?? globalThis.fetch;
      const res = await fetchImpl(url, { method: req.method ?? 'GET', headers, body: req.body ?? null, signal, redirect: 'manual' });
      const text = await res.text();
      this.count(res.status === 429 ? '429' : `${Math.floor(res.status / 100)}xx`);
      return { status: res.status, headers: res.headers, text, url: url.toString() };
    } catch (err) {
      this.count('network');
      this.checkAbort(req, where);
      const reason = timeout.aborted ? `timed out after ${timeoutMs} ms` : describeNetworkError(err);
      return connectorError('connector.unreachable', `${req.method ?? 'GET'} ${url.host}${url.pathname}: ${reason}`, { ...where, host: url.host }, err);
    }
  }

  private async waitForQuota(req: HttpRequest, where: Where): Promise<void> {
    const wait = this.notBefore - this.now();
    if (wait <= 0) return;
    if (this.now() + wait >= this.deadlineAt) {
      throw connectorError('connector.throttled', `rate limit exhausted until ${new Date(this.notBefore).toISOString()}, after the run deadline`, { ...where, retryAt: new Date(this.notBefore).toISOString() });
    }
    this.log.info('rate limit exhausted; waiting for the reset', { op: req.op, waitMs: wait });
    await this.pause(wait, req, where);
  }

  private async pause(ms: number, req: HttpRequest, where: Where): Promise<void> {
    try {
      await this.sleep(ms, req.signal);
    } catch (err) {
      this.checkAbort(req, where);
      throw err;
    }
  }

  private checkAbort(req: HttpRequest, where: Where): void {
    if (req.signal?.aborted) throw connectorError('connector.aborted', 'the run was cancelled', where, req.signal.reason);
  }

  private count(outcome: string): void {
    this.counts.byStatus[outcome] = (this.counts.byStatus[outcome] ?? 0) + 1;
  }

  private now(): number {
    return this.clock.now().getTime();
  }
}

/**
 * The innermost cause that says what went wrong (undici nests `fetch failed` → cause → code).
 * Duck-typed: undici's errors come from another realm, so `instanceof Error` cannot be trusted.
 */
function describeNetworkError(err: unknown): string {
  let e = err as { message?: unknown; code?: unknown; cause?: unknown; errors?: unknown } | undefined;
  let message = typeof e?.message === 'string' ? e.message : String(err);
  for (let depth = 0; depth < 6 && e !== null && typeof e === 'object'; depth++) {
    if (typeof e.message === 'string' && e.message) message = e.message;
    if (typeof e.code === 'string') return `${e.code} (${message})`;
    e = (e.cause ?? (Array.isArray(e.errors) ? e.errors[0] : undefined)) as typeof e;
  }
  return message;
}
