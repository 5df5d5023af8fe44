import express, { Router } from 'express';
import type { Logger } from '../../ports/logger.js';
import type { HttpMetrics } from '../metrics.js';
import { scimAuth, scimRateLimit } from './context.js';
import { discoveryRouter } from './discovery.js';
import { ScimError, scimErrorHandler, SCIM_CONTENT_TYPE } from './errors.js';
import { groupsRouter } from './groups.js';
import { usersRouter, type ScimDeps } from './users.js';

export interface ScimRouterOptions extends ScimDeps {
  logger: Logger;
  metrics: HttpMetrics;
  bodyLimit: string;
  rateLimitPerSecond: number;
  rateLimitBurst: number;
}

const KNOWN = new Set(['Users', 'Groups', 'ServiceProviderConfig', 'ResourceTypes', 'Schemas', 'Bulk', 'Me']);

/** Everything under /scim/v2: its own body parser, auth, rate limit, resources and SCIM error bodies. */
export function scimRouter(opts: ScimRouterOptions): Router {
  const r = Router();
  r.use((_req, res, next) => {
    res.type(SCIM_CONTENT_TYPE);
    next();
  });
  r.use(express.json({ limit: opts.bodyLimit, type: ['application/scim+json', 'application/json', 'application/*+json'] }));
  r.use((req, res, next) => {
    res.on('finish', () => {
      const resource = /^\/([A-Za-z]+)/.exec(req.path)?.[1] ?? 'root';
      opts.metrics.scimRequests.inc({ org: res.locals.scim?.orgId ?? 'unauthenticated', method: req.method, resource: KNOWN.has(resource) ? resource : 'other', status: String(res.statusCode) });
    });
    next();
  });
  r.use(scimAuth(opts.services.credentials));
  r.use(scimRateLimit(opts.rateLimitPerSecond, opts.rateLimitBurst));
  r.use('/Users', usersRouter(opts));
  r.use('/Groups', groupsRouter(opts));
  r.all(['/Bulk', '/.search', '/Me'], () => {
    throw new ScimError(501, 'this server does not offer Bulk, /Me or a root /.search; /ServiceProviderConfig lists what it supports');
  });
  r.use(discoveryRouter(opts.baseUrl.replace(/\/scim\/v2$/, ''), `${opts.baseUrl.replace(/\/scim\/v2$/, '')}/docs/scim`));
  r.use(() => {
    throw new ScimError(404, 'endpoint not found');
  });
  r.use(scimErrorHandler(opts.logger));
  return r;
}
