import express, { Router, type Request, type Response } from 'express';
import { INTENT_LABELS, intentCovers, NO_ORG } from '../../domain/console.js';
import { IdsyncError, isIdsyncError, type ErrorCode } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import { isPortalLinkToken } from '../../services/console/sessions.js';
import type { Services } from '../../services/index.js';
import type { StoreOutage } from '../middleware/store-outage.js';
import { STORE_RETRY_AFTER_SECONDS } from '../middleware/store-outage.js';
import { CONSOLE_CSP, CONSOLE_CSS, CONSOLE_JS } from './assets.js';
import { CONSOLE_PROBLEMS, esc, intentPage, layout, problemPage, type Chrome } from './layout.js';
import { directoryRoutes } from './directory/routes.js';
import { auditRoutes } from './audit-routes.js';
import { memberRoutes } from './member-routes.js';
import { scimRoutes } from './scim-routes.js';
import { csrfGuard, sessionCookie } from './session.js';
import { signInRoutes, type ConsoleSignInConfig } from './sign-in-routes.js';
import { supportRoutes } from './support-routes.js';
import { safeNext } from './sign-in-state.js';
import { continuePage, postedFromAnotherSite } from './start-page.js';

export interface ConsoleRouterDeps {
  services: Services;
  logger: Logger;
  publicUrl: string;
  bodyLimit: string;
  outage: StoreOutage;
  /** Sign-in with the join page's providers (secret key, oidc config, clock); absent: none offered. */
  signIn?: ConsoleSignInConfig;
}

/** Renders a refusal or failure as a console page; also what every console route calls in its catch. */
export type Fail = (res: Response, err: unknown) => void;

/**
 * The console (server-rendered HTML, one stylesheet and one script of its own, strict CSP):
 * /console/start?token=… shows a portal link's Continue button, whose POST starts a session;
 * /console/orgs/{org}/… are the pages of the session's org. Every POST there carries the session's
 * CSRF token (the start POST carries the link token instead).
 */
