import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { Services } from '../services/index.js';
import { apiRateLimit } from './api/rate-limit.js';
import { apiRoutes } from './api/routes.js';
import { consoleRouter } from './console/router.js';
import { healthRoutes } from './health/routes.js';
import { hooksRouter } from './hooks/router.js';
import { joinRouter, type JoinRouterDeps } from './join/router.js';
import { signupRouter } from './signup/router.js';
import type { HttpMetrics } from './metrics.js';
import { AuthFailureThrottle } from './middleware/auth-failures.js';
import { errorHandler, notFound } from './middleware/errors.js';
import { requestContext } from './middleware/request-context.js';
import { apiHelmet, recordHeaders, securityHeaders } from './middleware/security-headers.js';
import { StoreOutage } from './middleware/store-outage.js';
import type { ScimRequestLog } from './scim/request-log.js';
import { tokenRouter } from './oauth/token.js';
import { scimRouter } from './scim/router.js';
import { serveLookupsLean } from './lean-lookup.js';
import { ssfRouter } from './ssf/router.js';
import { universalLogoutRouter } from './universal-logout/router.js';

export interface HttpAppDeps {
  store: Store;
  /** The store's display name on /readyz (`sqlite`, `redis`). */
  storeLabel: string;
  services: Services;
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimit: string;
  trustProxy: boolean;
  publicUrl: string;
  /** leanLookups false: plain lookups go through the router like every other request (the tests compare both paths). */
  scim: { rateLimitPerSecond: number; rateLimitBurst: number; bulkMaxOperations: number; leanLookups?: boolean };
  /** Failed authentication attempts per client address and minute before they answer 429 (0: off). */
  authFailuresPerMinute: number;
  /** Per-admin-key limit of /api/v1 (0: off); counts in `rateLimitStore` (Redis), else in memory. Absent: off. */
  api?: { rateLimitPerMinute: number; rateLimitStore?: RateLimitStore };
  /** Where SCIM requests are logged; absent: they are not. */
  scimLog?: ScimRequestLog;
  /** The join pages and sign-in callback; absent: not mounted. */
  join?: Pick<JoinRouterDeps, 'secretKey' | 'oidc' | 'clock'>;
}

/** The express app: health and metrics, the admin API, and one error handler at the end. */
export function createHttpApp(deps: HttpAppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every JSON body for a weak ETag; SCIM sets real ones from record versions.
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);
  // One of each per app: every surface reports a store outage to the same story, and a client
  // address's failed attempts count the same on SCIM and the admin API.
  const outage = new StoreOutage(deps.logger, deps.metrics);
  const authThrottle = new AuthFailureThrottle(deps.authFailuresPerMinute);
  const guards = { throttle: authThrottle, outage, metrics: deps.metrics };
  // The request context, then helmet()'s headers computed once (test/component/scim-http.test.ts
  // holds them equal): one layer for both, as every request goes through them.
  const context = requestContext(deps.logger, deps.metrics);
  const headers = securityHeaders(recordHeaders(apiHelmet({ https: deps.publicUrl.startsWith('https:') })));
  const first = (req: Request, res: Response, next: NextFunction) => context(req, res, () => headers(req, res, next));
  app.use(first);
  // SCIM parses its own bodies and answers every error in the SCIM error schema. Mounted ahead of
  // the health routes (disjoint paths) so the provisioning hot path does not walk their layers.
  const scim = scimRouter({
      services: deps.services,
      store: deps.store,
      baseUrl: `${deps.publicUrl}/scim/v2`,
      logger: deps.logger,
      metrics: deps.metrics,
      bodyLimit: deps.bodyLimit,
      rateLimitPerSecond: deps.scim.rateLimitPerSecond,
      rateLimitBurst: deps.scim.rateLimitBurst,
      bulkMaxOperations: deps.scim.bulkMaxOperations,
      authThrottle,
      outage,
      ...(deps.scimLog ? { requestLog: deps.scimLog } : {}),
  });
  app.use('/scim/v2', scim.router);
  // Plain lookups skip the router's layer walk (same guards, handler and answers): see lean-lookup.ts.
  if (deps.scim.leanLookups !== false) serveLookupsLean(app, first, scim.lookup);
  // The OAuth token endpoint parses its own form body and answers RFC 6749 errors.
  app.use(tokenRouter({ oauth: deps.services.oauth, ...guards }));
  app.use(healthRoutes(deps.store, deps.storeLabel, deps.metrics));
  // The join pages (HTML, their own strict CSP) and the sign-in callback at /auth/callback.
  if (deps.join) app.use(joinRouter({ ...deps.join, join: deps.services.join, logger: deps.logger, publicUrl: deps.publicUrl, continueTo: (org, memberId) => deps.services.signup.continueUrl(org, memberId) }));
  // The sign-up page (/signup, its own callback), with the join page's providers.
  if (deps.join) app.use(signupRouter({ ...deps.join, signup: deps.services.signup, logger: deps.logger, publicUrl: deps.publicUrl }));
  // The console (HTML, its own strict CSP, form bodies, sessions in the store).
  app.use(consoleRouter({ services: deps.services, logger: deps.logger, publicUrl: deps.publicUrl, bodyLimit: deps.bodyLimit, outage, ...(deps.join ? { signIn: deps.join } : {}) }));
  // Ahead of the JSON parser: the hooks keep the raw bytes their signatures are over.
  app.use(hooksRouter({ notifications: deps.services.notifications, logger: deps.logger, bodyLimit: deps.bodyLimit }));
  // Okta Universal Logout reads its body only after checking the bearer JWT.
  app.use(universalLogoutRouter({ receiver: deps.services.universalLogoutReceiver, bodyLimit: deps.bodyLimit, throttle: authThrottle, metrics: deps.metrics }));
  app.use(express.json({ limit: deps.bodyLimit, type: ['application/json', 'application/*+json'] }));
  const limit = deps.api ? apiRateLimit({ perMinute: deps.api.rateLimitPerMinute, logger: deps.logger, ...(deps.api.rateLimitStore ? { store: deps.api.rateLimitStore } : {}) }) : undefined;
  app.use(ssfRouter(deps.services, deps.store, guards, limit));
  app.use('/api/v1', apiRoutes(deps.services, deps.store, deps.publicUrl, guards, limit));
  app.use(notFound);
  app.use(errorHandler(deps.logger, outage));
  return app;
}
