import { z } from 'zod';
import { formatAnchor, parseAnchor } from '../../domain/audit-anchor.js';
import { BREAK_REASONS } from '../../domain/audit-verification.js';
import { IdsyncError } from '../../domain/errors.js';
import { batchesAfter } from '../../ports/paging.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { accessSchema, actorSchema, auditEventSchema, errorSchema, orgParams, timestamp, verifySchema } from './schemas.js';

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
    {
      method: 'post',
      path: '/orgs/{org}/audit/verifications',
      tag: 'audit',
      summary:
        "Start verifying the org's hash chain in the background (answers at once; one run per org: while one runs, answers it with 200, whatever its anchor). With an anchor (SEQ:HASH from GET …/audit/head, kept outside idsync) the run also checks the trail still holds that event with that hash. Poll GET …/verifications/latest for progress and the verdict; the verdict is audited as audit.verified",
      params: orgParams,
      body: z.object({ anchor: anchorText.optional() }),
      responses: { 202: { description: 'Started', schema: verificationSchema }, 200: { description: 'A run was already going: that run', schema: verificationSchema } },
    },
    async ({ params, body, res }) => {
      const { started, record } = await s.auditVerifications.start(res.locals.principal, params.org, body?.anchor ? parseAnchor(body.anchor) : undefined);
      return { status: started ? 202 : 200, body: record, headers: { location: `/api/v1/orgs/${encodeURIComponent(params.org)}/audit/verifications/latest` } };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/audit/verifications/latest',
      tag: 'audit',
      summary: "The org's latest background verification: progress while it runs (checked of total), then intact, broken (the first broken event: seq, reason, id) or failed",
      params: orgParams,
      responses: { 200: { description: 'The latest run', schema: verificationSchema }, 404: { description: 'No run yet', schema: errorSchema } },
    },
    async ({ params, res }) => {
      const v = await s.auditVerifications.latest(res.locals.principal, params.org);
      if (!v) throw new IdsyncError('audit.verification_not_found', `organization ${params.org} has no chain verification yet`, { orgId: params.org });
      return { status: 200, body: v };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/audit/verify',
      tag: 'audit',
      summary: 'Recompute the hash chain and say where it breaks; with anchor=SEQ:HASH (a head kept outside idsync), also that the trail still holds that event with that hash (else broken: truncated or anchor_mismatch)',
      params: orgParams,
      query: z.object({ anchor: anchorText.optional() }),
      responses: { 200: { description: 'Verdict', schema: verifySchema }, 400: { description: 'The anchor is not SEQ:HASH', schema: errorSchema } },
    },
    async ({ params, query, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      const anchor = query.anchor ? parseAnchor(query.anchor) : undefined;
      await s.orgs.get(params.org);
      return { status: 200, body: await s.audit.verify(params.org, anchor ? { anchor } : {}) };
    },
  );

  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/audit/head',
      tag: 'audit',
      summary:
        "The trail's last event (seq, hash, time, and both as anchor SEQ:HASH), to record outside idsync: verifying against it later proves no event up to it was cut off or rewritten. Verify the chain before recording a head you have not seen go by (webhook payloads carry auditSeq and auditHash of each event)",
      params: orgParams,
      responses: { 200: { description: 'The head', schema: headSchema } },
    },
    async ({ params, res }) => {
      s.admin.assertCanManage(res.locals.principal, params.org);
      await s.orgs.get(params.org);
      const head = await s.audit.head(params.org);
      return { status: 200, body: { ...head, anchor: formatAnchor(head) }, headers: { 'Cache-Control': 'no-store' } };
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

const anchorText = z.string().max(100).describe('SEQ:HASH, as GET …/audit/head answers it');

const anchorCheckSchema = z
  .object({
    seq: z.number().int(),
    hash: z.string(),
    status: z.enum(['matched', 'mismatch', 'missing', 'beyond_head', 'not_reached']).optional().describe('Absent while the run goes'),
    found: z.string().optional().describe('mismatch: the hash the event at seq has now'),
    headSeq: z.number().int().optional().describe("beyond_head: the trail's last seq"),
  })
  .describe('The anchor checked, and what was found at its seq');

const headSchema = z.object({
  seq: z.number().int().describe('0 for an empty trail'),
  hash: z.string(),
  at: timestamp.optional(),
  anchor: z.string().describe('SEQ:HASH, to pass back as anchor'),
});

const verificationSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  status: z.enum(['running', 'intact', 'broken', 'failed']),
  requestedBy: actorSchema,
  startedAt: timestamp,
  updatedAt: timestamp,
  finishedAt: timestamp.optional(),
  total: z.number().int().describe("The chain's length when the run started"),
  checked: z.number().int().describe('Events verified so far (broken: those before the break)'),
  head: z.object({ seq: z.number().int(), hash: z.string() }).optional().describe('The last verified event'),
  break: z.object({ seq: z.number().int(), reason: z.enum(BREAK_REASONS), eventId: z.string().optional() }).optional(),
  error: z.string().optional().describe('Why a failed run stopped'),
  anchor: anchorCheckSchema.optional(),
});
