import type { Request, Response, Router } from 'express';
import { IdsyncError } from '../../domain/errors.js';
import { assertCanAdminister } from '../../services/authz.js';
import { MAX_LIVE_SCIM_TOKENS } from '../../services/credentials.js';
import type { Services } from '../../services/index.js';
import { actions, field, view } from './act.js';
import { esc, notice, type Chrome } from './layout.js';
import { reveal } from './reveal.js';
import type { Fail } from './router.js';
import { confirmRevokePage, scimPage } from './scim-page.js';

interface Deps {
  services: Services;
  publicUrl: string;
  chrome: (res: Response) => Promise<Chrome>;
  fail: Fail;
}

const LOG_PAGE = 25;

/**
 * The SCIM setup page and its actions: tokens and OAuth clients through the same services and the
 * same standing (org owner) as the admin API's /scim-tokens and /scim-clients, audited with the
 * session as actor; the request log through the service behind /scim-log.
 */
export function scimRoutes(org: Router, d: Deps): void {
  const s = d.services;
  const baseUrl = `${d.publicUrl.replace(/\/+$/, '')}/scim/v2`;

  const render = async (req: Request, res: Response, notices: string[], status = 200) => {
    const c = await d.chrome(res);
    const { principal } = res.locals.signIn;
    assertCanAdminister(principal, c.orgId);
    const q = req.method === 'GET' ? (req.query as Record<string, unknown>) : {};
    const errorsOnly = field(q.log) !== 'all';
    const cursor = field(q.cursor);
    const [tokens, clients, log] = await Promise.all([
      s.credentials.listScimTokens(c.orgId),
      s.scimClients.list(c.orgId),
      s.scimLog.enabled ? s.scimLog.list(c.orgId, { limit: LOG_PAGE, ...(errorsOnly ? { status: 'errors' } : {}), ...(cursor ? { cursor } : {}) }) : Promise.resolve({ items: [], next: null }),
    ]);
    const href = (extra: Record<string, string>) => {
      const u = new URLSearchParams({ ...(errorsOnly ? {} : { log: 'all' }), ...extra });
      const text = u.toString();
      return `/console/orgs/${encodeURIComponent(c.orgId)}/scim${text ? `?${text}` : ''}#log-heading`;
    };
    const html = scimPage({
      chrome: c,
      notices,
      baseUrl,
      tokenUrl: s.scimClients.tokenUrl,
      tokens,
      maxLiveTokens: MAX_LIVE_SCIM_TOKENS,
      clients,
      now: s.console.now(),
      log: {
        enabled: s.scimLog.enabled,
        errorsOnly,
        items: log.items,
        days: s.scimLog.retention.days,
        ...(log.next ? { olderHref: href({ cursor: log.next }) } : {}),
        ...(cursor ? { newestHref: href({}) } : {}),
      },
    });
    res.status(status).type('html').send(html);
  };
  const act = actions(render, d.fail);

  org.get('/scim', view(render, d.fail));

  org.post(
    '/scim/tokens',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanAdminister(principal, session.orgId);
      await s.orgs.get(session.orgId);
      const label = field(req.body.label);
      const { token, record } = await s.credentials.createScimToken(session.orgId, principal.actor, label || undefined);
      return [
        notice(
          `Created the token ${esc(record.label ?? record.prefix)}. Copy it now: it is shown only this once.${reveal('new-scim-token', 'New SCIM bearer token', token, { button: 'Copy token', copied: 'Token copied to the clipboard.' })}`,
        ),
      ];
    }),
  );

  // Revoking stops provisioning: the first POST asks, the confirmed one revokes.
  const confirmFirst = (kind: 'token' | 'client') => async (req: Request, res: Response, next: () => void) => {
    if (req.body.confirmed === 'yes') return next();
    try {
      const { principal, session } = res.locals.signIn;
      assertCanAdminister(principal, session.orgId);
      const id = String(req.params.id);
      let name: string;
      if (kind === 'token') {
        const t = (await s.credentials.listScimTokens(session.orgId)).find((x) => x.id === id);
        if (!t) throw new IdsyncError('token.not_found', `SCIM token ${id} not found`, { tokenId: id });
        name = t.label ?? t.prefix;
      } else {
        const c = await s.scimClients.get(session.orgId, id);
        name = c.label ?? c.id;
      }
      res.type('html').send(confirmRevokePage(await d.chrome(res), { kind, id, name }));
    } catch (err) {
      await act(async () => {
        throw err;
      })(req, res);
    }
  };

  org.post(
    '/scim/tokens/:id/revoke',
    confirmFirst('token'),
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanAdminister(principal, session.orgId);
      const t = await s.credentials.revokeScimToken(session.orgId, String(req.params.id), principal.actor);
      return [notice(`Revoked the token ${esc(t.label ?? t.prefix)}: requests with it are refused from now on.`)];
    }),
  );

  org.post(
    '/scim/clients',
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanAdminister(principal, session.orgId);
      await s.orgs.get(session.orgId);
      const label = field(req.body.label);
      const r = await s.scimClients.create(session.orgId, principal.actor, label ? { label } : {});
      return [
        notice(
          `Created the OAuth client ${esc(r.client.label ?? r.clientId)}. Copy the secret now: it is shown only this once.${reveal('new-client-id', 'Client ID', r.clientId, { button: 'Copy client ID', copied: 'Client ID copied to the clipboard.' })}${reveal('new-client-secret', 'Client secret', r.clientSecret, { button: 'Copy client secret', copied: 'Client secret copied to the clipboard.' })}${reveal('new-token-url', 'Token endpoint', r.tokenUrl, { button: 'Copy token endpoint', copied: 'Token endpoint copied to the clipboard.' })}`,
        ),
      ];
    }),
  );

  org.post(
    '/scim/clients/:id/revoke',
    confirmFirst('client'),
    act(async (req, res) => {
      const { principal, session } = res.locals.signIn;
      assertCanAdminister(principal, session.orgId);
      const c = await s.scimClients.revoke(session.orgId, String(req.params.id), principal.actor);
      return [notice(`Revoked the OAuth client ${esc(c.label ?? c.id)}: its access tokens are refused from now on.`)];
    }),
  );
}
