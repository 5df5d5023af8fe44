import type { NextFunction, Request, Response } from 'express';
import { IdsyncError } from '../../domain/errors.js';
import type { Store } from '../../ports/store.js';
import type { Services } from '../../services/index.js';
import { deletingError } from '../../services/org-deletion/service.js';

/** Areas under /orgs/{org} a provider-wide key reaches without a support grant: no member data. */
const OPEN_TO_OPERATOR = new Set(['access', 'support-access', 'support-grants', 'restore']);
/** Areas that still answer while the org is being deleted (the rest answer `org.deleting` with the purge time). */
const OPEN_WHILE_DELETING = new Set(['support-access', 'support-grants', 'restore']);

/**
 * Runs before every /orgs/{org}/… route. An org scheduled for deletion answers `org.deleting` (with
 * details.purgeAt) except for its own record, restore and its grants. On an org with
 * `supportAccess: consent`, a provider-wide principal passes only under a live grant: the request is
 * audited with the grant id and the handlers act as an actor that names it. The org record itself
 * (read, delete) and the sign-in access check stay open. An org key of another org gets its
 * 404, before the body is validated.
 */
export function orgGate(store: Store, services: Services) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const orgId = String(req.params.org);
    const principal = res.locals.principal;
    // Another org's id answers 404 to an org key before anything else (body validation included), as if it did not exist.
    if (principal.kind === 'org' && principal.orgId !== orgId) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    const area = req.path.split('/')[1] ?? '';
    const org = await store.getOrg(orgId);
    if (!org) return next();
    if (org.state === 'deleting' && area !== '' && !OPEN_WHILE_DELETING.has(area)) throw deletingError(org);
    const recordOnly = area === '' && (req.method === 'GET' || req.method === 'DELETE');
    if (principal.kind === 'provider' && !recordOnly && !OPEN_TO_OPERATOR.has(area)) {
      const admitted = await services.support.admit(principal, orgId, { method: req.method, path: `/api/v1/orgs/${orgId}${req.path === '/' ? '' : req.path}` });
      res.locals.principal = admitted;
      res.locals.actor = admitted.actor;
    }
    next();
  };
}
