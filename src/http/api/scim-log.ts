import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { SCIM_LOG_MAX_LIMIT } from '../../services/scim-log/service.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams } from './schemas.js';

const scimLogEntrySchema = z.object({
  id: z.string(),
  orgId: z.string(),
  at: z.string(),
  method: z.string(),
  path: z.string(),
  status: z.number().int(),
  latencyMs: z.number(),
  idp: z.enum(['okta', 'entra', 'onelogin', 'jumpcloud', 'google', 'other']),
  userAgent: z.string().optional(),
  credential: z.object({ id: z.string(), label: z.string().optional() }).optional(),
  resource: z.object({ type: z.string(), id: z.string().optional() }).optional(),
  requestBody: z.string().optional(),
  error: z.object({ status: z.string(), scimType: z.string().optional(), detail: z.string() }).optional(),
  operationErrors: z
    .array(
      z.object({
        operation: z.number().int(),
        method: z.string().optional(),
        path: z.string().optional(),
        bulkId: z.string().optional(),
        status: z.string(),
        scimType: z.string().optional(),
        detail: z.string(),
      }),
    )
    .optional(),
});

const e = (description: string) => ({ description, schema: errorSchema });

/**
 * The SCIM request log. Owners and provider admins, like the SCIM tokens whose traffic it shows
 * (request bodies carry the directory's personal data).
 */
export function scimLogRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/scim-log',
      tag: 'scim-log',
      summary: 'SCIM requests of the org and their answers, newest first: filter by since (1h, 7d or ISO time), status (409, 4xx, or errors for 400-599), method and resource (Users, Groups, Bulk); page with cursor',
      params: orgParams,
      query: z.object({
        since: z.string().optional(),
        status: z.string().optional(),
        method: z.string().optional(),
        resource: z.string().optional(),
        limit: z.coerce.number().int().min(1).max(SCIM_LOG_MAX_LIMIT).optional(),
        cursor: z.string().optional(),
      }),
      responses: {
        200: { description: 'A page of entries; `next` is the cursor of the older page, null at the end', schema: z.object({ items: z.array(scimLogEntrySchema), next: z.string().nullable() }) },
        400: e('A filter or cursor is invalid'),
        404: e('Not found'),
      },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanAdminister(res.locals.principal, params.org);
      const page = await s.scimLog.list(params.org, query);
      return { status: 200, body: page, headers: { 'Cache-Control': 'no-store' } };
    },
  );
}
