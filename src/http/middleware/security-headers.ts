import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

type HeaderMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface StaticHeaders {
  set: [name: string, value: string | string[]][];
  remove: string[];
}

/**
 * What a header-only middleware does, recorded once against a stand-in response. Helmet's default
 * headers depend on nothing in the request (no CSP nonces), so every request can replay the list
 * instead of running helmet's dozen middlewares and rebuilding the CSP string each time.
 */
export function recordHeaders(mw: HeaderMiddleware): StaticHeaders {
  const out: StaticHeaders = { set: [], remove: [] };
  const res = {
    setHeader(name: string, value: string | number | readonly string[]) {
      out.set.push([name, Array.isArray(value) ? [...(value as string[])] : String(value)]);
      return res;
    },
    removeHeader(name: string) {
      out.remove.push(name);
    },
    getHeader: () => undefined,
    locals: {},
  };
  let done = false;
  let failure: unknown;
  mw({ headers: {}, method: 'GET', url: '/' } as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => {
    done = true;
    failure = err;
  });
  if (!done || failure) throw new Error('security headers: the middleware did not complete synchronously', { cause: failure });
  return out;
}

/**
 * helmet's headers as this server means them: everything outside the join pages is JSON (SCIM, the
 * admin API, health), so the CSP allows nothing and forbids framing, X-Frame-Options says the same
 * (DENY, not a SAMEORIGIN that contradicts `frame-ancestors 'none'`), and HSTS is sent only where
 * the public URL is https (on a plain-http deployment it would pin browsers to a scheme that does
 * not answer). The join pages replace the CSP with their own, so each response carries one.
 */
export function apiHelmet(opts: { https: boolean }) {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'frame-ancestors': ["'none'"] } },
    xFrameOptions: { action: 'deny' },
    strictTransportSecurity: opts.https ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
}

/** The headers of `apiHelmet`, computed once and set on every response. */
export function securityHeaders(headers: StaticHeaders = recordHeaders(apiHelmet({ https: false }))) {
  const { set, remove } = headers;
  return (_req: Request, res: Response, next: NextFunction): void => {
    for (let i = 0; i < set.length; i++) res.setHeader(set[i]![0], set[i]![1]);
    for (let i = 0; i < remove.length; i++) res.removeHeader(remove[i]!);
    next();
  };
}
