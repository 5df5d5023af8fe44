import { z } from 'zod';
import { publicConnection } from '../../services/connections/service.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { connectionSchema, connectionTestSchema, errorSchema, orgParams } from './schemas.js';

export const connectionParams = orgParams.extend({ id: z.string().min(1) });
const e = (description: string) => ({ description, schema: errorSchema });
const provider = z.enum(['google', 'microsoft', 'github']);

/** Directory connections (owners): secrets go in through `config` and never come back out. */
export function connectionRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    { method: 'get', path: '/orgs/{org}/connections', tag: 'connections', summary: 'List directory connections (never their credentials)', params: orgParams, responses: { 200: { description: 'Connections', schema: z.object({ items: z.array(connectionSchema) }) }, 404: e('No such organization') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      return { status: 200, body: { items: await s.connections.list(params.org) } };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/connections',
      tag: 'connections',
      summary: "Connect a directory; `config` is the provider's config including its secrets (stored encrypted, never returned)",
      params: orgParams,
      body: z.object({
        provider,
        name: z.string().optional(),
        config: z.record(z.string(), z.unknown()),
        schedule: z.string().optional().describe('Cron expression; default every 15 minutes'),
        policy: z.record(z.string(), z.unknown()).optional().describe('Reconcile policy (see the README)'),
        enabled: z.boolean().optional(),
      }),
      responses: { 201: { description: 'Created', schema: connectionSchema }, 400: e('Invalid config, schedule or policy') },
    },
    async ({ params, body, req, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const c = await s.connections.create(params.org, body, res.locals.actor);
      return { status: 201, body: c, headers: { Location: `${req.baseUrl}/orgs/${params.org}/connections/${c.id}` } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/connections/{id}', tag: 'connections', summary: 'Get a directory connection', params: connectionParams, responses: { 200: { description: 'The connection', schema: connectionSchema }, 404: e('Not found') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: publicConnection(await s.connections.get(params.id, params.org)) };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/connections/{id}/invite-link',
      tag: 'connections',
      summary: "The join URL of the connection's directory-gated invite link (policy.inviteLink), to copy and share",
      params: connectionParams,
      responses: { 200: { description: 'The link id and its URL', schema: z.object({ linkId: z.string(), url: z.string() }) }, 404: e('No such connection, or it keeps no link') },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.connections.get(params.id, params.org);
      return { status: 200, body: await s.reconcile.inviteLinkUrl(params.id) };
    },
  );

  api.add(
    {
      method: 'patch',
      path: '/orgs/{org}/connections/{id}',
      tag: 'connections',
      summary: 'Change name, schedule, policy (merged), enabled, or config (merged; a secret given replaces the stored one)',
      params: connectionParams,
      body: z.object({
        name: z.string().optional(),
        config: z.record(z.string(), z.unknown()).optional(),
        schedule: z.string().optional(),
        policy: z.record(z.string(), z.unknown()).optional(),
        enabled: z.boolean().optional(),
      }),
      responses: { 200: { description: 'Updated', schema: connectionSchema }, 400: e('Invalid change'), 404: e('Not found') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.connections.update(params.id, body, res.locals.actor, params.org) };
    },
  );

  api.add(
    {
      method: 'put',
      path: '/orgs/{org}/connections/{id}/groups',
      tag: 'connections',
      summary: 'Select the directory groups kept as teams: "all", or google {emails | query}, microsoft {ids (at most 50) | filter}, github {slugs}; null selects none',
      params: connectionParams,
      body: z.object({
        groups: z
          .union([z.literal('all'), z.record(z.string(), z.unknown()), z.null()])
          .describe('google: {"emails": [...]} or {"query": "email:eng*"}; microsoft: {"ids": [...]} or {"filter": "startswith(displayName,\'Eng\')"}; github: {"slugs": [...]}'),
      }),
      responses: { 200: { description: 'The connection with its new selection (settings.groups)', schema: connectionSchema }, 400: e('Invalid selection (connector.invalid_config names the key)'), 404: e('Not found') },
    },
    async ({ params, body, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.connections.setGroups(params.id, body.groups, res.locals.actor, params.org) };
    },
  );

  api.add(
    { method: 'delete', path: '/orgs/{org}/connections/{id}', tag: 'connections', summary: 'Delete a directory connection: its members stay, released to admins (member.released), its teams lose their group link (team.released)', params: connectionParams, responses: { 204: { description: 'Deleted' }, 404: e('Not found'), 409: e('A run of the connection is in progress (run.in_progress); delete it when the run has finished') } },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      await s.connections.delete(params.id, res.locals.actor, params.org);
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/connections/{id}/test',
      tag: 'connections',
      summary: 'Authenticate and list the whole directory; says what happened (ok only for a complete listing), changes nothing',
      params: connectionParams,
      responses: { 200: { description: 'The test result (a failure is reported here with its coded cause)', schema: connectionTestSchema }, 404: e('Not found') },
    },
    async ({ params, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      return { status: 200, body: await s.connections.test(params.id, params.org) };
    },
  );
}
