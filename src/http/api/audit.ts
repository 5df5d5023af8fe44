import { z } from 'zod';
import { batchesAfter } from '../../ports/paging.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { accessSchema, auditEventSchema, errorSchema, orgParams, verifySchema } from './schemas.js';

export function auditRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/audit',
      tag: 'audit',
      summary: 'Audit events, oldest first, after a sequence number; filter by action prefix, actor kind or target id',
      params: orgParams,
      query: z.object({
        after: z.coerce.number().int().min(0).optional(),
        limit: z.coerce.number().int().min(1).max(1000).optional(),
        action: z.string().optional(),
        actor: z.string().optional(),
        target: z.string().optional(),
      }),
      responses: { 200: { description: 'Events', schema: z.object({ items: z.array(auditEventSchema), next: z.number().int().nullable() }) } },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      const limit = query.limit ?? 100;
      const items = [];
      // Filters apply while reading forward, so a page is full unless the trail ends.
      for await (const batch of batchesAfter((c) => s.audit.list(params.org, c), query.after ?? 0)) {
        for (const e of batch) {
          if (query.action && !e.action.startsWith(query.action)) continue;
          if (query.actor && e.actor.kind !== query.actor) continue;
          if (query.target && e.target.id !== query.target) continue;
          items.push(e);
          if (items.length === limit) return { status: 200, body: { items, next: e.seq } };
        }
      }
      return { status: 200, body: { items, next: null } };
    },
  );

  api.add(
    { method: 'get', path: '/orgs/{org}/audit/verify', tag: 'audit', summary: 'Recompute the hash chain and say where it breaks', params: orgParams, responses: { 200: { description: 'Verdict', schema: verifySchema } } },
    async ({ params, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      return { status: 200, body: await s.audit.verify(params.org) };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/access',
      tag: 'access',
      summary: 'May this person use the product now? For sign-in and session refresh',
      params: orgParams,
      query: z.object({ email: z.string().optional(), subject: z.string().regex(/^(google|microsoft|github):.+$/, 'expected provider:id').optional() }),
      responses: { 200: { description: 'Verdict', schema: accessSchema }, 400: { description: 'Neither email nor subject', schema: errorSchema }, 410: { description: 'The organization was merged into another (org.merged, details.mergedInto): ask there', schema: errorSchema } },
    },
    async ({ params, query, res }) => {
      const start = process.hrtime.bigint();
      const [provider, ...rest] = (query.subject ?? '').split(':');
      const who = query.email ? { email: query.email } : query.subject ? { provider: provider!, subject: rest.join(':') } : {};
      const body = await s.admin.access(res.locals.principal, params.org, who);
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      return { status: 200, body, headers: { 'Server-Timing': `access;dur=${ms.toFixed(3)}`, 'Cache-Control': 'no-store' } };
    },
  );
}
