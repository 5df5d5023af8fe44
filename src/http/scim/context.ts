import type { Request, Response } from 'express';
import type { Actor, ManagedBy } from '../../domain/model.js';
import type { CredentialService } from '../../services/credentials.js';
import type { AuthFailureThrottle } from '../middleware/auth-failures.js';
import type { StoreOutage } from '../middleware/store-outage.js';
import type { HttpMetrics } from '../metrics.js';
import { ScimError } from './errors.js';

/** What SCIM authentication reports to besides the request: the failure throttle, the outage log and metrics. */
export interface ScimAuthGuards {
  throttle: AuthFailureThrottle;
  outage: StoreOutage;
  metrics: Pick<HttpMetrics, 'authThrottled'>;
}

export interface ScimContext {
  orgId: string;
  tokenId: string;
  actor: Actor;
  writer: ManagedBy;
}

declare module 'express-serve-static-core' {
  interface Locals {
    scim: ScimContext;
  }
}

/**
 * The bearer token selects the organization. Only a missing or bad token answers 401; a store
 * outage while checking it is a 503, never a 401 (an IdP would otherwise disable provisioning).
 * Failed attempts are throttled per client address (429 with Retry-After); valid tokens never are.
 */
export function scimAuth(credentials: CredentialService, guards: ScimAuthGuards) {
  const refuse = (req: Request, error: ScimError): never => {
    const wait = guards.throttle.failed(req.ip ?? 'unknown');
    if (wait === undefined) throw error;
    guards.metrics.authThrottled.inc({ surface: 'scim' });
    throw new ScimError(429, `too many failed authentication attempts from this address; retry after ${wait} seconds`, undefined, { 'Retry-After': String(wait) });
  };
  return async (req: Request, res: Response): Promise<void> => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m) refuse(req, new ScimError(401, 'missing bearer token', undefined, { 'WWW-Authenticate': 'Bearer realm="idsync SCIM"' }));
    let token;
    try {
      token = await credentials.authenticateScim(m![1]!);
    } catch (err) {
      if ((err as { code?: string }).code === 'auth.unauthorized') {
        refuse(req, new ScimError(401, 'invalid or revoked SCIM token', undefined, { 'WWW-Authenticate': 'Bearer realm="idsync SCIM", error="invalid_token"' }));
      }
      throw err;
    }
    // The token lookup was a store read that succeeded: if an outage was on, it is over.
    guards.outage.answered();
    res.locals.scim = {
      orgId: token.orgId,
      tokenId: token.id,
      actor: { kind: 'scim', id: token.id, ...(token.label ? { label: token.label } : {}) },
      writer: { kind: 'scim', tokenId: token.id },
    };
  };
}

/**
 * Per-token token bucket (per replica). Over the limit: 429 with Retry-After, which Okta and Entra
 * both honour by backing off. Takes one request for the token id, or throws the 429.
 */
export function scimRateLimit(perSecond: number, burst: number, now: () => number = () => Date.now()) {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (id: string, n = 1): void => {
    if (perSecond <= 0) return;
    const t = now();
    const b = buckets.get(id) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    buckets.set(id, b);
    if (b.tokens < n) {
      const wait = Math.max(1, Math.ceil((n - b.tokens) / perSecond));
      throw new ScimError(429, `rate limit of ${perSecond} requests per second exceeded for this token`, undefined, { 'Retry-After': String(wait) });
    }
    b.tokens -= n;
  };
}
