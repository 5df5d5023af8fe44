import { Router, type Request } from 'express';
import { z } from 'zod';
import { MEMBER_STATUSES, type MemberStatus } from '../../domain/model.js';
import type { Services } from '../../services/index.js';
import { parseInput } from '../../services/validate.js';
import { adminAuth, assertOrgVisible, assertProviderKey } from './auth.js';

const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  status: z
    .string()
    .transform((s) => s.split(',').filter(Boolean))
    .pipe(z.array(z.enum(MEMBER_STATUSES as [MemberStatus, ...MemberStatus[]])))
    .optional(),
});

const reasonBody = z.object({ reason: z.string().trim().min(1).max(500).optional() }).optional();

/**
 * The admin REST API under /api/v1 (organizations and members so far; the full surface, its
 * OpenAPI document and webhooks come with the admin API issue).
 */
export function apiRoutes(services: Services): Router {
  const r = Router();
  r.use(adminAuth(services.credentials));

  const org = (req: Request<{ org: string }>, key: Parameters<typeof assertOrgVisible>[0]) => {
    assertOrgVisible(key, req.params.org);
    return req.params.org;
  };

  r.get('/orgs', async (req, res) => {
    const key = res.locals.adminKey;
    if (key.orgId) {
      res.json({ items: [await services.orgs.get(key.orgId)], total: 1 });
      return;
    }
    res.json(await services.orgs.list(parseInput(pageQuery, req.query)));
  });

  r.post('/orgs', async (req, res) => {
    assertProviderKey(res.locals.adminKey);
    const created = await services.orgs.create(req.body, res.locals.actor);
    res.status(201).location(`${req.baseUrl}/orgs/${created.id}`).json(created);
  });

  r.get('/orgs/:org', async (req, res) => {
    res.json(await services.orgs.get(org(req, res.locals.adminKey)));
  });

  r.get('/orgs/:org/members', async (req, res) => {
    const q = parseInput(pageQuery, req.query);
    res.json(await services.members.list(org(req, res.locals.adminKey), { ...q, ...(q.status ? { statuses: q.status } : {}) }));
  });

  r.post('/orgs/:org/members', async (req, res) => {
    const created = await services.members.create(org(req, res.locals.adminKey), req.body, res.locals.actor);
    res.status(201).location(`${req.baseUrl}/orgs/${created.orgId}/members/${created.id}`).json(created);
  });

  r.get('/orgs/:org/members/:id', async (req, res) => {
    res.json(await services.members.get(org(req, res.locals.adminKey), req.params.id));
  });

  r.post('/orgs/:org/members/:id/deactivate', async (req, res) => {
    const body = parseInput(reasonBody, req.body);
    res.json(await services.members.deactivate(org(req, res.locals.adminKey), req.params.id, res.locals.actor, body?.reason ?? 'deactivated by admin'));
  });

  r.post('/orgs/:org/members/:id/activate', async (req, res) => {
    res.json(await services.members.activate(org(req, res.locals.adminKey), req.params.id, res.locals.actor));
  });

  r.delete('/orgs/:org/members/:id', async (req, res) => {
    res.json(await services.members.remove(org(req, res.locals.adminKey), req.params.id, res.locals.actor, 'removed by admin'));
  });

  return r;
}
