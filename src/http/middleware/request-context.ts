import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { LogFields, Logger } from '../../ports/logger.js';
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
    res.locals.log = lazyChild(logger, { requestId });
    res.setHeader('X-Request-Id', requestId);
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const route = req.route ? `${req.baseUrl}${String(req.route.path)}` : 'unmatched';
      metrics.requestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, seconds);
      logger.debug('request', { requestId, method: req.method, path: redactPath(req.path), status: res.statusCode, ms: Math.round(seconds * 1000) });
    });
    next();
  };
}

/** A child logger built on first use: most requests never log, and winston children are not free. */
function lazyChild(parent: Logger, fields: LogFields): Logger {
  return new LazyChild(parent, fields);
}

/** A class rather than five closures: one small allocation per request. */
class LazyChild implements Logger {
  private made: Logger | undefined;
  constructor(
    private readonly parent: Logger,
    private readonly fields: LogFields,
  ) {}
  private get l(): Logger {
    return (this.made ??= this.parent.child(this.fields));
  }
  error(m: string, f?: LogFields): void {
    this.l.error(m, f);
  }
  warn(m: string, f?: LogFields): void {
    this.l.warn(m, f);
  }
  info(m: string, f?: LogFields): void {
    this.l.info(m, f);
  }
  debug(m: string, f?: LogFields): void {
    this.l.debug(m, f);
  }
  child(f: LogFields): Logger {
    return this.l.child(f);
  }
}

/** Join links carry their token in the path: it is never logged. */
export function redactPath(path: string): string {
  return path.replace(/^\/join\/[^/]+/, '/join/[token]');
}
