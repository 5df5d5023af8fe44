import { Router, type RequestHandler } from 'express';
import type { Store } from '../../ports/store.js';
import type { Services } from '../../services/index.js';
import { auditRoutes } from './audit.js';
import { connectionRoutes } from './connections.js';
import { adminAuth, type AdminAuthGuards } from './auth.js';
import { credentialRoutes } from './credentials.js';
import { domainRoutes } from './domains.js';
import { invitationRoutes } from './invitations.js';
import { linkRoutes } from './links.js';
import { ApiRegistry } from './define.js';
import { memberRoutes } from './members.js';
import { openApiDocument } from './openapi.js';
import { orgRoutes } from './orgs.js';
import { roleMappingRoutes } from './role-mappings.js';
import { portalLinkRoutes } from './portal-links.js';
import { serviceAccountRoutes } from './service-accounts.js';
import { signalRoutes } from './signals.js';
import { universalLogoutRoutes } from './universal-logout.js';
import { runRoutes } from './runs.js';
import { scimLogRoutes } from './scim-log.js';
import { scimClientRoutes } from './scim-clients.js';
import { teamRoutes } from './teams.js';
import { webhookRoutes } from './webhooks.js';
import { providerWebhookRoutes } from './provider-webhooks.js';
import { orgDeletionRoutes } from './org-deletion.js';
import { orgGate } from './org-gate.js';
import { supportRoutes } from './support.js';

/**
 * The admin REST API under /api/v1, and its OpenAPI document at /api/v1/openapi.json (no auth).
 * `rateLimit` (rate-limit.ts) runs after adminAuth, so it counts per authenticated key.
 */
export function apiRoutes(services: Services, store: Store, publicUrl: string, guards: AdminAuthGuards, rateLimit?: RequestHandler): Router {
  const r = Router();
  const authed = Router();
  // Before every route: support access with consent, and orgs being deleted.
  authed.use('/orgs/:org', orgGate(store, services));
  const api = new ApiRegistry(authed);
  orgRoutes(api, services);
  memberRoutes(api, services);
  serviceAccountRoutes(api, services);
  teamRoutes(api, services);
  roleMappingRoutes(api, services);
  credentialRoutes(api, services);
  scimClientRoutes(api, services);
  auditRoutes(api, services);
  webhookRoutes(api, services);
  providerWebhookRoutes(api, services);
  invitationRoutes(api, services);
  linkRoutes(api, services);
  connectionRoutes(api, services);
  runRoutes(api, services);
  scimLogRoutes(api, services);
  portalLinkRoutes(api, services);
  signalRoutes(api, services);
  universalLogoutRoutes(api, services);
  supportRoutes(api, services);
  orgDeletionRoutes(api, services);
  domainRoutes(api, services);
  const doc = openApiDocument(api.routes, `${publicUrl}/api/v1`);
  r.get('/openapi.json', (_req, res) => {
    res.json(doc);
  });
  r.use(adminAuth(services.credentials, store, guards), ...(rateLimit ? [rateLimit] : []), authed);
  return r;
}
