import type { NextFunction, Request, Response } from 'express';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor } from '../../domain/model.js';
import type { CredentialService, PublicAdminKey } from '../../services/credentials.js';

declare module 'express-serve-static-core' {
  interface Locals {
    adminKey: PublicAdminKey;
    actor: Actor;
  }
}

/** Admin-key bearer auth. Only bad credentials answer 401; a store outage propagates as 503. */
export function adminAuth(credentials: CredentialService) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const header = req.get('authorization') ?? '';
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) {
      res.setHeader('WWW-Authenticate', 'Bearer');
      throw new IdsyncError('auth.unauthorized', 'missing bearer admin key');
    }
    const key = await credentials.authenticateAdmin(m[1]!);
    res.locals.adminKey = key;
    res.locals.actor = { kind: 'admin', id: key.id, ...(key.label ? { label: key.label } : {}) };
    next();
  };
}

/** An org-scoped key sees only its own org: any other org id answers 404, as if it did not exist. */
export function assertOrgVisible(key: PublicAdminKey, orgId: string): void {
  if (key.orgId !== undefined && key.orgId !== orgId) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
}

export function assertProviderKey(key: PublicAdminKey): void {
  if (key.orgId !== undefined) throw new IdsyncError('auth.forbidden', 'this action needs a provider-wide admin key');
}
