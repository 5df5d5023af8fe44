import { z } from 'zod';
import { MEMBER_STATUSES, ROLES, type MemberStatus, type Role } from '../../domain/model.js';

/** Request and response schemas of the admin API (the OpenAPI document is generated from them). */
export const role = z.enum(ROLES as [Role, ...Role[]]);
export const memberStatus = z.enum(MEMBER_STATUSES as [MemberStatus, ...MemberStatus[]]);
const timestamp = z.string().describe('RFC 3339 timestamp');

export const orgParams = z.object({ org: z.string().min(1) });
export const memberParams = orgParams.extend({ id: z.string().min(1) });

export const pageQuery = z.object({
  offset: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
});

const csv = <T extends z.ZodType<unknown, string>>(item: T) =>
  z
    .string()
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(item));

export const memberSearchQuery = pageQuery.extend({
  q: z.string().trim().max(200).optional().describe('Case-insensitive substring of name, userName or email'),
  status: csv(memberStatus).optional().describe('Comma-separated statuses'),
  role: csv(role).optional().describe('Comma-separated roles'),
  team: z.string().optional().describe('Only members of this team id'),
});

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional(), requestId: z.string().optional() }),
});

export const orgSettingsSchema = z.object({
  inviteTtlHours: z.number().int(),
  pendingInviteCap: z.number().int(),
  allowedDomains: z.array(z.string()),
  scimAdoption: z.boolean().optional(),
});

export const orgSchema = z.object({ id: z.string(), name: z.string(), settings: orgSettingsSchema, createdAt: timestamp, updatedAt: timestamp, version: z.number().int() });

const actorSchema = z.object({ kind: z.string(), id: z.string().optional(), label: z.string().optional(), onBehalfOf: z.string().optional() });

export const memberSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  userName: z.string(),
  externalId: z.string().optional(),
  name: z.object({ givenName: z.string().optional(), familyName: z.string().optional() }).catchall(z.string()),
  displayName: z.string().optional(),
  emails: z.array(z.object({ value: z.string(), type: z.string().optional(), primary: z.boolean().optional() }).catchall(z.unknown())),
  role,
  status: memberStatus,
  managedBy: z.object({ kind: z.enum(['admin', 'invite', 'scim', 'directory']), tokenId: z.string().optional(), connectionId: z.string().optional() }),
  identities: z.array(z.object({ provider: z.string(), subject: z.string(), email: z.string().optional() })),
  deactivation: z.object({ by: actorSchema, reason: z.string(), at: timestamp }).optional(),
  removedAt: timestamp.optional(),
  attributes: z.record(z.string(), z.unknown()),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int(),
});

export const teamSchema = z.object({ id: z.string(), orgId: z.string(), displayName: z.string(), externalId: z.string().optional(), createdAt: timestamp, updatedAt: timestamp, version: z.number().int() });

export const scimTokenSchema = z.object({ id: z.string(), orgId: z.string(), label: z.string().optional(), prefix: z.string(), createdAt: timestamp, lastUsedAt: timestamp.optional(), revokedAt: timestamp.optional() });

export const auditEventSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  seq: z.number().int(),
  at: timestamp,
  actor: actorSchema,
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  reason: z.string().optional(),
  prevHash: z.string(),
  hash: z.string(),
});

export const page = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), total: z.number().int() });

export const bulkRemoveSchema = z.object({
  removed: z.number().int(),
  removedIds: z.array(z.string()),
  skipped: z.array(z.object({ id: z.string(), code: z.string(), message: z.string() })),
});

export const accessSchema = z.object({
  allowed: z.boolean(),
  memberId: z.string().nullable(),
  status: z.union([memberStatus, z.literal('unknown')]),
  role: role.nullable(),
});

export const verifySchema = z.object({
  ok: z.boolean(),
  events: z.number().int(),
  head: z.object({ seq: z.number().int(), hash: z.string() }).optional(),
  break: z.object({ seq: z.number().int(), reason: z.string(), eventId: z.string().optional() }).optional(),
});
