import type { NextFunction, Request, Response } from 'express';
import type { ConsoleSignIn } from '../../services/console/sessions.js';
import { readCookie, sameString } from '../join/cookie.js';

export const SESSION_COOKIE = 'idsync_console';

declare module 'express-serve-static-core' {
  interface Locals {
    signIn: ConsoleSignIn;
    /** When the console started on this request (its pages report their server time). */
    consoleStart: bigint;
  }
}

/**
 * The console session cookie: over https `__Host-idsync_console` (Secure, Path=/, no Domain: pinned
 * to this host), else `idsync_console`; httpOnly (no script reads it) and SameSite=Strict (no other
 * site's page sends it). It carries the session token only; the session lives in the store.
 */
export function sessionCookie(publicUrl: string) {
  const secure = publicUrl.startsWith('https:');
  const name = secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
  const options = { httpOnly: true, sameSite: 'strict' as const, secure, path: '/' };
  return {
    name,
    read: (req: Request) => readCookie(req.get('cookie'), name),
    set: (res: Response, token: string, expiresAt: string, nowMs: number) => res.cookie(name, token, { ...options, maxAge: Math.max(0, Date.parse(expiresAt) - nowMs) }),
    clear: (res: Response) => res.clearCookie(name, options),
  };
}

/**
 * The synchronizer token check of every state-changing console request: the form's `_csrf` field
 * must equal the session's secret (compared in constant time). SameSite=Strict already keeps other
 * sites' forms from carrying the cookie; the token also refuses a replayed or stale form.
 */
export function csrfGuard(onRefused: (req: Request, res: Response) => void) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const given = typeof body._csrf === 'string' ? body._csrf : '';
    if (!res.locals.signIn || !given || !sameString(given, res.locals.signIn.session.csrfSecret)) {
      onRefused(req, res);
      return;
    }
    next();
  };
}
