import { z } from 'zod';
import { assertCanAssignRole } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, invitationSchema, orgParams, page, pageQuery, role } from './schemas.js';

const invitationParams = orgParams.extend({ id: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });

const inviteResult = z.object({
  invitation: invitationSchema,
  link: z.string().describe('The join URL with its token; treat it as a secret'),
  mailed: z.boolean().describe('False when the email could not be handed to the mailer (the link still works)'),
});
const copiedLink = z.object({ invitation: invitationSchema, link: z.string().describe('The join URL with its token; treat it as a secret') });

/** Personal invitations: invite by email, list, resend, revoke, copy the link. Admins and owners manage them. */
export function invitationRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/invitations',
      tag: 'invitations',
      summary: 'List invitations, newest first (a pending one past its expiry reads expired)',
      params: orgParams,
      query: pageQuery.extend({ status: z.enum(['pending', 'accepted', 'revoked', 'expired']).optional() }),
      responses: { 200: { description: 'A page of invitations', schema: page(invitationSchema) }, 404: e('No such organization') },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      return { status: 200, body: await s.invitations.list(params.org, query) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/invitations',
      tag: 'invitations',
      summary: 'Invite a person by email; the response carries the join link (also emailed)',
      params: orgParams,
      body: z.object({ email: z.string(), givenName: z.string().optional(), familyName: z.string().optional(), role: role.optional(), teamIds: z.array(z.string()).optional() }),
      responses: {
        201: { description: 'Invited', schema: inviteResult },
        403: e('Role not allowed, or email domain not allowed'),
        409: e('Already a member, already invited, the pending-invitation cap is reached, or a team in teamIds is kept by a directory connection (team.managed_elsewhere)'),
      },
    },
    async ({ params, body, req, res }) => {
      assertCanAssignRole(res.locals.principal, params.org, body.role ?? 'member');
      const r = await s.invitations.invite(params.org, body, res.locals.actor);
      return { status: 201, body: r, headers: { Location: `${req.baseUrl}/orgs/${params.org}/invitations/${r.invitation.id}` } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/invitations/{id}/resend',
      tag: 'invitations',
      summary: 'Resend: a new link (the old one stops working), the expiry restarts, the email goes out again',
      params: invitationParams,
      responses: { 200: { description: 'Resent', schema: inviteResult }, 404: e('Not found'), 409: e('Already accepted'), 410: e('Revoked or expired') },
    },
    async ({ params, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.invitations.resend(params.org, params.id, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/invitations/{id}/revoke',
      tag: 'invitations',
      summary: 'Revoke a pending invitation (its link stops working)',
      params: invitationParams,
      body: z.object({ reason: z.string().trim().min(1).max(500).optional() }),
      responses: { 200: { description: 'Revoked', schema: invitationSchema }, 404: e('Not found'), 409: e('Already accepted') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.invitations.revoke(params.org, params.id, res.locals.actor, body.reason) };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/invitations/{id}/link',
      tag: 'invitations',
      summary: 'Copy the link of a pending invitation; rotate=true issues a new one (the emailed link stops working, no email is sent)',
      params: invitationParams,
      query: z.object({ rotate: z.enum(['true', 'false']).optional() }),
      responses: { 200: { description: 'The link', schema: copiedLink }, 404: e('Not found'), 409: e('Already accepted'), 410: e('Revoked or expired') },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      const r = await s.invitations.copyLink(params.org, params.id, res.locals.actor, { rotate: query.rotate === 'true' });
      return { status: 200, body: r, headers: { 'Cache-Control': 'no-store' } };
    },
  );
}
