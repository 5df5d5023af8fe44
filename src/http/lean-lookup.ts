import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express, NextFunction, Request, Response } from 'express';

type Middleware = (req: Request, res: Response, next: NextFunction) => void;

const PREFIX = '/scim/v2';
/** What `req.route` says on this path: the request-duration metric labels the route with it, as the router would. */
const LOOKUP_ROUTE = Object.freeze({ path: '/Users' });

/**
 * A SCIM `GET /Users` list or filter lookup, without a body or conditional headers: the request Okta
 * and Entra send before every push, the daemon's hottest path. Anything else goes to the router.
 */
export function isPlainLookup(req: IncomingMessage): boolean {
  if (req.method !== 'GET') return false;
  const url = req.url ?? '';
  if (!(url.startsWith('/scim/v2/Users?') || url === '/scim/v2/Users')) return false;
  const h = req.headers;
  return h['if-none-match'] === undefined && h['if-modified-since'] === undefined && h['transfer-encoding'] === undefined && h['content-length'] === undefined;
}

/**
 * Serves plain SCIM lookups without express's router walking its layers (in process, express's
 * routing of one request costs about as much as the lookup's three store reads; bench/RESULTS.md,
 * 2026-12-05), and hands every other request to express untouched. A lookup gets exactly what the
 * router gives it: the request prepared as express prepares it (its request and response
 * prototypes, `res.locals`), the url made relative to /scim/v2 as the mount would, then the app's
 * first layer (request context and security headers) and the SCIM endpoint's own lookup (guards,
 * handler, SCIM error bodies). test/component/scim-lean-lookup.test.ts holds both paths' answers equal.
 */
export function serveLookupsLean(app: Express, first: Middleware, lookup: (req: Request, res: Response) => void): void {
  const handle = (app as unknown as { handle: (req: IncomingMessage, res: ServerResponse, done?: unknown) => void }).handle.bind(app);
  (app as unknown as { handle: typeof handle }).handle = (req, res, done) => {
    if (!isPlainLookup(req)) {
      handle(req, res, done);
      return;
    }
    const request = req as Request;
    const response = res as Response;
    // As express's app.handle prepares every request (express 5, lib/application.js). On the
    // daemon's server the objects already have these prototypes (server-classes.ts): no change.
    request.res = response;
    response.req = request;
    Object.setPrototypeOf(request, app.request);
    Object.setPrototypeOf(response, app.response);
    if (!response.locals) response.locals = Object.create(null) as Response['locals'];
    // As the /scim/v2 mount does for the routers under it.
    request.originalUrl = request.url;
    request.baseUrl = PREFIX;
    request.url = request.url.slice(PREFIX.length) || '/';
    (request as { route?: unknown }).route = LOOKUP_ROUTE;
    first(request, response, () => lookup(request, response));
  };
}
