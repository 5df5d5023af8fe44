import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import type { Request, RequestHandler, Response, Router } from 'express';
import type { OidcConfig } from '../../config/schema.js';
import { NO_ORG } from '../../domain/console.js';
import { IdsyncError } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Services } from '../../services/index.js';
import { readCookie, sameString } from '../join/cookie.js';
import { JoinProviders, SignInError, type JoinProvider } from '../join/providers.js';
import { CONSOLE_CSP } from './assets.js';
import type { Fail } from './router.js';
import type { sessionCookie } from './session.js';
import { operatorOrgsPage, pickerPage, signInPage } from './sign-in-pages.js';
import { safeNext, SIGN_IN_COOKIE, SignInStateCookie } from './sign-in-state.js';

/** What console sign-in needs from the deployment; absent: no provider is offered. */
export interface ConsoleSignInConfig {
  secretKey: Buffer;
  oidc: OidcConfig;
  clock: Clock;
}

export interface SignInRouteDeps {
  services: Services;
  publicUrl: string;
  signIn?: ConsoleSignInConfig;
  cookie: ReturnType<typeof sessionCookie>;
  fail: Fail;
  withSession: RequestHandler;
  openingPage: (target: string) => string;
}

/**
 * The provider's redirect back. Under the join page's callback path of the same provider, so a
 * GitHub OAuth app whose callback URL is `{public URL}/auth/callback/github` accepts it (GitHub
 * allows any subdirectory of the registered callback); Google and Microsoft need it registered.
 */
export const consoleCallbackPath = (p: JoinProvider) => `/auth/callback/${p}/console`;

/**
 * Console sign-in for org owners and admins with the join page's providers (the same provider
 * code: OIDC with PKCE, state and nonce; GitHub OAuth with PKCE), the organization picker, and the
 * operator's list of every organization. The only redirects go to a configured provider's
 * authorization endpoint and to console paths checked by safeNext.
 */
export function signInRoutes(router: Router, d: SignInRouteDeps): void {
  const s = d.services;
  const base = d.publicUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const providers = d.signIn ? new JoinProviders(d.signIn.oidc) : undefined;
  const state = d.signIn ? new SignInStateCookie(d.signIn.secretKey) : undefined;
  // Lax: the provider's redirect back is a cross-site top-level GET. Over https `__Host-` pins it.
  const stateName = secure ? `__Host-${SIGN_IN_COOKIE}` : SIGN_IN_COOKIE;
  const stateOptions = { httpOnly: true, sameSite: 'lax' as const, secure, path: '/' };
  const enabled = () => providers?.enabled() ?? [];

  router.get('/console/sign-in', (req, res) => {
    const next = safeNext(req.query.next);
    const suffix = next ? `?next=${encodeURIComponent(next)}` : '';
    res.type('html').send(signInPage(enabled().map((id) => ({ id, href: `/console/sign-in/${id}${suffix}` })), Boolean(next)));
  });

  router.get('/console/sign-in/:provider', async (req, res) => {
    try {
      const provider = String(req.params.provider);
      if (!providers || !state || !providers.isEnabled(provider)) throw new IdsyncError('console.provider_unavailable', `sign-in with ${provider} is not configured`);
      const st = { state: randomState(), nonce: randomNonce(), codeVerifier: randomPKCECodeVerifier() };
      const next = safeNext(req.query.next);
      const url = await providers.authorizationUrl(provider, { ...st, redirectUri: `${base}${consoleCallbackPath(provider)}` });
      res.cookie(stateName, state.seal({ provider, ...st, ...(next ? { next } : {}) }, d.signIn!.clock.now().getTime()), { ...stateOptions, maxAge: 10 * 60_000 });
      res.redirect(303, url.href);
    } catch (err) {
      d.fail(res, err instanceof SignInError ? new IdsyncError('console.sign_in_failed', err.message) : err);
    }
  });

  router.get('/auth/callback/:provider/console', async (req: Request, res: Response) => {
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const provider = String(req.params.provider);
    const st = state?.open(readCookie(req.get('cookie'), stateName), d.signIn!.clock.now().getTime());
    // One attempt per cookie: it is cleared whatever happens next.
    res.clearCookie(stateName, stateOptions);
    try {
      const given = typeof req.query.state === 'string' ? req.query.state : '';
      if (!providers || !st || st.provider !== provider || !providers.isEnabled(provider) || !sameString(given, st.state)) {
        throw new IdsyncError('console.sign_in_invalid', 'the console sign-in state is missing, expired or does not match');
      }
      const redirectUri = `${base}${consoleCallbackPath(provider)}`;
      const query = req.originalUrl.indexOf('?');
      const callbackUrl = new URL(`${redirectUri}${query >= 0 ? req.originalUrl.slice(query) : ''}`);
      let who;
      try {
        who = await providers.finish(provider, callbackUrl, { redirectUri, state: st.state, nonce: st.nonce, codeVerifier: st.codeVerifier });
      } catch (err) {
        if (!(err instanceof SignInError)) throw err;
        // openid-client's checks of what came back (the ID token's nonce, iss, aud: "unexpected JWT
        // claim value") surface as a SignInError too: a mismatch to refuse, not a provider failure.
        const mismatch = !err.cancelled && /claim value|nonce|"state"|ID Token/i.test(err.message);
        throw new IdsyncError(mismatch ? 'console.sign_in_invalid' : 'console.sign_in_failed', err.message);
      }
      const person = { kind: 'person' as const, provider: who.provider, subject: who.subject, email: who.email, emailVerified: who.emailVerified };
      const { token, signIn, orgs } = await s.consoleSignIn.signIn(person);
      d.cookie.set(res, token, signIn.session.expiresAt, Date.parse(signIn.session.createdAt));
      res.locals.log?.info('console signed in', { session: signIn.session.publicId, provider });
      const nextOrg = st.next ? /^\/console\/orgs\/([^/?#]+)/.exec(st.next)?.[1] : undefined;
      // A next inside an organization is followed only into one the person may open (compared encoded: no decoding of what came in).
      const allowed = (segment: string) => orgs.some((o) => encodeURIComponent(o.org.id) === segment);
      let target = signIn.session.orgId === NO_ORG ? '/console/orgs' : `/console/orgs/${encodeURIComponent(signIn.session.orgId)}/members`;
      if (st.next && (!nextOrg || allowed(nextOrg))) target = st.next;
      // The cookie goes with the next request only from a same-site navigation (SameSite=Strict).
      res.type('html').send(d.openingPage(target));
    } catch (err) {
      d.fail(res, err);
    }
  });

  router.get('/console/orgs', d.withSession, async (req, res) => {
    try {
      const signIn = res.locals.signIn;
      const offset = Math.max(0, Math.min(1_000_000, Number.parseInt(String(req.query.offset ?? '0'), 10) || 0));
      const view = await s.consoleSignIn.orgsOf(signIn, offset);
      if (view.kind === 'person') {
        if (view.orgs.length === 0) throw new IdsyncError('console.not_admin', 'you are no longer an owner or admin of any organization');
        res.type('html').send(pickerPage(signIn.session.who?.kind === 'person' ? signIn.session.who.email : '', view.orgs, signIn.session.csrfSecret));
      } else {
        res.type('html').send(operatorOrgsPage({ ...view, csrf: signIn.session.csrfSecret }));
      }
    } catch (err) {
      d.fail(res, err);
    }
  });
}
