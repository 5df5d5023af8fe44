import type { Request, Response } from 'express';
import type { Actor, ManagedBy } from '../../domain/model.js';
import type { CredentialService } from '../../services/credentials.js';
import { ScimError } from './errors.js';

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
 */
export function scimAuth(credentials: CredentialService) {
  return async (req: Request, res: Response): Promise<void> => {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.get('authorization') ?? '');
    if (!m) throw new ScimError(401, 'missing bearer token', undefined, { 'WWW-Authenticate': 'Bearer realm="idsync SCIM"' });
    let token;
    try {
      token = await credentials.authenticateScim(m[1]!);
    } catch (err) {
      if ((err as { code?: string }).code === 'auth.unauthorized') {
        throw new ScimError(401, 'invalid or revoked SCIM token', undefined, { 'WWW-Authenticate': 'Bearer realm="idsync SCIM", error="invalid_token"' });
      }
      throw err;
    }
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
  return (id: string): void => {
    if (perSecond <= 0) return;
    const t = now();
    const b = buckets.get(id) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * perSecond);
    b.at = t;
    buckets.set(id, b);
    if (b.tokens < 1) {
      const wait = Math.max(1, Math.ceil((1 - b.tokens) / perSecond));
      throw new ScimError(429, `rate limit of ${perSecond} requests per second exceeded for this token`, undefined, { 'Retry-After': String(wait) });
    }
    b.tokens -= 1;
  };
}
