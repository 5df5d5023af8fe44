import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { IdsyncError, isIdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { OAuthTokenService, TokenRequest } from '../../services/scim-clients/oauth.js';
import type { AuthFailureThrottle } from '../middleware/auth-failures.js';
import { STORE_RETRY_AFTER_SECONDS, type StoreOutage } from '../middleware/store-outage.js';
import type { HttpMetrics } from '../metrics.js';

export interface TokenEndpointDeps {
  oauth: Pick<OAuthTokenService, 'issue'>;
  throttle: AuthFailureThrottle;
  outage: StoreOutage;
  metrics: Pick<HttpMetrics, 'authThrottled'>;
}

/** The RFC 6749 §5.2 `error` value of each coded OAuth failure. */
const OAUTH_ERRORS: Partial<Record<ErrorCode, string>> = {
  'oauth.invalid_request': 'invalid_request',
  'oauth.invalid_client': 'invalid_client',
  'oauth.unsupported_grant_type': 'unsupported_grant_type',
  // RFC 6749 defines no rate-limit error for the token endpoint; this is its code for a server that
  // cannot serve the request now (§4.1.2.1), and Retry-After (RFC 6585 §4) says when to come back.
  'oauth.rate_limited': 'temporarily_unavailable',
};

const FORM = 'application/x-www-form-urlencoded';

/**
 * `POST /oauth/token`: the client credentials grant (RFC 6749 §4.4) for SCIM OAuth clients. Answers
 * are JSON with `Cache-Control: no-store` (RFC 6749 §5.1), errors the §5.2 shape, never HTML. Failed
 * client authentication counts against the same per-address throttle as SCIM and the admin API.
 */
export function tokenRouter(deps: TokenEndpointDeps): Router {
  const router = Router();
  router.post('/oauth/token', express.text({ type: () => true, limit: '64kb' }), async (req: Request, res: Response, next: NextFunction) => {
    res.set('Cache-Control', 'no-store').set('Pragma', 'no-cache');
    try {
      const issued = await deps.oauth.issue(readRequest(req));
      deps.outage.answered();
      res.status(200).json(issued);
    } catch (err) {
      if (isIdsyncError(err) && err.code === 'store.unavailable') {
        // The client could not be checked: not its fault, and not invalid_client (an IdP told 401
        // stops provisioning). RFC 6749 has no token-endpoint error for this; it answers the
        // `temporarily_unavailable` of §4.1.2.1 with 503 and Retry-After (RFC 9110 §10.2.3), the
        // way SCIM and the admin API answer a store outage, which the outage log counts alike.
        deps.outage.refused('oauth', err);
        res.status(503).set('Retry-After', String(STORE_RETRY_AFTER_SECONDS)).json({ error: 'temporarily_unavailable', error_description: 'the credential store cannot be reached right now; retry later' });
        return;
      }
      if (!isIdsyncError(err) || OAUTH_ERRORS[err.code] === undefined) return next(err);
      const error = OAUTH_ERRORS[err.code]!;
      if (error === 'invalid_client') {
        const wait = deps.throttle.failed(req.ip ?? 'unknown');
        if (wait !== undefined) {
          deps.metrics.authThrottled.inc({ surface: 'oauth' });
          res.status(429).set('Retry-After', String(wait)).json({ error, error_description: `too many failed authentication attempts from this address; retry after ${wait} seconds` });
          return;
        }
        // RFC 6749 §5.2: invalid_client answers 401 with the scheme the client may authenticate by.
        res.status(401).set('WWW-Authenticate', 'Basic realm="idsync OAuth", charset="UTF-8"');
      } else if (err.code === 'oauth.rate_limited') {
        res.status(429).set('Retry-After', String(err.details?.retryAfter ?? 1));
      } else {
        res.status(400);
      }
      res.json({ error, error_description: err.message });
    }
  });
  return router;
}

/** RFC 6749 §3.2: form-encoded body, no parameter twice; the Basic credentials are form-encoded too (§2.3.1). */
function readRequest(req: Request): TokenRequest {
  const type = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== FORM) throw invalidRequest(`the token request must be ${FORM}`);
  const form = new URLSearchParams(typeof req.body === 'string' ? req.body : '');
  const one = (name: string): string | undefined => {
    const all = form.getAll(name);
    if (all.length > 1) throw invalidRequest(`parameter ${name} is repeated`);
    return all[0] === '' ? undefined : all[0];
  };
  const out: TokenRequest = {};
  const set = <K extends keyof TokenRequest>(k: K, v: TokenRequest[K] | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('grantType', one('grant_type'));
  set('clientId', one('client_id'));
  set('clientSecret', one('client_secret'));
  set('clientAssertionType', one('client_assertion_type'));
  set('clientAssertion', one('client_assertion'));
  const basic = /^Basic\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw invalidRequest('Basic credentials must be client_id:client_secret');
    const decode = (s: string) => {
      try {
        return decodeURIComponent(s.replace(/\+/g, ' '));
      } catch {
        throw invalidRequest('Basic credentials are not form-encoded');
      }
    };
    out.basic = { clientId: decode(decoded.slice(0, colon)), clientSecret: decode(decoded.slice(colon + 1)) };
  }
  return out;
}

function invalidRequest(message: string): IdsyncError {
  return new IdsyncError('oauth.invalid_request', message);
}
