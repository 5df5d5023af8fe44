import type { Request, Response, Router } from 'express';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import { MEMBER_STATUSES, ROLES, type Member, type MemberStatus, type Role } from '../../domain/model.js';
import { assertCanAssignRole, assertCanManage, rankOf } from '../../services/authz.js';
import { displayNameOf, type ConsoleMemberQuery } from '../../services/console/members.js';
import type { Services } from '../../services/index.js';
import type { Fail } from './router.js';
import { esc, notice, type Chrome } from './layout.js';
import { addExistingRoutes } from './add-existing-routes.js';
import { linkRoutes, renderLinksCard } from './link-routes.js';
import { confirmRemovePage, linkReveal, membersPage, type MembersQuery } from './members-page.js';

interface Deps {
  services: Services;
  chrome: (res: Response) => Promise<Chrome>;
  fail: Fail;
}

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };
const str = (v: unknown) => (typeof v === 'string' ? v.trim() : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : typeof v === 'string' && v ? [v] : []);

/**
 * The members page and its actions. GET renders; each POST (CSRF-checked by the router) calls the
 * same service and authorization as the admin API, with the session as the audited actor, and
 * answers with the page and a notice saying what happened (or why not).
 */
export function memberRoutes(org: Router, d: Deps): void {
  const s = d.services;

  const render = async (req: Request, res: Response, notices: string[], status = 200, fromQuery = true) => {
    const c = await d.chrome(res);
    const { principal } = res.locals.signIn;
    const q = req.query as Record<string, unknown>;
    const query: MembersQuery = fromQuery ? { q: str(q.q), status: str(q.status), role: str(q.role), team: str(q.team) } : { q: '', status: '', role: '', team: '' };
    const status_ = MEMBER_STATUSES.includes(query.status as MemberStatus) ? (query.status as MemberStatus) : undefined;
    const role = ROLES.includes(query.role as Role) ? (query.role as Role) : undefined;
    const after = fromQuery ? str(q.after) : '';
    const cq: ConsoleMemberQuery = { ...(query.q ? { q: query.q } : {}), ...(status_ ? { status: status_ } : {}), ...(role ? { role } : {}), ...(query.team ? { teamId: query.team } : {}), ...(after ? { after } : {}) };
    const [listing, pending, o] = await Promise.all([
      s.consoleMembers.list(principal, c.orgId, cq),
      s.invitations.list(c.orgId, { status: 'pending', limit: 1000 }),
      s.orgs.get(c.orgId),
    ]);
    const params = (extra: Record<string, string>) => {
      const u = new URLSearchParams();
      for (const [k, v] of Object.entries({ ...query, ...extra })) if (v) u.set(k, v);
      const text = u.toString();
      return `/console/orgs/${encodeURIComponent(c.orgId)}/members${text ? `?${text}` : ''}`;
    };
    const linksHtml = await renderLinksCard(s, principal, c.orgId, c.csrf, listing.teams);
    const rank = rankOf(principal, c.orgId);
    // Server time from the session check to the rendered page (bench/console.mjs reads it).
    const html = membersPage({
      chrome: c,
      listing,
      query,
      notices,
      invitations: { pending: pending.items, cap: o.settings.pendingInviteCap, ttlHours: o.settings.inviteTtlHours, now: s.console.now() },
      assignable: ROLES.filter((r) => RANK[r] <= rank),
      linksCard: linksHtml,
      ...(listing.next ? { nextHref: params({ after: listing.next }) } : {}),
      ...(after ? { firstHref: params({}) } : {}),
    });
    const ms = Number(process.hrtime.bigint() - res.locals.consoleStart) / 1e6;
    res.setHeader('Server-Timing', `page;dur=${ms.toFixed(3)}`);
    res.status(status).type('html').send(html);
  };

  /** Runs an action; a refusal the person can act on comes back as the page with an error notice. */
  const act = (fn: (req: Request, res: Response) => Promise<string[]>) => async (req: Request, res: Response) => {
    try {
      const notices = await fn(req, res);
      await render(req, res, notices, 200, false);
    } catch (err) {
      if (!isIdsyncError(err) || err.status >= 500 || err.code.startsWith('console.')) return d.fail(res, err);
      try {
        await render(req, res, [notice(`Not done: ${esc(err.message)}`, 'error')], err.status, false);
      } catch (again) {
        d.fail(res, again);
      }
    }
  };

  linkRoutes(org, { services: s, act });
  addExistingRoutes(org, { services: s, chrome: d.chrome, fail: d.fail, members: (req, res, notices) => render(req, res, notices, 200, false) });

  org.get('/members', async (req, res) => {
    try {
      await render(req, res, []);
    } catch (err) {
      d.fail(res, err);
    }
  });

  org.post(
    '/members',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const givenName = str(req.body.givenName);
      const familyName = str(req.body.familyName);
      const m = await s.admin.createMember(principal, session.orgId, {
        email: str(req.body.email),
        role: (str(req.body.role) || 'member') as Role,
        teamIds: list(req.body.teamIds),
        ...(givenName ? { givenName } : {}),
        ...(familyName ? { familyName } : {}),
      });
      return [notice(`Added ${esc(displayNameOf(m))} as ${esc(m.role)}.`)];
    }),
  );

  org.post(
    '/members/:id/role',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const role = str(req.body.role);
      if (!ROLES.includes(role as Role)) throw new IdsyncError('request.invalid', 'choose a role');
      const m = await s.consoleMembers.changeRole(principal, session.orgId, String(req.params.id), role as Role);
      return [notice(`${esc(displayNameOf(m))} is now ${esc(m.role)}.`)];
    }),
  );

  org.post(
    '/members/:id/deactivate',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const m = await s.consoleMembers.deactivate(principal, session.orgId, String(req.params.id));
      return [notice(`Deactivated ${esc(displayNameOf(m))}: their access is cut until they are reactivated.`)];
    }),
  );

  org.post(
    '/members/:id/activate',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const m = await s.consoleMembers.activate(principal, session.orgId, String(req.params.id));
      return [notice(`Reactivated ${esc(displayNameOf(m))}.`)];
    }),
  );

  // One member's Remove asks first, like a bulk removal of one.
  org.post('/members/:id/remove', async (req, res) => {
    try {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      const m = await s.members.get(session.orgId, String(req.params.id));
      res.type('html').send(confirmRemovePage(await d.chrome(res), [m]));
    } catch (err) {
      d.fail(res, err);
    }
  });

  org.post('/members/bulk-remove', async (req, res, next) => {
    const ids = [...new Set(list(req.body.ids))];
    if (req.body.confirmed === 'yes' && ids.length) return next();
    if (!ids.length) return act(async () => [notice('Select at least one member to remove.', 'error')])(req, res);
    try {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      const found = await s.consoleMembers.named(principal, session.orgId, ids);
      const members = ids.map((id) => found.get(id)).filter((m): m is Member => m !== undefined && m.status !== 'removed');
      if (!members.length) return act(async () => [notice('None of the selected members can be removed (already removed or not found).', 'error')])(req, res);
      res.type('html').send(confirmRemovePage(await d.chrome(res), members));
    } catch (err) {
      d.fail(res, err);
    }
  });

  org.post(
    '/members/bulk-remove',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const ids = [...new Set(list(req.body.ids))];
      const names = await s.consoleMembers.named(principal, session.orgId, ids);
      const r = await s.consoleMembers.removeMany(principal, session.orgId, ids);
      const nameOf = (id: string) => esc(names.get(id) ? displayNameOf(names.get(id)!) : id);
      const out = [notice(`Removed ${r.removed} ${r.removed === 1 ? 'member' : 'members'}${r.removedIds.length ? `: ${r.removedIds.map(nameOf).join(', ')}` : ''}.`)];
      if (r.skipped.length) {
        out.push(
          notice(
            `Skipped ${r.skipped.length}:<ul>${r.skipped.map((k) => `<li>${nameOf(k.id)}: ${esc(k.message)}</li>`).join('')}</ul>`,
            'error',
          ),
        );
      }
      return out;
    }),
  );

  org.post(
    '/invitations',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const role = (str(req.body.role) || 'member') as Role;
      assertCanAssignRole(principal, session.orgId, role);
      const givenName = str(req.body.givenName);
      const familyName = str(req.body.familyName);
      const r = await s.invitations.invite(session.orgId, { email: str(req.body.email), role, teamIds: list(req.body.teamIds), ...(givenName ? { givenName } : {}), ...(familyName ? { familyName } : {}) }, principal.actor);
      return [
        notice(
          `Invited ${esc(r.invitation.email)}. ${r.mailed ? 'The invitation was emailed.' : 'The email could not be sent: copy the link and send it yourself.'}${linkReveal('invite-link', 'Invitation link (works once, for this address)', r.link)}`,
        ),
      ];
    }),
  );

  org.post(
    '/invitations/:id/resend',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      const r = await s.invitations.resend(session.orgId, String(req.params.id), principal.actor);
      return [notice(`Sent the invitation to ${esc(r.invitation.email)} again; the previous link no longer works.${linkReveal('invite-link', 'New invitation link', r.link)}`)];
    }),
  );

  org.post(
    '/invitations/:id/copy',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      const r = await s.invitations.copyLink(session.orgId, String(req.params.id), principal.actor);
      return [notice(`The invitation link of ${esc(r.invitation.email)}:${linkReveal('invite-link', 'Invitation link', r.link)}`)];
    }),
  );

  org.post(
    '/invitations/:id/revoke',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      const inv = await s.invitations.revoke(session.orgId, String(req.params.id), principal.actor, 'revoked in the console');
      return [notice(`Revoked the invitation of ${esc(inv.email)}; its link no longer works.`)];
    }),
  );
}
