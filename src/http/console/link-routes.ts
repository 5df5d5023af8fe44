import type { Request, RequestHandler, Response, Router } from 'express';
import { IdsyncError } from '../../domain/errors.js';
import { ROLES, type Role, type Team } from '../../domain/model.js';
import { assertCanAssignRole, assertCanManage, rankOf, type Principal } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import { field } from './act.js';
import { esc, notice } from './layout.js';
import { linksCard, linkTarget } from './links-card.js';
import { reveal } from './reveal.js';

type Act = (fn: (req: Request, res: Response) => Promise<string[]>) => RequestHandler;

const RANK: Record<Role, number> = { member: 1, admin: 2, owner: 3 };
const LINKS_SHOWN = 200;

/** The open invite links card's HTML for the members page (links newest first). */
export async function renderLinksCard(s: Services, p: Principal, orgId: string, csrf: string, teams: Team[]): Promise<string> {
  const [links, connections] = await Promise.all([s.links.list(orgId, { limit: LINKS_SHOWN }), s.connections.list(orgId)]);
  const rank = rankOf(p, orgId);
  return linksCard({ links: [...links.items].reverse(), teams, connections, assignable: ROLES.filter((r) => RANK[r] <= rank), csrf }, `/console/orgs/${encodeURIComponent(orgId)}`);
}

const optionalInt = (v: unknown, name: string): number | undefined => {
  const t = field(v);
  if (!t) return undefined;
  if (!/^\d{1,9}$/.test(t)) throw new IdsyncError('request.invalid', `${name} must be a whole number`, { field: name });
  return Number(t);
};

/**
 * Create, rotate and revoke open invite links from the members page: the link service and the
 * standing the admin API's /links routes ask for (assign the link's role to create; manage to rotate
 * or revoke), audited with the session as actor. A new or rotated link's address is shown once.
 */
export function linkRoutes(org: Router, d: { services: Services; act: Act }): void {
  const s = d.services;
  const shown = (url: string) => reveal('open-link', 'Open invite link', url, { button: 'Copy link', copied: 'Link copied to the clipboard.' });

  org.post(
    '/links',
    d.act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      const role = (field(req.body.role) || 'member') as Role;
      if (!ROLES.includes(role)) throw new IdsyncError('request.invalid', 'choose a role', { field: 'role' });
      assertCanAssignRole(principal, session.orgId, role);
      const teamId = field(req.body.teamId);
      const connectionId = field(req.body.directoryConnectionId);
      if (teamId) await s.teams.get(session.orgId, teamId);
      if (connectionId) await s.connections.get(connectionId, session.orgId);
      const expiresInHours = optionalInt(req.body.expiresInHours, 'expiresInHours');
      const maxUses = optionalInt(req.body.maxUses, 'maxUses');
      const allowedDomains = field(req.body.allowedDomains)
        .split(/[\s,]+/)
        .filter(Boolean);
      const { link, url } = await s.links.create(
        session.orgId,
        { role, allowedDomains, ...(teamId ? { teamId } : {}), ...(connectionId ? { directoryConnectionId: connectionId } : {}), ...(expiresInHours !== undefined ? { expiresInHours } : {}), ...(maxUses !== undefined ? { maxUses } : {}) },
        principal.actor,
      );
      const teams = teamId ? [await s.teams.get(session.orgId, teamId)] : [];
      return [notice(`Created an open invite link for ${esc(linkTarget(link, teams))}. Copy it now: its address is shown only this once.${shown(url)}`)];
    }),
  );

  org.post(
    '/links/:id/rotate',
    d.act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      const { url } = await s.links.rotate(session.orgId, String(req.params.id), principal.actor);
      return [notice(`Rotated the link: the previous address no longer works. The new one is shown only this once.${shown(url)}`)];
    }),
  );

  org.post(
    '/links/:id/revoke',
    d.act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanManage(principal, session.orgId);
      await s.links.revoke(session.orgId, String(req.params.id), principal.actor, 'revoked in the console');
      return [notice('Revoked the link: nobody can join with it any more.')];
    }),
  );
}
