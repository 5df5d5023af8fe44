import { randomPKCECodeVerifier, randomNonce, randomState } from 'openid-client';
import { Router, type Response } from 'express';
import type { OidcConfig } from '../../config/schema.js';
import { isIdsyncError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Store } from '../../ports/store.js';
import type { Services } from '../../services/index.js';
import { readCookie, sameString, STATE_COOKIE, StateCookie } from './cookie.js';
import { complete, JoinRefusal, lookup, type Found, type JoinDeps } from './flow.js';
import { JOIN_CSP, JOIN_CSS, landingPage, PROBLEMS, problemPage, successPage } from './pages.js';
import { JoinProviders, SignInError, type JoinProvider } from './providers.js';

export interface JoinRouterDeps {
  store: Store;
  services: Services;
  logger: Logger;
  clock: Clock;
  publicUrl: string;
  secretKey: Buffer;
  oidc: OidcConfig;
}

const TOKEN = /^idsync_(inv|link)_[A-Za-z0-9_-]{20,100}$/;
const CALLBACK_PATH = '/auth/callback';

/**
 * The join pages (/join/{token}, /join/{token}/start/{provider}) and the sign-in callback
 * (/auth/callback/{provider}). Redirects go only to a configured provider's authorization endpoint
 * and to /join pages; no URL from the request is ever redirected to. Tokens are never logged.
 */
export function joinRouter(deps: JoinRouterDeps): Router {
  const router = Router();
  const cookie = new StateCookie(deps.secretKey);
  const providers = new JoinProviders(deps.oidc);
  const flow: JoinDeps = { store: deps.store, services: deps.services, clock: deps.clock, logger: deps.logger };
  const base = deps.publicUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const redirectUri = (p: JoinProvider) => `${base}${CALLBACK_PATH}/${p}`;

  router.use((_req, res, next) => {
    res.setHeader('Content-Security-Policy', JOIN_CSP);
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
      const found = await lookup(flow, checkToken(token));
      res.type('html').send(landingPage(await landingView(found, token)));
    } catch (err) {
      problem(res, err);
    }
  });

  router.get('/join/:token/start/:provider', async (req, res) => {
    const token = String(req.params.token);
    const provider = String(req.params.provider);
    try {
      await lookup(flow, checkToken(token));
      if (!providers.isEnabled(provider)) throw new JoinRefusal('join.provider_unavailable');
      const s = { state: randomState(), nonce: randomNonce(), codeVerifier: randomPKCECodeVerifier() };
      const url = await providers.authorizationUrl(provider, { ...s, redirectUri: redirectUri(provider) });
      res.cookie(STATE_COOKIE, cookie.seal({ token, provider, ...s }, deps.clock.now().getTime()), {
        httpOnly: true,
        sameSite: 'lax',
        secure,
        path: CALLBACK_PATH,
        maxAge: 10 * 60_000,
      });
      res.redirect(303, url.href);
    } catch (err) {
      problem(res, err, `/join/${encodeURIComponent(token)}`);
    }
  });

  router.get(`${CALLBACK_PATH}/:provider`, async (req, res) => {
    const provider = String(req.params.provider);
    const s = cookie.open(readCookie(req.get('cookie'), STATE_COOKIE), deps.clock.now().getTime());
    // One attempt per cookie: it is cleared whatever happens next.
    res.clearCookie(STATE_COOKIE, { httpOnly: true, sameSite: 'lax', secure, path: CALLBACK_PATH });
    const retry = s ? `/join/${encodeURIComponent(s.token)}` : undefined;
    try {
      const givenState = typeof req.query.state === 'string' ? req.query.state : '';
      if (!s || s.provider !== provider || !providers.isEnabled(provider) || !sameString(givenState, s.state)) throw new JoinRefusal('join.session_invalid');
      const callbackUrl = new URL(`${redirectUri(provider)}${req.originalUrl.slice(req.originalUrl.indexOf('?') >= 0 ? req.originalUrl.indexOf('?') : req.originalUrl.length)}`);
      const who = await providers.finish(provider, callbackUrl, { redirectUri: redirectUri(provider), state: s.state, nonce: s.nonce, codeVerifier: s.codeVerifier });
      const { member, org } = await complete(flow, s.token, who);
      res.locals.log.info('joined an organization', { orgId: org.id, memberId: member.id, provider: who.provider });
      res.type('html').send(successPage(org.name, member.role, who.email));
    } catch (err) {
      problem(res, err, retry);
    }
  });

  function problem(res: Response, err: unknown, retry?: string): void {
    let code = 'internal';
    if (err instanceof JoinRefusal) code = err.code;
    else if (err instanceof SignInError) code = err.cancelled ? 'join.cancelled' : 'join.failed';
    else if (isIdsyncError(err)) code = err.code;
    const p = PROBLEMS[code] ?? PROBLEMS.internal!;
    if (p.status >= 500 || !PROBLEMS[code]) res.locals.log.error('join failed', { code, error: err instanceof Error ? err.message : String(err) });
    else if (err instanceof SignInError) res.locals.log.warn('sign-in failed', { error: err.message });
    const offerRetry = retry && ['join.session_invalid', 'join.cancelled', 'join.failed', 'invite.wrong_email', 'link.domain_not_allowed', 'member.domain_not_allowed', 'join.not_in_directory', 'join.email_unverified', 'join.provider_unavailable'].includes(code);
    res.status(p.status).type('html').send(problemPage(p, offerRetry ? retry : undefined));
  }

  async function landingView(found: Found, token: string) {
    const list = providers.enabled().map((id) => ({ id, href: `/join/${encodeURIComponent(token)}/start/${id}` }));
    if (found.kind === 'invitation') {
      const { inv } = found;
      const by = inv.invitedBy.label ?? inv.invitedBy.id ?? `an administrator of ${found.org.name}`;
      return {
        orgName: found.org.name,
        role: inv.role,
        reason: `${by} invited you to join ${found.org.name} on idsync.`,
        invitedEmail: inv.email,
        teamNames: await teamNames(found.org.id, inv.teamIds),
        expiresAt: inv.expiresAt,
        providers: list,
      };
    }
    const { link } = found;
    return {
      orgName: found.org.name,
      role: link.role,
      reason: `You opened an invite link of ${found.org.name}. Anyone with this link${link.allowedDomains.length ? ` and an address at ${link.allowedDomains.join(' or ')}` : ''} may join.`,
      teamNames: await teamNames(found.org.id, link.teamId ? [link.teamId] : []),
      ...(link.expiresAt ? { expiresAt: link.expiresAt } : {}),
      providers: list,
    };
  }

  async function teamNames(orgId: string, ids: string[]): Promise<string[]> {
    const names: string[] = [];
    for (const id of ids) {
      const t = await deps.store.getTeam(orgId, id);
      if (t) names.push(t.displayName);
    }
    return names;
  }

  return router;
}

function checkToken(token: string): string {
  if (!TOKEN.test(token)) throw new JoinRefusal('invite.not_found');
  return token;
}
