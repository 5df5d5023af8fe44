import { z } from 'zod';
import type { Services } from '../../services/index.js';
import { assertOrgVisible, assertProviderKey } from './auth.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams, orgSchema, timestamp } from './schemas.js';

const receiptSchema = z.object({
  orgId: z.string(),
  name: z.string(),
  deletionRequestedAt: timestamp,
  purgeAt: timestamp,
  purgedAt: timestamp,
  lastAuditHash: z.string().describe("Hash of the org's last audit event (64 zeros when it had none)"),
  auditCount: z.number().int().describe("Length of the org's audit chain when it was purged"),
});

/** Deleting an org with a grace period, restoring it, and the receipts of purged orgs. */
export function orgDeletionRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}',
      tag: 'organizations',
      summary: 'Delete an organization: it is `deleting` (nothing changes it, its tokens and links stop working) until deletion.purgeAt (orgs.deletionGraceDays), then its data is purged. An owner or the operator',
      params: orgParams,
      body: z.object({ reason: z.string().max(500).optional() }),
      responses: { 202: { description: 'Scheduled for deletion (again: unchanged)', schema: orgSchema }, 409: { description: 'Merged or being merged (org.deletion_refused)', schema: errorSchema } },
    },
    async ({ params, body, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 202, body: await s.orgDeletion.delete(res.locals.principal, params.org, body?.reason) };
    },
  );

  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/restore',
      tag: 'organizations',
      summary: 'Restore an organization scheduled for deletion, before its purge (an owner or the operator)',
      params: orgParams,
      responses: { 200: { description: 'Restored', schema: orgSchema }, 409: { description: 'Not scheduled for deletion (org.deletion_refused)', schema: errorSchema } },
    },
    async ({ params, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      return { status: 200, body: await s.orgDeletion.restore(res.locals.principal, params.org) };
    },
  );

  api.add(
    { method: 'get', path: '/purge-receipts', tag: 'organizations', summary: 'Receipts of purged organizations, oldest first (provider-wide keys only)', responses: { 200: { description: 'Receipts', schema: z.object({ items: z.array(receiptSchema) }) } } },
    async ({ res }) => {
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: { items: await s.orgDeletion.receipts() } };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/purge-receipts/{org}',
      tag: 'organizations',
      summary: 'The receipt of one purged organization (provider-wide keys only)',
      params: orgParams,
      responses: { 200: { description: 'Receipt', schema: receiptSchema }, 404: { description: 'No receipt for this organization', schema: errorSchema } },
    },
    async ({ params, res }) => {
      assertOrgVisible(res.locals.adminKey, params.org);
      assertProviderKey(res.locals.adminKey);
      return { status: 200, body: await s.orgDeletion.receipt(params.org) };
    },
  );
}