export function consoleRouter(deps: ConsoleRouterDeps): Router {
  const router = Router();
  const cookie = sessionCookie(deps.publicUrl);
  const s = deps.services;

  router.use('/console', (_req, res, next) => {
    res.locals.consoleStart = process.hrtime.bigint();
    res.setHeader('Content-Security-Policy', CONSOLE_CSP);
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cache-Control', 'no-store');
    res.setHeader('Referrer-Policy', 'no-referrer');
    next();
  });

  router.get('/console/assets/console.css', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/css').send(CONSOLE_CSS);
  });
  router.get('/console/assets/console.js', (_req, res) => {
    res.setHeader('Cache-Control', 'public, max-age=3600');
    res.type('text/javascript').send(CONSOLE_JS);
  });

  const fail: Fail = (res, err) => {
    let code: ErrorCode = isIdsyncError(err) ? err.code : 'internal';
    if (!CONSOLE_PROBLEMS[code]) code = isIdsyncError(err) && err.status < 500 ? code : 'internal';
    let p = CONSOLE_PROBLEMS[code] ?? { status: (err as IdsyncError).status, title: 'This could not be done', detail: esc((err as IdsyncError).message) };
    if (code === 'console.not_admin' && isIdsyncError(err) && err.details?.orgId) p = { ...p, title: 'You are not an owner or admin of this organization', detail: 'The console opens an organization only for its active owners and admins, checked on every page.' };
    if (code === 'support.consent_required') p = { ...p, detail: `${p.detail}</p><p class="muted">${esc((err as IdsyncError).message)}` };
    if (code === 'store.unavailable') {
      deps.outage.refused('console', err);
      res.setHeader('Retry-After', String(STORE_RETRY_AFTER_SECONDS));
    } else if (p.status >= 500) (res.locals.log ?? deps.logger).error('console request failed', { code, error: err instanceof Error ? err.message : String(err) });
    if (code === 'console.session_expired') cookie.clear(res);
    res.status(p.status).type('html').send(problemPage(p, signInLink(res, code, err)));
  };

  // Opening a link: GET only shows a button (scanners and link previews fetch links), the POST
  // it sends consumes the token, and the page that answers moves on to the console by itself (a
  // same-site navigation, so the SameSite=Strict cookie goes with it); the token never stays in the
  // address bar after that.
  router.get('/console/start', (req, res) => {
    const token = typeof req.query.token === 'string' ? req.query.token : '';
    if (!isPortalLinkToken(token)) return fail(res, new IdsyncError('console.link_invalid', 'this is not a console link'));
    res.type('html').send(continuePage(token));
  });

  const withSession = async (req: Request, res: Response, next: () => void) => {
    try {
      const signIn = await s.console.authenticate(cookie.read(req));
      if (!signIn) throw new IdsyncError('console.session_expired', 'no live console session');
      res.locals.signIn = signIn;
      deps.outage.answered();
      next();
    } catch (err) {
      fail(res, err);
    }
  };
  const form = express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: 2000 });
  const csrf = csrfGuard((_req, res) => fail(res, new IdsyncError('console.csrf_failed', 'missing or wrong CSRF token')));

  router.post('/console/start', form, async (req, res) => {
    try {
      if (postedFromAnotherSite(req)) throw new IdsyncError('console.csrf_failed', 'a console link was posted from another site');
      const token = (req.body as Record<string, unknown>).token;
      const { token: sessionToken, signIn } = await s.console.start(typeof token === 'string' ? token : '');
      const { session } = signIn;
      cookie.set(res, sessionToken, session.expiresAt, Date.parse(session.createdAt));
      let target = intentCovers(session.intent, 'members') ? `/console/orgs/${encodeURIComponent(session.orgId)}/members` : `/console/orgs/${encodeURIComponent(session.orgId)}`;
      if (session.orgId === NO_ORG) target = '/console/orgs';
      res.type('html').send(openingPage(target));
    } catch (err) {
      fail(res, err);
    }
  });
  signInRoutes(router, { services: s, publicUrl: deps.publicUrl, ...(deps.signIn ? { signIn: deps.signIn } : {}), cookie, fail, withSession, openingPage });

  router.get('/console', withSession, (_req, res) => {
    const { orgId } = res.locals.signIn.session;
    res.redirect(303, orgId ? `/console/orgs/${encodeURIComponent(orgId)}` : '/console/orgs');
  });

  router.post('/console/sign-out', withSession, form, csrf, async (req, res) => {
    try {
      await s.console.signOut(cookie.read(req));
      cookie.clear(res);
      res.locals.log?.info('console session signed out', { session: res.locals.signIn.session.publicId });
      res.type('html').send(layout('Signed out', '<section class="card"><h1>You are signed out</h1><p>The console session has ended on every device. To come back, <a href="/console/sign-in">sign in</a> or open a new console link.</p></section>'));
    } catch (err) {
      fail(res, err);
    }
  });

  const org = Router({ mergeParams: true });
  router.use('/console/orgs/:org', withSession, org);
  // The session as it acts in this org: a portal session in its own only; a signed-in person
  // where they are an owner or admin now (with that role); the operator anywhere.
  org.use(async (req, res, next) => {
    try {
      res.locals.signIn = await s.consoleSignIn.forOrg(res.locals.signIn, String(req.params.org));
      next();
    } catch (err) {
      fail(res, err);
    }
  });
  org.post(/.*/, form, csrf);
  // The operator under `supportAccess: consent`, as on the admin API: the org's data only under a
  // live grant (each request audited with its id), or the precise refusal. Its name (the overview)
  // and the support access page stay open.
  org.use(async (req, res, next) => {
    const { principal, session } = res.locals.signIn;
    if (principal.kind !== 'provider' || req.path === '/' || req.path === '/support' || req.path.startsWith('/support/')) return next();
    try {
      const admitted = await s.support.admit(principal, session.orgId, { method: req.method, path: `/console/orgs/${session.orgId}${req.path}` });
      res.locals.signIn = { session: { ...session, actor: admitted.actor }, principal: admitted };
      next();
    } catch (err) {
      fail(res, err);
    }
  });

  const chrome = async (res: Response): Promise<Chrome> => {
    const { session } = res.locals.signIn;
    const o = await s.orgs.get(session.orgId);
    return { orgId: o.id, orgName: o.name, intent: session.intent, csrf: session.csrfSecret, ...(session.who ? { switchable: true } : {}) };
  };

  org.get('/', async (_req, res) => {
    try {
      const c = await chrome(res);
      const { principal } = res.locals.signIn;
      // The operator under consent without a grant: say so here, before each data page refuses.
      const o = principal.kind === 'provider' ? await s.orgs.get(c.orgId) : undefined;
      const held = o?.settings.supportAccess === 'consent' && !(await s.support.list(principal, c.orgId)).some((g) => g.state === 'active');
      res.type('html').send(overviewPage(c, res.locals.signIn.session.expiresAt, held));
    } catch (err) {
      fail(res, err);
    }
  });

  // The members area (members and invitations): only for sessions whose link covers it.
  org.use(['/members', '/invitations', '/links'], async (_req, res, next) => {
    if (intentCovers(res.locals.signIn.session.intent, 'members')) return next();
    try {
      res.status(403).type('html').send(intentPage(res.locals.signIn.session.intent, 'the members page', await chrome(res)));
    } catch (err) {
      fail(res, err);
    }
  });
  memberRoutes(org, { services: s, chrome, fail });
  org.use('/scim', async (_req, res, next) => {
    if (intentCovers(res.locals.signIn.session.intent, 'scim')) return next();
    try {
      res.status(403).type('html').send(intentPage(res.locals.signIn.session.intent, 'the SCIM page', await chrome(res)));
    } catch (err) {
      fail(res, err);
    }
  });
  // The directory area (connections and their runs): only for sessions whose link covers it.
  org.use('/directory', async (_req, res, next) => {
    if (intentCovers(res.locals.signIn.session.intent, 'directory')) return next();
    try {
      res.status(403).type('html').send(intentPage(res.locals.signIn.session.intent, 'directory sync', await chrome(res)));
    } catch (err) {
      fail(res, err);
    }
  });
  directoryRoutes(org, { services: s, chrome, fail });
  scimRoutes(org, { services: s, publicUrl: deps.publicUrl, chrome, fail });
  auditRoutes(org, { services: s, chrome, fail });
  supportRoutes(org, { services: s, chrome, fail });
  org.use((_req, res) => fail(res, new IdsyncError('route.not_found', 'no such console page')));
  return router;
}

