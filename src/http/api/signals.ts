import { z } from 'zod';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { assertCanAdminister, type Principal } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import { IdsyncError } from '../../domain/errors.js';
import type { ApiRegistry } from './define.js';
import { errorSchema } from './schemas.js';

const e = (description: string) => ({ description, schema: errorSchema });
const streamParams = z.object({ stream: z.string().min(1) });
const status = z.enum(['enabled', 'paused', 'disabled']);

export const streamOverviewSchema = z.object({
  stream_id: z.string(),
  scope: z.string().describe(`The org whose events the stream carries, or \`${PROVIDER_SCOPE}\` for every org's (a provider-wide key's stream)`),
  status,
  reason: z.string().optional().describe('Why the status was set, when given'),
  pending: z.number().int().describe('SETs waiting for a push or a poll'),
  iss: z.string(),
  aud: z.union([z.string(), z.array(z.string())]),
  events_supported: z.array(z.string()),
  events_requested: z.array(z.string()),
  events_delivered: z.array(z.string()),
  delivery: z.object({ method: z.string().describe('urn:ietf:rfc:8935 (push) or urn:ietf:rfc:8936 (poll)'), endpoint_url: z.string() }),
  description: z.string().optional(),
});

const statusSchema = z.object({ stream_id: z.string(), status, reason: z.string().optional() });

/**
 * The Shared Signals streams for operators, mirroring `idsync ssf`: the same services as the SSF
 * endpoints under /ssf (which receivers use), addressed by path. A provider-wide key sees and acts on
 * every stream (as the CLI does), an org-scoped key only its org's streams and with the owner role;
 * another scope's stream is not found. Every change is audited in the stream's scope with the key as actor.
 */
export function signalRoutes(api: ApiRegistry, s: Services): void {
  /** The principal a change to the stream is made as: the stream's owner with this key as actor. */
  const actingOn = async (p: Principal, id: string): Promise<Principal> => {
    if (p.kind === 'provider') return s.signals.operatorOf(id, p.actor);
    assertCanAdminister(p, p.orgId);
    await s.signals.stream(p, id);
    return p;
  };
  const streamOf = async (p: Principal, id: string) => {
    const owner = await actingOn(p, id);
    return s.signals.stream(owner, id);
  };

  api.add(
    {
      method: 'get',
      path: '/ssf/streams',
      tag: 'signals',
      summary: "Shared Signals streams with their status and pending SETs: every scope's for a provider-wide key, the org's own for an org key (owners)",
      responses: { 200: { description: 'Streams in creation order', schema: z.object({ items: z.array(streamOverviewSchema) }) }, 403: e('The key acts for a member below owner') },
    },
    async ({ res }) => {
      const p = res.locals.principal;
      if (p.kind === 'org') assertCanAdminister(p, p.orgId);
      return { status: 200, body: { items: await s.signals.listAll(p.kind === 'provider' ? undefined : p.orgId) } };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/ssf/streams/{stream}',
      tag: 'signals',
      summary: 'One stream with its status and pending SETs',
      params: streamParams,
      responses: { 200: { description: 'The stream', schema: streamOverviewSchema }, 403: e('The key acts for a member below owner'), 404: e('No such stream in this key’s scope (signals.stream_not_found)') },
    },
    async ({ params, res }) => ({ status: 200, body: await s.signals.overview(await streamOf(res.locals.principal, params.stream)) }),
  );

  api.add(
    {
      method: 'post',
      path: '/ssf/streams/{stream}/status',
      tag: 'signals',
      summary: 'Enable, pause (SETs are kept and sent once enabled again) or disable (none are made) a stream',
      params: streamParams,
      body: z.object({ status, reason: z.string().max(500).optional().describe('Shown in the stream status and the audit trail') }),
      responses: { 200: { description: 'The stream status', schema: statusSchema }, 403: e('The key acts for a member below owner'), 404: e('No such stream in this key’s scope') },
    },
    async ({ params, body, res }) => {
      const owner = await actingOn(res.locals.principal, params.stream);
      return { status: 200, body: await s.signals.setStatus(owner, { stream_id: params.stream, status: body.status, ...(body.reason ? { reason: body.reason } : {}) }) };
    },
  );

  api.add(
    {
      method: 'delete',
      path: '/ssf/streams/{stream}',
      tag: 'signals',
      summary: 'Delete a stream and every SET queued for it',
      params: streamParams,
      responses: { 204: { description: 'Deleted' }, 403: e('The key acts for a member below owner'), 404: e('No such stream in this key’s scope') },
    },
    async ({ params, res }) => {
      await s.signals.delete(await actingOn(res.locals.principal, params.stream), params.stream);
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/ssf/streams/{stream}/verify',
      tag: 'signals',
      summary: 'Queue the SSF verification event for an enabled stream; the receiver gets `state` back',
      params: streamParams,
      body: z.object({ state: z.string().max(500).optional() }),
      responses: { 204: { description: 'Queued' }, 400: e('The stream is paused or disabled (request.invalid)'), 403: e('The key acts for a member below owner'), 404: e('No such stream in this key’s scope') },
    },
    async ({ params, body, res }) => {
      await s.signals.verify(await actingOn(res.locals.principal, params.stream), { stream_id: params.stream, ...(body.state !== undefined ? { state: body.state } : {}) });
      return { status: 204 };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/ssf/keys/rotate',
      tag: 'signals',
      summary: 'Make a new SET signing key (provider-wide keys); the previous one stays in the JWKS so SETs signed before still verify',
      responses: { 200: { description: 'The new key', schema: z.object({ kid: z.string().describe('RFC 7638 thumbprint, the `kid` of SETs from now on') }) }, 403: e('Not a provider-wide key') },
    },
    async ({ res }) => {
      if (res.locals.principal.kind !== 'provider') throw new IdsyncError('auth.forbidden', 'rotating the signing key needs a provider-wide admin key');
      return { status: 200, body: { kid: (await s.signals.keys.rotate()).kid } };
    },
  );
}
