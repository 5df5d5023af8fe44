import { randomPKCECodeVerifier, randomNonce, randomState } from 'openid-client';
import { Router, type Response } from 'express';
import type { OidcConfig } from '../../config/schema.js';
import { IdsyncError, isIdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { Organization } from '../../domain/model.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { JoinLanding, JoinService } from '../../services/join/service.js';
import { readCookie, sameString, STATE_COOKIE, StateCookie } from './cookie.js';
import { JOIN_CSP, JOIN_CSS, landingPage, PROBLEMS, problemPage, successPage } from './pages.js';
import { JoinProviders, SignInError, type JoinProvider } from './providers.js';

export interface JoinRouterDeps {
  join: JoinService;
  logger: Logger;
  clock: Clock;
  publicUrl: string;
  secretKey: Buffer;
  oidc: OidcConfig;
  /** Where a member lands after joining (the continue URL with orgId and memberId), or undefined: the success page says where to go. */
  continueTo?: (org: Organization, memberId: string) => string | undefined;
}

const TOKEN = /^idsync_(inv|link)_[A-Za-z0-9_-]{20,100}$/;
const CALLBACK_PATH = '/auth/callback';

/**
 * The join pages (/join/{token}, /join/{token}/start/{provider}) and the sign-in callback
 * (/auth/callback/{provider}). Redirects go only to a configured provider's authorization endpoint,
 * to /join pages and to the configured continue URL; no URL from the request is ever redirected to. Tokens are never logged.
 */
export function joinRouter(deps: JoinRouterDeps): Router {
  const router = Router();
  const cookie = new StateCookie(deps.secretKey);
  const providers = new JoinProviders(deps.oidc);
  const base = deps.publicUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  // Over https the `__Host-` prefix pins the cookie to this host (Secure, Path=/, no Domain);
  // SameSite=Lax because the provider's redirect back is a cross-site top-level GET.
  const cookieName = secure ? `__Host-${STATE_COOKIE}` : STATE_COOKIE;
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, secure, path: secure ? '/' : CALLBACK_PATH };
  const redirectUri = (p: JoinProvider) => `${base}${CALLBACK_PATH}/${p}`;

  // Only the join pages and the callback: the router is mounted at the root, and a bare use()
  // would put the join CSP on every response after it (the admin API included).
  router.use(['/join', CALLBACK_PATH], (_req, res, next) => {
    res.setHeader('Content-Security-Policy', JOIN_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  router.get('/join/assets/join.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(JOIN_CSS);
  });

  router.get('/join/:token', async (req, res) => {
    const token = String(req.params.token);
    try {
      const landing = await deps.join.landing(checkToken(token));
      res.type('html').send(landingPage(landingView(landing, token)));
    } catch (err) {
      problem(res, err);
    }
  });

  router.get('/join/:token/start/:provider', async (req, res) => {
    const token = String(req.params.token);
    const provider = String(req.params.provider);
    try {
      await deps.join.lookup(checkToken(token));
      if (!providers.isEnabled(provider)) throw new IdsyncError('join.provider_unavailable', `sign-in with ${provider} is not configured`);
      const s = { state: randomState(), nonce: randomNonce(), codeVerifier: randomPKCECodeVerifier() };
      const url = await providers.authorizationUrl(provider, { ...s, redirectUri: redirectUri(provider) });
      res.cookie(cookieName, cookie.seal({ token, provider, ...s }, deps.clock.now().getTime()), { ...cookieOptions, maxAge: 10 * 60_000 });
      res.redirect(303, url.href);
    } catch (err) {
      problem(res, err, `/join/${encodeURIComponent(token)}`);
    }
  });

  router.get(`${CALLBACK_PATH}/:provider`, async (req, res) => {
    const provider = String(req.params.provider);
    const s = cookie.open(readCookie(req.get('cookie'), cookieName), deps.clock.now().getTime());
    // One attempt per cookie: it is cleared whatever happens next.
    res.clearCookie(cookieName, cookieOptions);
    const retry = s ? `/join/${encodeURIComponent(s.token)}` : undefined;
    try {
      const givenState = typeof req.query.state === 'string' ? req.query.state : '';
      if (!s || s.provider !== provider || !providers.isEnabled(provider) || !sameString(givenState, s.state)) throw new IdsyncError('join.session_invalid', 'the join sign-in state is missing, expired or does not match');
      const callbackUrl = new URL(`${redirectUri(provider)}${req.originalUrl.slice(req.originalUrl.indexOf('?') >= 0 ? req.originalUrl.indexOf('?') : req.originalUrl.length)}`);
      const who = await providers.finish(provider, callbackUrl, { redirectUri: redirectUri(provider), state: s.state, nonce: s.nonce, codeVerifier: s.codeVerifier });
      const { member, org } = await deps.join.complete(s.token, who);
      res.locals.log.info('joined an organization', { orgId: org.id, memberId: member.id, provider: who.provider });
      const next = deps.continueTo?.(org, member.id);
      if (next) res.redirect(303, next);
      else res.type('html').send(successPage(org.name, member.role, who.email));
    } catch (err) {
      problem(res, err, retry);
    }
  });

  function problem(res: Response, err: unknown, retry?: string): void {
    let code: ErrorCode = 'internal';
    if (err instanceof SignInError) code = err.cancelled ? 'join.cancelled' : 'join.failed';
    else if (isIdsyncError(err)) code = err.code;
    const p = PROBLEMS[code] ?? PROBLEMS.internal;
    if (p.status >= 500 || !PROBLEMS[code]) res.locals.log.error('join failed', { code, error: err instanceof Error ? err.message : String(err) });
    else if (err instanceof SignInError) res.locals.log.warn('sign-in failed', { error: err.message });
    const offerRetry = retry && (['join.session_invalid', 'join.cancelled', 'join.failed', 'invite.wrong_email', 'link.domain_not_allowed', 'member.domain_not_allowed', 'join.not_in_directory', 'join.email_unverified', 'join.provider_unavailable'] as ErrorCode[]).includes(code);
    res.status(p.status).type('html').send(problemPage(p, offerRetry ? retry : undefined));
  }

  function landingView(l: JoinLanding, token: string) {
    const list = providers.enabled().map((id) => ({ id, href: `/join/${encodeURIComponent(token)}/start/${id}` }));
    if (l.kind === 'invitation') {
      const by = l.invitedBy ?? `an administrator of ${l.orgName}`;
      return {
        orgName: l.orgName,
        role: l.role,
        reason: `${by} invited you to join ${l.orgName} on idsync.`,
        ...(l.invitedEmail ? { invitedEmail: l.invitedEmail } : {}),
        teamNames: l.teamNames,
        ...(l.expiresAt ? { expiresAt: l.expiresAt } : {}),
        providers: list,
      };
    }
    return {
      orgName: l.orgName,
      role: l.role,
      reason: `You opened an invite link of ${l.orgName}. Anyone with this link${l.allowedDomains.length ? ` and an address at ${l.allowedDomains.join(' or ')}` : ''} may join.`,
      teamNames: l.teamNames,
      ...(l.expiresAt ? { expiresAt: l.expiresAt } : {}),
      providers: list,
    };
  }

  return router;
}

function checkToken(token: string): string {
  if (!TOKEN.test(token)) throw new IdsyncError('invite.not_found', 'this is not an invitation or invite link token');
  return token;
}
