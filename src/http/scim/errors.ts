import type { NextFunction, Request, Response } from 'express';
import { isIdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import { STORE_RETRY_AFTER_SECONDS, type StoreOutage } from '../middleware/store-outage.js';

export const SCIM_ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_CONTENT_TYPE = 'application/scim+json';

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive'
  // RFC 9865 (cursor paging)
  | 'invalidCursor'
  | 'expiredCursor'
  | 'invalidCount';

/** A SCIM protocol error (RFC 7644 §3.12): status, optional scimType, human detail. */
export class ScimError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly scimType?: ScimType,
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ScimError';
  }
}

export function scimErrorBody(e: ScimError) {
  return { schemas: [SCIM_ERROR_SCHEMA], status: String(e.status), ...(e.scimType ? { scimType: e.scimType } : {}), detail: e.detail };
}

/** How each coded domain error reads to an IdP. Only credentials failures are 401. */
const FROM_CODE: Partial<Record<ErrorCode, { status: number; scimType?: ScimType }>> = {
  'request.invalid': { status: 400, scimType: 'invalidValue' },
  'request.too_large': { status: 413 },
  'auth.unauthorized': { status: 401 },
  'auth.forbidden': { status: 403 },
  'member.user_name_taken': { status: 409, scimType: 'uniqueness' },
  'team.name_taken': { status: 409, scimType: 'uniqueness' },
  'member.not_found': { status: 404 },
  'team.not_found': { status: 404 },
  'org.not_found': { status: 404 },
  'member.removed': { status: 404 },
  'member.managed_elsewhere': { status: 400, scimType: 'mutability' },
  'team.managed_elsewhere': { status: 400, scimType: 'mutability' },
  'member.last_owner': { status: 409 },
  'member.domain_not_allowed': { status: 400, scimType: 'invalidValue' },
  'version.mismatch': { status: 412 },
  'org.deleting': { status: 403 },
  'store.unavailable': { status: 503 },
};

/** Anything thrown while serving SCIM, as a ScimError. */
export function toScimError(err: unknown): ScimError {
  if (err instanceof ScimError) return err;
  if (isIdsyncError(err)) {
    const m = FROM_CODE[err.code];
    if (m) return new ScimError(m.status, err.message, m.scimType, err.code === 'store.unavailable' ? { 'Retry-After': String(STORE_RETRY_AFTER_SECONDS) } : {});
    return new ScimError(500, 'internal error');
  }
  const e = err as { status?: unknown; scimType?: unknown; message?: unknown; type?: unknown; limit?: unknown };
  // scimmy's own errors (SCIMMY.Types.Error) carry status and scimType.
  if (e && typeof e.status === 'number' && e.constructor?.name === 'SCIMError') {
    return new ScimError(e.status, String(e.message ?? 'error'), (e.scimType as ScimType) ?? undefined);
  }
  // scimmy's schema coercion reports bad attribute values as TypeErrors.
  if (err instanceof TypeError && /attribute|expected|required|value/i.test(err.message)) return new ScimError(400, err.message, 'invalidValue');
  if (e?.type === 'entity.too.large') return new ScimError(413, `request body exceeds the limit of ${String(e.limit)} bytes`);
  if (e?.type === 'entity.parse.failed') return new ScimError(400, 'request body is not valid JSON', 'invalidSyntax');
  if (typeof e?.status === 'number' && e.status >= 400 && e.status < 500) return new ScimError(e.status, String(e.message ?? 'bad request'));
  return new ScimError(500, 'internal error');
}

export function sendScimError(res: Response, e: ScimError): void {
  res.locals.scimError = { status: String(e.status), ...(e.scimType ? { scimType: e.scimType } : {}), detail: e.detail };
  for (const [k, v] of Object.entries(e.headers)) res.setHeader(k, v);
  res.status(e.status).type(SCIM_CONTENT_TYPE).send(JSON.stringify(scimErrorBody(e)));
}

/**
 * The SCIM error handler: SCIM error bodies everywhere under /scim/v2; 5xx are logged with their
 * cause, except a store outage, which the outage reporter logs once and then counts.
 */
export function scimErrorHandler(logger: Logger, outage: StoreOutage) {
  return (err: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const e = toScimError(err);
    if (isIdsyncError(err, 'store.unavailable')) outage.refused('scim', err);
    else if (e.status >= 500) (res.locals.log ?? logger).error('SCIM request failed', { method: req.method, path: req.path, status: e.status, err });
    if (res.headersSent) return;
    sendScimError(res, e);
  };
}
