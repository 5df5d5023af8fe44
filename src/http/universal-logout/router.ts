import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import type { UniversalLogoutReceiver } from '../../services/universal-logout/receiver.js';
import type { HttpMetrics } from '../metrics.js';
import type { AuthFailureThrottle } from '../middleware/auth-failures.js';

export interface UniversalLogoutRouterDeps {
  receiver: UniversalLogoutReceiver;
  bodyLimit: string;
  /** Refused tokens count as failed authentication of the client address, as on SCIM and the admin API. */
  throttle: AuthFailureThrottle;
  metrics: Pick<HttpMetrics, 'authThrottled' | 'universalLogout'>;
}

/** The JSON body, read only once the bearer JWT checked out (so a bad token is 401 whatever the body). */
const jsonBody = (raw: unknown) => () => {
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : '';
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new IdsyncError('request.invalid', 'the request body is not JSON');
  }
};

/**
 * Okta Universal Logout: `POST /global-token-revocation/{org}` (draft-parecki-oauth-global-token-revocation;
 * Okta leaves the path to the app, the draft's example is /global-token-revocation). Mounted ahead
 * of the app's JSON parser: it reads its own body after authentication. Answers the draft's codes:
 * 204 done, 400 malformed or unsupported subject, 401 bad token, 404 unknown person, 503 store outage
 * (and 429 `auth.throttled` once a client address has sent too many bad tokens).
 */
export function universalLogoutRouter(deps: UniversalLogoutRouterDeps): Router {
  const r = Router();
  r.post('/global-token-revocation/:org', express.raw({ type: () => true, limit: deps.bodyLimit }), async (req: Request, res: Response, next: NextFunction) => {
    const bearer = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '')?.[1];
    const count = (outcome: string) => deps.metrics.universalLogout.inc({ outcome });
    try {
      const done = await deps.receiver.revoke(String(req.params.org), bearer, jsonBody(req.body));
      count(done.memberIds.length > 0 ? 'revoked' : 'invitations_withdrawn');
    } catch (err) {
      if (!isIdsyncError(err, 'universal_logout.token_invalid')) {
        count(isIdsyncError(err, 'universal_logout.person_not_found') ? 'person_not_found' : isIdsyncError(err) && err.status === 400 ? 'subject_invalid' : 'failed');
        return next(err);
      }
      const wait = deps.throttle.failed(req.ip ?? 'unknown');
      if (wait === undefined) {
        count('token_invalid');
        res.setHeader('WWW-Authenticate', 'Bearer error="invalid_token"');
        return next(err);
      }
      count('throttled');
      deps.metrics.authThrottled.inc({ surface: 'universal_logout' });
      return next(new IdsyncError('auth.throttled', `too many failed authentication attempts from this address; retry after ${wait} seconds`, { retryAfterSeconds: wait }));
    }
    res.status(204).end();
  });
  return r;
}
