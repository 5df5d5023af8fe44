import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Logger } from '../../ports/logger.js';
import type { AuthFailureThrottle } from '../middleware/auth-failures.js';
import type { StoreOutage } from '../middleware/store-outage.js';
import type { HttpMetrics } from '../metrics.js';
import { scimAuth, scimRateLimit } from './context.js';
import { answeredRequest, arrivedRequest, type ScimRequestLog } from './request-log.js';
import { discoveryRouter } from './discovery.js';
import { ScimError, scimErrorHandler, SCIM_CONTENT_TYPE } from './errors.js';
import { groupsRoutes } from './groups.js';
import { oktaRoutes } from './okta-resources.js';
import { assertBodyDepth } from './normalize.js';
import { bulkHandler } from './bulk.js';
import { groupResources } from './group-resources.js';
import { groupWrites } from './group-writes.js';
import { userResources } from './user-resources.js';
import { userWrites } from './user-writes.js';
import { usersRoutes, type ScimDeps } from './users.js';

export interface ScimRouterOptions extends ScimDeps {
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimit: string;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
  bulkMaxOperations: number;
  authThrottle: AuthFailureThrottle;
  outage: StoreOutage;
  /** Absent: SCIM requests are not logged (scim.requestLogDays 0). */
  requestLog?: ScimRequestLog;
}

const KNOWN = new Set(['Users', 'Groups', 'Roles', 'Entitlements', 'ServiceProviderConfig', 'ResourceTypes', 'Schemas', 'Bulk', 'Me']);

/** type-is's hasBody: only such requests reach the JSON parser (it would skip the others anyway). */
const hasBody = (req: Request) => req.headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(req.headers['content-length']));

/** The SCIM endpoint: the router of everything under /scim/v2, and the same lookup path without the router (see lookup). */
export interface ScimEndpoint {
  router: Router;
  /**
   * `GET /Users` (a list or a filter lookup: what Okta and Entra send before every push) as the
   * router would answer it, on a request express has prepared and whose url is already relative to
   * /scim/v2: the same guards in the same order, the same handler, the same SCIM error bodies.
   * Only for requests without a body or conditional headers (lean-lookup.ts decides).
   */
  lookup(req: Request, res: Response): void;
}

/** Everything under /scim/v2: its own body parser, auth, rate limit, resources and SCIM error bodies. */
export function scimRouter(opts: ScimRouterOptions): ScimEndpoint {
  const r = Router();
  const json = express.json({ limit: opts.bodyLimit, type: ['application/scim+json', 'application/json', 'application/*+json'] });
  const authenticate = scimAuth(opts.services.credentials, { throttle: opts.authThrottle, outage: opts.outage, metrics: opts.metrics });
  const takeRate = scimRateLimit(opts.rateLimitPerSecond, opts.rateLimitBurst);
  const log = opts.requestLog;
  // The counter and the request log share one finish listener. Logging costs the request a clock
  // read and a captured URL as it arrives, a few facts read after the answer is sent, and a place in
  // the recorder's buffer: the entry is made with its batch (request-log.ts).
  const count = (req: Request, res: Response) => {
    const arrived = log ? arrivedRequest(log, req) : undefined;
    res.on('finish', () => {
      const resource = /^\/([A-Za-z]+)/.exec(req.path)?.[1] ?? 'root';
      opts.metrics.scimRequests.inc({ org: res.locals.scim?.orgId ?? 'unauthenticated', method: req.method, resource: KNOWN.has(resource) ? resource : 'other', status: String(res.statusCode) });
      if (arrived) {
        try {
          const answered = answeredRequest(arrived, req, res);
          if (answered) log!.recorder.record(answered);
        } catch (err) {
          // A listener that threw would take the process down; a log entry is never worth that.
          opts.logger.warn('SCIM request log entry could not be built', { error: (err as Error).message });
        }
      }
    });
  };
  // One layer for what every SCIM request goes through, in this order: content type, body, request
  // counter (after a body that parsed), token, rate limit, body depth. Each used to be its own layer.
  const guarded = async (req: Request, res: Response, next: NextFunction) => {
    count(req, res);
    await authenticate(req, res);
    takeRate(res.locals.scim.tokenId);
    assertBodyDepth(req.body);
    next();
  };
  r.use((req, res, next) => {
    res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
    if (!hasBody(req)) {
      guarded(req, res, next).catch(next);
      return;
    }
    json(req, res, (err?: unknown) => {
      if (err) next(err);
      else guarded(req, res, next).catch(next);
    });
  });
  const listUsers = usersRoutes(r, opts);
  groupsRoutes(r, opts);
  oktaRoutes(r, opts);
  const users = userWrites(opts, userResources(opts.store, opts.baseUrl));
  const groups = groupWrites(opts, groupResources(opts));
  r.post('/Bulk', bulkHandler({ users, groups, baseUrl: opts.baseUrl, maxOperations: opts.bulkMaxOperations, takeRate }));
  r.all('/Bulk', () => {
    throw new ScimError(405, 'Bulk takes POST (RFC 7644 §3.7)');
  });
  r.all(['/.search', '/Me'], () => {
    throw new ScimError(501, 'this server does not offer /Me or a root /.search; /ServiceProviderConfig lists what it supports');
  });
  const bulk = { maxOperations: opts.bulkMaxOperations, maxPayloadSize: byteSize(opts.bodyLimit) };
  r.use(discoveryRouter(opts.baseUrl.replace(/\/scim\/v2$/, ''), `${opts.baseUrl.replace(/\/scim\/v2$/, '')}/docs/scim`, bulk));
  r.use(() => {
    throw new ScimError(404, 'endpoint not found');
  });
  const onError = scimErrorHandler(opts.logger, opts.outage);
  r.use(onError);
  const lookup = (req: Request, res: Response): void => {
    const fail = (err: unknown) => onError(err, req, res, () => undefined);
    res.setHeader('Content-Type', SCIM_CONTENT_TYPE);
    guarded(req, res, () => void listUsers(req, res).catch(fail)).catch(fail);
  };
  return { router: r, lookup };
}

/** server.bodyLimit ("1mb", "512kb", "2048") in bytes: what Bulk advertises as maxPayloadSize and the body parser enforces. */
function byteSize(limit: string): number {
  const m = /^(\d+)(b|kb|mb)?$/i.exec(limit.trim());
  if (!m) return 1_048_576;
  const unit = (m[2] ?? 'b').toLowerCase();
  return Number(m[1]) * (unit === 'mb' ? 1_048_576 : unit === 'kb' ? 1024 : 1);
}
