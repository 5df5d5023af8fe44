import type { NextFunction, Request, Response } from 'express';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import type { Actor } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';
import type { Principal } from '../../services/authz.js';
import type { CredentialService, PublicAdminKey } from '../../services/credentials.js';
import type { AuthFailureThrottle } from '../middleware/auth-failures.js';
import type { StoreOutage } from '../middleware/store-outage.js';
import type { HttpMetrics } from '../metrics.js';

/** What admin authentication reports to besides the request: the failure throttle, the outage log and metrics. */
export interface AdminAuthGuards {
  throttle: AuthFailureThrottle;
  outage: StoreOutage;
  metrics: Pick<HttpMetrics, 'authThrottled'>;
}

declare module 'express-serve-static-core' {
  interface Locals {
    adminKey: PublicAdminKey;
    actor: Actor;
    principal: Principal;
  }
}

export const ACTING_MEMBER_HEADER = 'x-idsync-acting-member';

/**
 * Admin-key bearer auth. A service account's key acts as the account (its role, actor kind `service`). Only bad credentials answer 401; a store outage propagates as 503.
 * An org-scoped key acts as the org's owner unless the host product names the signed-in member in
 * X-Idsync-Acting-Member, in which case that member's role decides (and the audit trail says so).
 * Failed attempts are throttled per client address (429 `auth.throttled`); valid keys never are.
 */
export function adminAuth(credentials: CredentialService, store: Store, guards: AdminAuthGuards) {
  const refuse = (req: Request, error: IdsyncError): never => {
    const wait = guards.throttle.failed(req.ip ?? 'unknown');
    if (wait === undefined) throw error;
    guards.metrics.authThrottled.inc({ surface: 'api' });
    throw new IdsyncError('auth.throttled', `too many failed authentication attempts from this address; retry after ${wait} seconds`, { retryAfterSeconds: wait });
  };
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const m = /^Bearer\s+(\S+)$/i.exec(req.get('authorization') ?? '');
    if (!m) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      refuse(req, new IdsyncError('auth.unauthorized', 'missing bearer admin key'));
    }
    let key: PublicAdminKey;
    try {
      key = await credentials.authenticateAdmin(m![1]!);
    } catch (err) {
      if (isIdsyncError(err, 'auth.unauthorized')) refuse(req, err);
      throw err;
    }
    // The key lookup was a store read that succeeded: if an outage was on, it is over.
    guards.outage.answered();
    const actor: Actor = { kind: 'admin', id: key.id, ...(key.label ? { label: key.label } : {}) };
    res.locals.adminKey = key;
    if (!key.orgId) {
      res.locals.actor = actor;
      res.locals.principal = { kind: 'provider', actor };
      return next();
    }
    if (key.serviceAccountId) {
      // A service account's credential acts as that account: its role, audited as actor kind `service`.
      const account = await store.getMember(key.orgId, key.serviceAccountId);
      if (!account || account.kind !== 'service' || account.status !== 'active') refuse(req, new IdsyncError('auth.unauthorized', 'the service account of this key is not active'));
      const service: Actor = { kind: 'service', id: account!.id, label: account!.displayName ?? account!.userName };
      res.locals.actor = service;
      res.locals.principal = { kind: 'org', orgId: key.orgId, role: account!.role, actor: service };
      return next();
    }
    const acting = req.get(ACTING_MEMBER_HEADER);
    if (!acting) {
      res.locals.actor = actor;
      res.locals.principal = { kind: 'org', orgId: key.orgId, role: 'owner', actor };
      return next();
    }
    const member = await store.getMember(key.orgId, acting);
    if (!member || member.status !== 'active') throw new IdsyncError('auth.forbidden', `acting member ${acting} is not an active member of this organization`);
    const onBehalf: Actor = { ...actor, onBehalfOf: member.id };
    res.locals.actor = onBehalf;
    res.locals.principal = { kind: 'org', orgId: key.orgId, role: member.role, actor: onBehalf };
    next();
  };
}

/** An org-scoped key sees only its own org; another org id answers 404, as if it did not exist. */
export function assertOrgVisible(key: PublicAdminKey, orgId: string): void {
  if (key.orgId !== undefined && key.orgId !== orgId) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
}

export function assertProviderKey(key: PublicAdminKey): void {
  if (key.orgId !== undefined) throw new IdsyncError('auth.forbidden', 'this action needs a provider-wide admin key');
}
