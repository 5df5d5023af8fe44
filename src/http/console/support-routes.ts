import type { Request, Response, Router } from 'express';
import { IdsyncError } from '../../domain/errors.js';
import type { Principal } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import { MAX_GRANT_HOURS } from '../../services/support/service.js';
import { actions, field, view } from './act.js';
import { esc, notice, type Chrome } from './layout.js';
import type { Fail } from './router.js';
import { confirmRevokeGrantPage, supportPage, timeLeft, type SupportStanding } from './support-page.js';

interface Deps {
  services: Services;
  chrome: (res: Response) => Promise<Chrome>;
  fail: Fail;
}

/** What the session may do on the page; the service checks it again on every action. */
export function standingOf(p: Principal, orgName: string): SupportStanding {
  if (p.kind === 'provider') return { kind: 'operator' };
  if (p.actor.supportGrantId) return { kind: 'read-only', why: 'This session was opened under a support grant: it shows the grants, but support access is for the owners to change.' };
  if (p.role === 'owner') return { kind: 'owner' };
  return { kind: 'read-only', why: `You are ${p.role === 'admin' ? 'an admin' : 'a member'} of ${orgName}: only its owners can change support access, grant it or revoke a grant.` };
}

/**
 * The support access page (any session intent): the org's mode, its owners' grants, the grant form
 * and the history, through the service behind the admin API's /support-access and /support-grants,
 * with the same rules (owners set either mode and grant; the operator may only require consent and
 * give a grant up), audited with the session's actor.
 */
export function supportRoutes(org: Router, d: Deps): void {
  const s = d.services;

  const render = async (_req: Request, res: Response, notices: string[], status = 200) => {
    const c = await d.chrome(res);
    const { principal } = res.locals.signIn;
    const [o, grants] = await Promise.all([s.orgs.get(c.orgId), s.support.list(principal, c.orgId)]);
    res.status(status).type('html').send(supportPage({ chrome: c, notices, mode: o.settings.supportAccess ?? 'open', grants, standing: standingOf(principal, o.name), now: s.console.now() }));
  };
  const act = actions(render, d.fail);

  org.get('/support', view(render, d.fail));

  org.post(
    '/support/mode',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const mode = field(req.body.mode);
      if (mode !== 'open' && mode !== 'consent') throw new IdsyncError('request.invalid', 'choose open or consent', { field: 'mode' });
      await s.support.setMode(principal, session.orgId, mode);
      return [notice(mode === 'consent' ? "Support access now needs an owner's consent: the operator reaches the organization's data only under a live grant." : 'Support access is open: the operator reaches the organization\'s data without a grant.')];
    }),
  );

  org.post(
    '/support/grants',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const hours = field(req.body.hours);
      if (!/^\d{1,4}$/.test(hours) || Number(hours) < 1 || Number(hours) > MAX_GRANT_HOURS) throw new IdsyncError('request.invalid', `Hours must be a whole number from 1 to ${MAX_GRANT_HOURS}`, { field: 'hours' });
      const g = await s.support.grant(principal, session.orgId, { hours: Number(hours), reason: field(req.body.reason) });
      return [notice(`Granted support access for ${esc(g.reason)} until ${esc(g.expiresAt.replace('T', ' ').slice(0, 16))} UTC (${esc(timeLeft(g.expiresAt, s.console.now()))}).`)];
    }),
  );

  // Revoking ends the operator's access at once: the first POST asks, the confirmed one revokes.
  org.post(
    '/support/grants/:id/revoke',
    async (req, res, next) => {
      if (req.body.confirmed === 'yes') return next();
      try {
        const { principal, session } = res.locals.signIn;
        const grant = (await s.support.list(principal, session.orgId)).find((g) => g.id === String(req.params.id));
        if (!grant) throw new IdsyncError('support.grant_not_found', `no support grant ${String(req.params.id)} in this organization`, { grantId: String(req.params.id) });
        if (grant.state !== 'active') throw new IdsyncError('request.invalid', `the grant for ${grant.reason} has already ${grant.state === 'revoked' ? 'been revoked' : 'expired'}`);
        res.type('html').send(confirmRevokeGrantPage(await d.chrome(res), grant, s.console.now()));
      } catch (err) {
        await act(async () => {
          throw err;
        })(req, res);
      }
    },
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const g = await s.support.revoke(principal, session.orgId, String(req.params.id));
      return [notice(`Revoked the grant for ${esc(g.reason)}: the operator's next request to this organization's data is refused.`)];
    }),
  );
}
