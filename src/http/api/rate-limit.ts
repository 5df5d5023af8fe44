import type { RequestHandler } from 'express';
import { rateLimit, type Store as RateLimitStore } from 'express-rate-limit';
import { IdsyncError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';

export interface ApiRateLimitOptions {
  /** Requests per minute per admin key; 0 turns the limit off. */
  perMinute: number;
  /** Where the counts live: shared (Redis) across replicas; absent: in this process's memory. */
  store?: RateLimitStore;
  logger: Logger;
}

/**
 * Per-admin-key limit of the admin API, mounted after adminAuth (so only authenticated requests
 * count, each against its key, never its IP). Over the limit: 429 `api.rate_limited` with
 * Retry-After and the draft-8 RateLimit headers. A store failure lets the request through; it then
 * meets the same outage in the store and answers 503 `store.unavailable` on its own.
 */
export function apiRateLimit(opts: ApiRateLimitOptions): RequestHandler | undefined {
  if (opts.perMinute <= 0) return undefined;
  return rateLimit({
    windowMs: 60_000,
    limit: opts.perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    passOnStoreError: true,
    ...(opts.store ? { store: opts.store } : {}),
    keyGenerator: (_req, res) => `key:${res.locals.adminKey.id}`,
    handler: (_req, res, next) => {
      next(new IdsyncError('api.rate_limited', `admin key rate limit of ${opts.perMinute} requests per minute exceeded; retry after ${res.get('retry-after') ?? '60'} seconds`, { limit: opts.perMinute }));
    },
    logger: {
      error: (err: unknown, message?: string) => opts.logger.warn(message ?? 'api rate limiter error', { error: err instanceof Error ? err.message : String(err) }),
      warn: (err: unknown, message?: string) => opts.logger.warn(message ?? 'api rate limiter warning', { error: err instanceof Error ? err.message : String(err) }),
    },
  });
}
