import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { assertOrgVisible, assertProviderKey } from './auth.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, memberParams, memberSchema, orgParams, orgSchema, page, pageQuery } from './schemas.js';

const mergeReportSchema = z.object({
  sourceOrgId: z.string(),
  targetOrgId: z.string(),
  dryRun: z.boolean(),
  status: z.enum(['planned', 'completed']),
  plan: z.object({
    blockers: z.array(z.string()),
    members: z.array(z.object({ kind: z.enum(['copy', 'fold']), sourceMemberId: z.string(), userName: z.string(), role: z.string() }).catchall(z.unknown())),
    teams: z.array(z.object({ kind: z.enum(['create', 'join']), displayName: z.string(), targetTeamId: z.string(), memberIds: z.array(z.string()) }).catchall(z.unknown())),
    invitations: z.array(z.object({ kind: z.enum(['move', 'withdraw']), email: z.string() }).catchall(z.unknown())),
    links: z.array(z.object({ sourceLinkId: z.string(), newLinkId: z.string() }).catchall(z.unknown())),
    connections: z.array(z.object({ kind: z.enum(['move', 'refuse']), sourceConnectionId: z.string() }).catchall(z.unknown())),
    credentials: z.array(z.object({ kind: z.enum(['scim_token', 'scim_client', 'admin_key']), id: z.string(), reason: z.string() }).catchall(z.unknown())),
    audit: z.array(z.object({ orgId: z.string(), action: z.string() })),
  }).catchall(z.unknown()),
  auditCounts: z.record(z.string(), z.record(z.string(), z.number().int())),
  linkUrls: z.array(z.object({ sourceLinkId: z.string(), linkId: z.string(), url: z.string() })),
  stepsApplied: z.number().int(),
});

const settingsInput = z.object({
  inviteTtlHours: z.number().int().optional(),
  pendingInviteCap: z.number().int().optional(),
  allowedDomains: z.array(z.string()).optional(),
  scimAdoption: z.boolean().optional(),
  ownerByMapping: z.boolean().optional().describe('A role mapping may grant and take the owner role (never from the last active owner)'),
  manualOverridesWin: z.boolean().optional().describe('A manual role change on a member a mapping governs is kept and shown instead of refused'),
  continueUrl: z.string().optional().describe('Where people land after joining or signing up, with orgId and memberId added (https; http only for localhost; empty: the global join.continueUrl)'),
});

export function orgRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs', tag: 'organizations', summary: 'List organizations (an org-scoped key sees only its own)', query: pageQuery, responses: { 200: { description: 'Organizations', schema: page(orgSchema) } } },
    async ({ query, res }) => {
      const key = res.locals.adminKey;
      if (key.orgId) return { status: 200, body: { items: [await s.orgs.get(key.orgId)], total: 1 } };
      return { status: 200, body: await s.orgs.list(query) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs',
      tag: 'organizations',
      summary: 'Create an organization (provider-wide keys only)',
      body: z.object({ name: z.string(), settings: settingsInput.optional() }),
      responses: { 201: { description: 'Created', schema: orgSchema }, 403: { description: 'Not a provider-wide key', schema: errorSchema } },
    },
    async ({ body, req, res }) => {
      assertProviderKey(res.locals.adminKey);
      const org = await s.orgs.create(body, res.locals.actor);
      return { status: 201, body: org, headers: { Location: `${req.baseUrl}/orgs/${org.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}', tag: 'organizations', summary: 'Get an organization', params: orgParams, responses: { 200: { description: 'The organization', schema: orgSchema }, 404: { description: 'Not found', schema: errorSchema } } },
    async ({ params, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 200, body: await s.orgs.get(params.org) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}',
      tag: 'organizations',
      summary: 'Rename an organization or change its settings (provider-wide keys only)',
      params: orgParams,
      body: z.object({ name: z.string().optional(), settings: settingsInput.optional(), version: z.number().int().optional() }),
      responses: { 200: { description: 'Updated', schema: orgSchema }, 403: { description: 'Not a provider-wide key', schema: errorSchema }, 412: { description: 'Version mismatch', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      assertProviderKey(res.locals.adminKey);
      const { version, ...change } = body;
      return { status: 200, body: await s.orgs.update(params.org, change, res.locals.actor, version) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/merge',
      tag: 'organizations',
      summary: 'Merge this organization into another (provider-wide keys only). With dryRun, only the plan; run again after a failure to finish it',
      params: orgParams,
      body: z.object({ into: z.string().min(1), dryRun: z.boolean().optional() }),
      responses: {
        200: { description: 'The plan (dry run) or the completed merge', schema: mergeReportSchema },
        403: { description: 'Not a provider-wide key', schema: errorSchema },
        409: { description: 'The merge is blocked or refused (org.merge_refused)', schema: errorSchema },
        410: { description: 'The target (or the source) was merged already (org.merged)', schema: errorSchema },
      },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: await s.merges.merge(params.org, body.into, res.locals.actor, { dryRun: body.dryRun === true }) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/members/{id}/move-person',
      tag: 'organizations',
      summary: 'Signed up by mistake: move this person into the organization they meant; an organization left with nobody is merged into it and closed (provider-wide keys only)',
      params: memberParams,
      body: z.object({ toOrg: z.string().min(1), role: z.enum(['owner', 'admin', 'member']).optional().describe('Role in the target organization; default member') }),
      responses: {
        200: {
          description: 'Their membership in the target, and what became of the source',
          schema: z.object({ member: memberSchema, source: z.object({ orgId: z.string(), outcome: z.enum(['closed', 'kept']) }), merge: mergeReportSchema.optional() }),
        },
        403: { description: 'Not a provider-wide key', schema: errorSchema },
        404: { description: 'No such member or organization', schema: errorSchema },
        409: { description: 'Last owner of a source others remain in, userName taken in the target, or the merge refused', schema: errorSchema },
        410: { description: 'The target was merged into another organization (org.merged)', schema: errorSchema },
      },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: await s.merges.movePerson(res.locals.principal, params.id, body.toOrg, { fromOrg: params.org, ...(body.role ? { role: body.role } : {}) }) };
    },
  );
}