/**
 * On the page of an ended session or a refused sign-in: a way to sign in again. After an ended
 * session it returns to the page asked for (a GET's path and query: what was typed in the search).
 */
function signInLink(res: Response, code: ErrorCode, err: unknown): string | undefined {
  if (code === 'console.not_admin') {
    const orgId = isIdsyncError(err) && typeof err.details?.orgId === 'string';
    return orgId ? '<a href="/console/orgs">Your organizations</a>' : '<a href="/console/sign-in">Sign in with another account</a>';
  }
  if (code === 'support.consent_required' && isIdsyncError(err) && typeof err.details?.orgId === 'string') {
    return `<a href="/console/orgs/${esc(encodeURIComponent(err.details.orgId))}/support">This organization's support access and grants</a> · <a href="/console/orgs">Organizations</a>`;
  }
  if (code === 'console.sign_in_invalid' || code === 'console.sign_in_failed') return '<a href="/console/sign-in">Sign in again</a>';
  if (code !== 'console.session_expired') return undefined;
  const req = res.req;
  const next = req.method === 'GET' ? safeNext(req.originalUrl) : undefined;
  return `<a href="/console/sign-in${next ? `?next=${encodeURIComponent(next)}` : ''}">Sign in again</a>`;
}

function openingPage(target: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${esc(target)}">
<title>Opening the console · idsync console</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body>
<main><section class="card"><h1>Opening the console…</h1><p><a href="${esc(target)}">Continue to the console</a></p></section></main>
</body>
</html>
`;
}

function overviewPage(c: Chrome, expiresAt: string, consentHeld = false): string {
  const areas = [
    intentCovers(c.intent, 'members') ? `<li><a href="/console/orgs/${esc(c.orgId)}/members">Members</a>: the people of ${esc(c.orgName)}, invitations, roles, deactivation and removal.</li>` : '',
    intentCovers(c.intent, 'scim') ? `<li><a href="/console/orgs/${esc(c.orgId)}/scim">SCIM</a>: the base URL, bearer tokens and OAuth clients for Okta or Entra ID, step-by-step setup, and the log of what the identity provider sent.</li>` : '',
    intentCovers(c.intent, 'directory') ? `<li><a href="/console/orgs/${esc(c.orgId)}/directory">Directory sync</a>: connect Google Workspace, Microsoft Entra ID or GitHub, test, dry-run, and approve held deactivations.</li>` : '',
    `<li><a href="/console/orgs/${esc(c.orgId)}/audit">Audit trail</a>: every change, who made it and why, with a check that the trail is intact.</li>`,
    `<li><a href="/console/orgs/${esc(c.orgId)}/support">Support access</a>: whether the operator may reach ${esc(c.orgName)}'s data without asking, time-boxed grants, and their history.</li>`,
  ].join('');
  return layout(
    c.orgName,
    `<section class="card"><h1>${esc(c.orgName)}</h1>
<p>This session is for ${esc(INTENT_LABELS[c.intent])}. It ends at <time datetime="${esc(expiresAt)}">${esc(expiresAt.replace('T', ' ').slice(0, 16))} UTC</time> at the latest, or after a while without use.</p>
${consentHeld ? `<div class="notice error" role="alert">${esc(c.orgName)} allows support access only with an owner's consent, and no grant is live: its members, SCIM, directory and audit pages are refused until an owner grants time-boxed access. See <a href="/console/orgs/${esc(c.orgId)}/support">Support access</a>.</div>` : ''}
<ul>${areas}</ul></section>`,
    { ...c, area: 'home' },
  );
}
