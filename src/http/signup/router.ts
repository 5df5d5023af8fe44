import { randomBytes } from 'node:crypto';
import express, { Router, type Request, type Response } from 'express';
import { randomNonce, randomPKCECodeVerifier, randomState } from 'openid-client';
import type { OidcConfig } from '../../config/schema.js';
import { IdsyncError, isIdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { JoinSignIn } from '../../services/join/members.js';
import type { SignupService } from '../../services/signup/service.js';
import { readCookie, sameString } from '../join/cookie.js';
import { successPage } from '../join/pages.js';
import { JOIN_PROVIDERS, JoinProviders, SignInError, type JoinProvider } from '../join/providers.js';
import { signupCsp, accessRequestedPage, choicesPage, closedPage, newOrgPage, requestSentPage, SIGNUP_CSS, SIGNUP_PROBLEMS, signupProblemPage, startPage } from './pages.js';
import { SealedCookie } from '../middleware/sealed-cookie.js';

export interface SignupRouterDeps {
  signup: SignupService;
  logger: Logger;
  clock: Clock;
  publicUrl: string;
  secretKey: Buffer;
  oidc: OidcConfig;
}

/** Between /signup/start/{provider} and /signup/callback/{provider}. */
interface SignupState {
  provider: JoinProvider;
  state: string;
  nonce: string;
  codeVerifier: string;
  name: string;
}

/** After a verified sign-in, while the person chooses (join, request, ask for access): who they are and the CSRF token of the forms. */
interface SignupSession {
  who: JoinSignIn;
  csrf: string;
}

const isState = (v: unknown): v is SignupState => {
  const s = v as Partial<SignupState>;
  return typeof s === 'object' && s !== null && typeof s.provider === 'string' && (JOIN_PROVIDERS as readonly string[]).includes(s.provider) && typeof s.state === 'string' && typeof s.nonce === 'string' && typeof s.codeVerifier === 'string' && typeof s.name === 'string';
};
const isSession = (v: unknown): v is SignupSession => {
  const s = v as Partial<SignupSession>;
  return typeof s === 'object' && s !== null && typeof s.csrf === 'string' && typeof s.who === 'object' && s.who !== null && typeof s.who.email === 'string' && typeof s.who.subject === 'string' && s.who.emailVerified === true;
};

const BASE = '/signup';
const CALLBACK = `${BASE}/callback`;

/**
 * The sign-up page. Sign-in goes through the join page's providers (own callback, own sealed state
 * cookie). After a verified sign-in: a new org is created at once when nothing else applies (open
 * mode); otherwise the person chooses on a page whose forms carry a CSRF token bound to a sealed,
 * SameSite=Strict session cookie (15 minutes). Redirects go only to provider authorization
 * endpoints, /signup pages and the configured continue URL.
 */
export function signupRouter(deps: SignupRouterDeps): Router {
  const router = Router();
  const providers = new JoinProviders(deps.oidc);
  const base = deps.publicUrl.replace(/\/+$/, '');
  const secure = base.startsWith('https:');
  const stateCookie = new SealedCookie<SignupState>(deps.secretKey, 'signup state cookie', 10 * 60_000, isState);
  const sessionCookie = new SealedCookie<SignupSession>(deps.secretKey, 'signup session cookie', 15 * 60_000, isSession);
  const stateName = secure ? '__Host-idsync_signup_state' : 'idsync_signup_state';
  const sessionName = secure ? '__Host-idsync_signup' : 'idsync_signup';
  const path = secure ? '/' : BASE;
  const stateOptions = { httpOnly: true, sameSite: 'lax' as const, secure, path };
  const sessionOptions = { httpOnly: true, sameSite: 'strict' as const, secure, path };
  const redirectUri = (p: JoinProvider) => `${base}${CALLBACK}/${p}`;
  const now = () => deps.clock.now().getTime();
  const form = express.urlencoded({ extended: false, limit: '8kb' });

  // The authorization endpoints are on the issuers' origins (Google, Entra, the local test provider) or GitHub's configured one.
  const providerOrigins = [...new Set(providers.enabled().map((p) => new URL(p === 'github' ? deps.oidc.github.authorizeUrl : deps.oidc[p].issuer).origin))];
  const csp = signupCsp();
  router.use(BASE, (req, res, next) => {
    res.setHeader('Content-Security-Policy', req.path === '/' ? signupCsp(providerOrigins) : csp);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  router.get(`${BASE}/assets/signup.css`, (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(SIGNUP_CSS);
  });

  router.get(BASE, (_req, res) => {
    const mode = deps.signup.mode;
    if (mode === 'off') return void res.status(404).type('html').send(closedPage());
    res.type('html').send(startPage(mode, providers.enabled()));
  });

  router.get(`${BASE}/start/:provider`, async (req, res) => {
    const provider = String(req.params.provider);
    try {
      if (deps.signup.mode === 'off') throw new IdsyncError('signup.closed', 'sign-up is off');
      if (!providers.isEnabled(provider)) throw new IdsyncError('join.provider_unavailable', `sign-in with ${provider} is not configured`);
      const name = typeof req.query.name === 'string' ? req.query.name.trim().slice(0, 200) : '';
      const s = { state: randomState(), nonce: randomNonce(), codeVerifier: randomPKCECodeVerifier() };
      const url = await providers.authorizationUrl(provider, { ...s, redirectUri: redirectUri(provider) });
      res.cookie(stateName, stateCookie.seal({ provider, name, ...s }, now()), { ...stateOptions, maxAge: 10 * 60_000 });
      res.redirect(303, url.href);
    } catch (err) {
      problem(res, err);
    }
  });

  router.get(`${CALLBACK}/:provider`, async (req, res) => {
    const provider = String(req.params.provider);
    const s = stateCookie.open(readCookie(req.get('cookie'), stateName), now());
    res.clearCookie(stateName, stateOptions);
    try {
      const givenState = typeof req.query.state === 'string' ? req.query.state : '';
      if (!s || s.provider !== provider || !providers.isEnabled(provider) || !sameString(givenState, s.state)) throw new IdsyncError('join.session_invalid', 'the sign-up sign-in state is missing, expired or does not match');
      const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
      const who = await providers.finish(s.provider, new URL(`${redirectUri(s.provider)}${query}`), { redirectUri: redirectUri(s.provider), state: s.state, nonce: s.nonce, codeVerifier: s.codeVerifier });
      const choices = await deps.signup.choices(who);
      if (choices.canCreate) {
        const { org, member } = await deps.signup.createOrg(who, s.name);
        res.locals.log.info('signed up', { orgId: org.id, memberId: member.id, provider: who.provider });
        const next = deps.signup.continueUrl(org, member.id);
        if (next) return void res.redirect(303, next);
        return void res.type('html').send(newOrgPage(org.name, who.email, await deps.signup.firstSteps(org, member)));
      }
      const csrf = randomBytes(24).toString('base64url');
      res.cookie(sessionName, sessionCookie.seal({ who, csrf }, now()), { ...sessionOptions, maxAge: 15 * 60_000 });
      res.setHeader('Content-Security-Policy', signupCsp(await deps.signup.continueOrigins(choices.offers.map((o) => o.orgId))));
      res.type('html').send(choicesPage(choices, csrf));
    } catch (err) {
      problem(res, err);
    }
  });

  /** The signed-in person of a form post, with its CSRF token checked. */
  function poster(req: Request): JoinSignIn {
    const session = sessionCookie.open(readCookie(req.get('cookie'), sessionName), now());
    const body = (req.body ?? {}) as Record<string, unknown>;
    if (!session || typeof body.csrf !== 'string' || !sameString(body.csrf, session.csrf)) throw new IdsyncError('join.session_invalid', 'the sign-up session is missing, expired or the form token does not match');
    return session.who;
  }
  const field = (req: Request, name: string) => {
    const v = (req.body as Record<string, unknown> | undefined)?.[name];
    return typeof v === 'string' ? v : '';
  };

  router.post(`${BASE}/join`, form, async (req, res) => {
    try {
      const who = poster(req);
      const kind = field(req, 'kind');
      if (kind !== 'invitation' && kind !== 'link') throw new IdsyncError('request.invalid', 'kind must be invitation or link');
      const { member, org } = await deps.signup.acceptOffer(who, kind, field(req, 'orgId'), field(req, 'id'));
      res.clearCookie(sessionName, sessionOptions);
      res.locals.log.info('joined an organization from sign-up', { orgId: org.id, memberId: member.id });
      const next = deps.signup.continueUrl(org, member.id);
      if (next) return void res.redirect(303, next);
      res.type('html').send(successPage(org.name, member.role, who.email));
    } catch (err) {
      problem(res, err);
    }
  });

  router.post(`${BASE}/request`, form, async (req, res) => {
    try {
      const who = poster(req);
      const { request, created, org } = await deps.signup.requestToJoin(who);
      res.clearCookie(sessionName, sessionOptions);
      res.locals.log.info('join request from sign-up', { orgId: org.id, joinRequestId: request.id, created });
      res.type('html').send(requestSentPage(org.name, who.email, !created));
    } catch (err) {
      problem(res, err);
    }
  });

  router.post(`${BASE}/access`, form, async (req, res) => {
    try {
      const who = poster(req);
      await deps.signup.requestAccess(who, field(req, 'note').trim());
      res.clearCookie(sessionName, sessionOptions);
      res.type('html').send(accessRequestedPage(who.email));
    } catch (err) {
      problem(res, err);
    }
  });

  function problem(res: Response, err: unknown): void {
    let code: ErrorCode = 'internal';
    if (err instanceof SignInError) code = err.cancelled ? 'join.cancelled' : 'join.failed';
    else if (isIdsyncError(err)) code = err.code;
    const p = SIGNUP_PROBLEMS[code] ?? (isIdsyncError(err) && err.status < 500 ? { status: err.status, title: 'This could not be done', detail: err.message } : SIGNUP_PROBLEMS.internal);
    if (p.status >= 500) res.locals.log.error('sign-up failed', { code, error: err instanceof Error ? err.message : String(err) });
    else res.locals.log.warn('sign-up refused', { code });
    res.status(p.status).type('html').send(signupProblemPage(p, code !== 'signup.closed'));
  }

  return router;
}
