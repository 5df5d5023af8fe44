import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, memberSchema, orgParams } from './schemas.js';

const e = (description: string) => ({ description, schema: errorSchema });
const domainParams = orgParams.extend({ domain: z.string().min(1).describe('The domain, e.g. acme.example') });
const requestParams = orgParams.extend({ id: z.string().min(1) });

const domainSchema = z.object({
  orgId: z.string(),
  domain: z.string(),
  token: z.string(),
  status: z.enum(['pending', 'verified']),
  method: z.enum(['dns', 'owner_sign_in']).optional(),
  verifiedAt: z.string().optional(),
  verifiedByMemberId: z.string().optional(),
  routeSignups: z.boolean(),
  record: z.object({ type: z.literal('TXT'), name: z.string(), value: z.string() }).describe('The DNS record that proves the claim'),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

const joinRequestSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  email: z.string(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  identity: z.object({ provider: z.string(), subject: z.string(), email: z.string().optional() }),
  status: z.enum(['pending', 'approved', 'declined']),
  role: z.enum(['owner', 'admin', 'member']).optional(),
  memberId: z.string().optional(),
  decidedBy: z.string().optional(),
  decidedAt: z.string().optional(),
  reason: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  version: z.number().int(),
});

/** Domain capture (owner) and join requests (admins decide; approving as owner needs an owner). */
export function domainRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/domains', tag: 'domains', summary: "The organization's domain claims, with the DNS record that proves each", params: orgParams, responses: { 200: { description: 'Claims', schema: z.object({ items: z.array(domainSchema) }) }, 404: e('No such organization') } },
    async ({ params, res }) => {
      s.admin.assertCanRead(res.locals.principal, params.org);
      return { status: 200, body: { items: await s.domains.list(params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/domains',
      tag: 'domains',
      summary: 'Claim a domain: returns the TXT record (idsync-verification=TOKEN at _idsync.DOMAIN) to publish before verifying',
      params: orgParams,
      body: z.object({ domain: z.string().optional().describe('Required, e.g. acme.example'), routeSignups: z.boolean().optional().describe('Once verified, sign-ups with this domain are offered to request to join (default true)') }),
      responses: { 201: { description: 'Claimed (pending)', schema: domainSchema }, 400: e('Not a domain (domain.invalid)'), 409: e('Already claimed by this organization (domain.exists)'), 422: e('A public mail domain (domain.public)') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 201, body: await s.domains.add(params.org, { ...body, domain: body.domain ?? '' }, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/domains/{domain}/verify',
      tag: 'domains',
      summary: "Verify a claim by its DNS TXT record (method dns, default) or by an active owner's verified sign-in at the domain (method owner_sign_in, unless the installation sets domains.ownerSignInProof to false)",
      params: domainParams,
      body: z.object({ method: z.enum(['dns', 'owner_sign_in']).optional() }),
      responses: {
        200: { description: 'Verified', schema: domainSchema },
        404: e('No such claim (domain.not_found)'),
        409: e('Another organization verified it (domain.taken), or the method is not accepted here (domain.method_disabled: domains.ownerSignInProof is false, DNS proof only)'),
        422: e('The proof was not found (domain.not_verified)'),
        503: e('DNS could not answer (domain.dns_unavailable)'),
      },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.domains.verify(params.org, params.domain, body.method ?? 'dns', res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}/domains/{domain}',
      tag: 'domains',
      summary: 'Turn routing of sign-ups with this domain to the organization on or off',
      params: domainParams,
      body: z.object({ routeSignups: z.boolean().optional().describe('Required') }),
      responses: { 200: { description: 'Changed', schema: domainSchema }, 404: e('No such claim (domain.not_found)') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      if (body.routeSignups === undefined) throw new IdsyncError('request.invalid', 'routeSignups (true or false) is required', { field: 'routeSignups' });
      return { status: 200, body: await s.domains.setRouting(params.org, params.domain, body.routeSignups, res.locals.actor) };
    },
  );

  api.add(
    { method: 'delete', path: '/orgs/{org}/domains/{domain}', tag: 'domains', summary: 'Remove a claim (a verified domain becomes free for other organizations)', params: domainParams, responses: { 204: { description: 'Removed' }, 404: e('No such claim (domain.not_found)') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.domains.remove(params.org, params.domain, res.locals.actor);
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/join-requests',
      tag: 'join requests',
      summary: 'Requests to join from the sign-up page (people of a captured domain), oldest first',
      params: orgParams,
      query: z.object({ status: z.enum(['pending', 'approved', 'declined']).optional() }),
      responses: { 200: { description: 'Requests', schema: z.object({ items: z.array(joinRequestSchema) }) }, 404: e('No such organization') },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: { items: await s.joinRequests.list(params.org, query.status ? [query.status] : undefined) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/join-requests/{id}/approve',
      tag: 'join requests',
      summary: 'Approve: the person becomes a member (role default member) with their sign-in linked',
      params: requestParams,
      body: z.object({ role: z.enum(['owner', 'admin', 'member']).optional() }),
      responses: { 200: { description: 'Approved', schema: z.object({ request: joinRequestSchema, member: memberSchema }) }, 404: e('No such request'), 409: e('Already decided (join_request.decided)') },
    },
    async ({ params, body, res }) => {
      if (body.role === 'owner') s.admin.assertCanAdminister(res.locals.principal, params.org);
      else s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.joinRequests.approve(params.org, params.id, body, res.locals.actor) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/join-requests/{id}/decline',
      tag: 'join requests',
      summary: 'Decline a request to join',
      params: requestParams,
      body: z.object({ reason: z.string().optional() }),
      responses: { 200: { description: 'Declined', schema: joinRequestSchema }, 404: e('No such request'), 409: e('Already decided (join_request.decided)') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      return { status: 200, body: await s.joinRequests.decline(params.org, params.id, body, res.locals.actor) };
    },
  );
}
