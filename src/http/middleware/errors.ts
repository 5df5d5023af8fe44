import type { NextFunction, Request, Response } from 'express';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import { redactPath } from './request-context.js';
import { STORE_RETRY_AFTER_SECONDS, type StoreOutage } from './store-outage.js';

/** The JSON error body of every non-SCIM endpoint. Never contains a stack. */
export function errorBody(err: IdsyncError, requestId: string | undefined) {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}), ...(requestId ? { requestId } : {}) } };
}

/**
 * Turns whatever reached the end of the chain into a coded JSON error; 5xx are logged, except a
 * store outage, which the outage reporter logs once and then counts. Every 503 and 429 carries
 * Retry-After.
 */
export function errorHandler(logger: Logger, outage: StoreOutage) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const coded = toIdsyncError(err);
    const log = res.locals.log ?? logger;
    if (coded.code === 'store.unavailable') outage.refused('api', err);
    else if (coded.status >= 500) log.error('request failed', { method: req.method, path: redactPath(req.path), code: coded.code, err });
    if (res.headersSent) return;
    const retryAfter = coded.code === 'store.unavailable' ? STORE_RETRY_AFTER_SECONDS : (coded.details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
    if (typeof retryAfter === 'number' && !res.get('retry-after')) res.setHeader('Retry-After', String(retryAfter));
    res.status(coded.status).json(errorBody(coded, res.locals.requestId));
  };
}

export function notFound(req: Request, _res: Response, next: NextFunction): void {
  next(new IdsyncError('route.not_found', `no route for ${req.method} ${req.path}`));
}

function toIdsyncError(err: unknown): IdsyncError {
  if (isIdsyncError(err)) return err;
  const e = err as { type?: string; status?: number; message?: string; limit?: number };
  if (e?.type === 'entity.too.large') return new IdsyncError('request.too_large', `request body exceeds the limit of ${e.limit} bytes`);
  if (e?.type === 'entity.parse.failed') return new IdsyncError('request.invalid', 'request body is not valid JSON');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new IdsyncError('request.invalid', e.message ?? 'bad request');
  return new IdsyncError('internal', 'internal error', undefined, { cause: err });
}
