import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../../ports/logger.js';
import type { HttpMetrics } from '../metrics.js';

declare module 'express-serve-static-core' {
  interface Locals {
    requestId: string;
    log: Logger;
  }
}

const INCOMING_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Request id (accepted from X-Request-Id when sane), a child logger carrying it, and timing. */
export function requestContext(logger: Logger, metrics: HttpMetrics) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.get('x-request-id');
    const requestId = incoming && INCOMING_ID.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    // Built on first use: most requests never log, and a child logger per request is not free.
    let log: Logger | undefined;
    Object.defineProperty(res.locals, 'log', { get: () => (log ??= logger.child({ requestId })), configurable: true, enumerable: true });
    res.setHeader('X-Request-Id', requestId);
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.requestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.debug('request', { requestId, method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) });
    });
    next();
  };
}
