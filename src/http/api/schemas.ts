import { z } from 'zod';
import { CHANGE_SOURCES, GROUP_SOURCES, MEMBER_STATUSES, ROLES, type ChangeSource, type GroupSource, type MemberStatus, type Role } from '../../domain/model.js';

/** Request and response schemas of the admin API (the OpenAPI document is generated from them). */
export const role = z.enum(ROLES as [Role, ...Role[]]);
export const memberStatus = z.enum(MEMBER_STATUSES as [MemberStatus, ...MemberStatus[]]);
export const timestamp = z.string().describe('RFC 3339 timestamp');

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
  kind: z.enum(['person', 'service']).optional().describe('person (default) or service: people and service accounts are listed and counted apart'),
});

export const errorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional(), requestId: z.string().optional() }),
});

export const orgSettingsSchema = z.object({
  inviteTtlHours: z.number().int(),
  pendingInviteCap: z.number().int(),
  allowedDomains: z.array(z.string()),
  scimAdoption: z.boolean().optional(),
  ownerByMapping: z.boolean().optional(),
  manualOverridesWin: z.boolean().optional(),
  supportAccess: z.enum(['open', 'consent']).optional().describe("consent: provider-wide keys reach the org's data only under an owner's live support grant; absent: open"),
  continueUrl: z.string().optional(),
});

export const orgSchema = z.object({
  id: z.string(),
  name: z.string(),
  settings: orgSettingsSchema,
  state: z.enum(['active', 'merging', 'merged', 'deleting']).optional().describe('merging: a merge into mergedInto is under way; merged: closed by it; deleting: scheduled for purge at deletion.purgeAt, restorable until then'),
  deletion: z.object({ requestedAt: timestamp, purgeAt: timestamp, by: z.lazy(() => actorSchema) }).optional(),
  mergedInto: z.string().optional(),
  mergedAt: timestamp.optional(),
  mergedFrom: z.array(z.string()).optional().describe('Organizations merged into this one'),
  universalLogout: z
    .object({ issuer: z.string(), jwksUri: z.string(), audience: z.string(), updatedAt: timestamp })
    .optional()
    .describe('Okta Universal Logout settings (see /orgs/{org}/universal-logout); absent: off'),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int(),
});

export const actorSchema = z.object({ kind: z.string(), id: z.string().optional(), label: z.string().optional(), onBehalfOf: z.string().optional(), supportGrantId: z.string().optional() });

export const groupSource = z.enum(GROUP_SOURCES as [GroupSource, ...GroupSource[]]);

export const roleSourceSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('manual'), overridesMapping: z.string().optional().describe('Set by hand over this mapping (settings.manualOverridesWin)') }),
    z.object({ kind: z.literal('mapping'), mappingId: z.string(), source: groupSource, group: z.string() }),
    z.object({ kind: z.literal('idp'), source: z.literal('scim') }),
    z.object({ kind: z.literal('default') }),
  ])
  .describe("Where the member's role comes from: set by hand, a role mapping (and its group), the identity provider, or the default role");

export const roleMappingSchema = z.object({
  id: z.string().describe('Derived from source and group: one mapping per group'),
  orgId: z.string(),
  source: groupSource,
  group: z.string().describe('SCIM group id, externalId or displayName; Google group email; Entra group object id; GitHub team slug'),
  role,
  precedence: z.number().int().describe('Higher wins among the groups a member is in; equal: the higher role'),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int(),
});

export const roleMappingInput = z.object({
  source: groupSource,
  group: z.string(),
  role,
  precedence: z.number().int().optional().describe('Default 0'),
});

export const roleChangeSchema = z.object({
  memberId: z.string(),
  userName: z.string(),
  from: role,
  to: role,
  result: z.enum(['change', 'skipped']).describe('skipped: an owner rule refuses it (the last active owner; owners not set by mappings unless settings.ownerByMapping)'),
  reason: z.string(),
});

export const memberSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  kind: z.enum(['person', 'service']).optional().describe('Absent: a person'),
  userName: z.string(),
  externalId: z.string().optional(),
  name: z.object({ givenName: z.string().optional(), familyName: z.string().optional() }).catchall(z.string()),
  displayName: z.string().optional(),
  emails: z.array(z.object({ value: z.string(), type: z.string().optional(), primary: z.boolean().optional() }).catchall(z.unknown())),
  role,
  roleSource: roleSourceSchema.optional(),
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

export const scimClientSchema = z.object({
  id: z.string().describe('The OAuth client_id'),
  orgId: z.string(),
  label: z.string().optional(),
  secrets: z.array(z.object({ id: z.string(), prefix: z.string(), createdAt: timestamp, expiresAt: timestamp, revokedAt: timestamp.optional(), expiryWarnedOn: z.string().optional() })),
  publicKeyPem: z.string().optional(),
  jwksUrl: z.string().optional(),
  createdAt: timestamp,
  revokedAt: timestamp.optional(),
  version: z.number().int(),
});

/** What creating or rotating answers: the secret, in this response only, and where to use it. */
export const issuedClientSecretSchema = z.object({ clientId: z.string(), clientSecret: z.string(), tokenUrl: z.string(), secretId: z.string(), client: scimClientSchema });

export const auditEventSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  seq: z.number().int(),
  at: timestamp,
  actor: actorSchema,
  action: z.string(),
  target: z.object({ type: z.string(), id: z.string() }),
  source: z.enum(CHANGE_SOURCES as [ChangeSource, ...ChangeSource[]]).optional().describe('Where a member change came from; every status change (member.deactivated, member.activated, member.removed) has one'),
  before: z.unknown().optional(),
  after: z.unknown().optional(),
  reason: z.string().optional().describe('Why; always present on status changes'),
  evidence: z.record(z.string(), z.unknown()).optional().describe('What justified a status change, discriminated by its `kind` field (events written before sources existed may lack it)'),
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
  anchor: z
    .object({ seq: z.number().int(), hash: z.string(), status: z.enum(['matched', 'mismatch', 'missing', 'beyond_head', 'not_reached']), found: z.string().optional(), headSeq: z.number().int().optional() })
    .optional()
    .describe('With an anchor: what was found at its seq'),
});

/** An invitation as shown: never its token hash; a pending one past its expiry reads expired. */
export const invitationSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  email: z.string(),
  givenName: z.string().optional(),
  familyName: z.string().optional(),
  role,
  teamIds: z.array(z.string()),
  status: z.enum(['pending', 'accepted', 'revoked', 'expired']),
  invitedBy: actorSchema,
  createdAt: timestamp,
  expiresAt: timestamp,
  lastSentAt: timestamp,
  sendCount: z.number().int(),
  acceptedAt: timestamp.optional(),
  acceptedMemberId: z.string().optional(),
  revokedAt: timestamp.optional(),
  endReason: z.string().optional(),
  updatedAt: timestamp,
  version: z.number().int(),
});

/** An invite link as shown: never its token hash (the URL is shown on create and rotate only). */
export const inviteLinkSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  teamId: z.string().optional(),
  role,
  createdBy: actorSchema,
  createdAt: timestamp,
  expiresAt: timestamp.optional(),
  maxUses: z.number().int().optional(),
  uses: z.number().int(),
  allowedDomains: z.array(z.string()),
  directoryConnectionId: z.string().optional(),
  revokedAt: timestamp.optional(),
  updatedAt: timestamp,
  version: z.number().int(),
  state: z.enum(['active', 'expired', 'revoked', 'used_up']),
});

/** A directory connection as shown: settings without secrets, and only whether credentials are stored. */
export const connectionSchema = z.object({
  id: z.string(),
  orgId: z.string(),
  provider: z.enum(['google', 'microsoft', 'github']),
  name: z.string(),
  settings: z.record(z.string(), z.unknown()),
  credentials: z.enum(['stored', 'none']),
  schedule: z.string().describe('Cron expression'),
  policy: z.record(z.string(), z.unknown()),
  syncState: z.record(z.string(), z.unknown()),
  health: z.enum(['unknown', 'healthy', 'degraded', 'failing', 'action_required']).describe('action_required: the last run failed terminally; scheduled runs wait until the connection is updated or tested'),
  actionRequired: z
    .object({ code: z.string(), message: z.string(), hint: z.string().describe('What to fix'), runId: z.string(), at: timestamp })
    .optional()
    .describe('With health action_required: the terminal failure and what to fix'),
  notifications: z
    .object({
      subscriptionId: z.string().optional(),
      expiresAt: timestamp.optional(),
      channels: z
        .array(z.object({ event: z.string(), id: z.string(), expiresAt: timestamp.optional() }))
        .optional()
        .describe('Google: the open push channels, one per event (update, delete, makeAdmin, undelete)'),
      lastMessageAt: timestamp.optional(),
      lastError: z.object({ message: z.string(), at: timestamp }).optional(),
    })
    .optional()
    .describe('With policy.realtime: the Graph subscription (id, expiry) or the Google channels, the last verified notification, the last error'),
  lastRunId: z.string().optional(),
  lastRunAt: timestamp.optional(),
  enabled: z.boolean(),
  createdAt: timestamp,
  updatedAt: timestamp,
  version: z.number().int(),
});

export const connectionTestSchema = z.object({
  ok: z.boolean().describe('True only for a complete listing'),
  users: z.number().int(),
  pages: z.number().int(),
  apiCalls: z.number().int(),
  complete: z.boolean(),
  durationMs: z.number(),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

const runStatus = z.enum(['running', 'completed', 'held', 'incomplete', 'failed', 'approved', 'rejected']);

/** What a reconcile run did (counters and guard verdicts); more counters may be added. */
export const runSummarySchema = z.looseObject({
  runId: z.string(),
  connectionId: z.string(),
  status: runStatus,
  dryRun: z.boolean(),
  listed: z.number().int(),
  matched: z.number().int(),
  linked: z.number().int(),
  deactivated: z.number().int(),
  reactivated: z.number().int(),
  invited: z.number().int(),
  held: z.number().int(),
  drift: z.number().int(),
  protected: z.number().int(),
  apiCalls: z.number().int(),
  durationMs: z.number(),
  guards: z.array(z.looseObject({ guard: z.string(), passed: z.boolean(), detail: z.string() })),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
});

export const runSchema = z.looseObject({
  id: z.string(),
  orgId: z.string(),
  connectionId: z.string(),
  dryRun: z.boolean(),
  status: runStatus,
  trigger: z.enum(['schedule', 'manual', 'approval', 'notification']),
  startedAt: timestamp,
  finishedAt: timestamp.optional(),
  summary: z.record(z.string(), z.unknown()),
  plan: z
    .array(
      z.looseObject({
        kind: z
          .enum(['link', 'deactivate', 'reactivate', 'invite', 'drift', 'protected', 'team.create', 'team.rename', 'team.add', 'team.remove'])
          .describe('team.*: a directory group kept as a team (config groups), with groupId, key, teamId, memberIds'),
        memberId: z.string().optional(),
        memberIds: z.array(z.string()).optional().describe('team.add, team.remove: the members added or removed'),
        teamId: z.string().optional(),
        groupId: z.string().optional().describe('team.*: the directory group id'),
        directoryId: z.string().optional(),
        email: z.string().optional(),
        reason: z.string(),
        evidence: z.looseObject({ kind: z.string().describe('confirmedByLookup, deleted, suspended, missingRuns (deactivations, strongest first); link, reactivated, invite, drift, protected; directoryGroup (team.*)') }),
        heldBy: z.enum(['listing_complete', 'size_drop', 'deactivation_budget', 'team_shrink']).optional().describe('The guard holding this deactivation (or team removal) for approval'),
        releasedByApproval: z.literal(true).optional(),
        outcome: z
          .object({ status: z.enum(['applied', 'refused', 'deferred', 'held', 'planned', 'reported']), code: z.string().optional().describe('refused or deferred: the error code'), by: z.string().optional().describe('held: the guard') })
          .optional()
          .describe('What the run did with the action'),
      }),
    )
    .describe('Each planned action with its typed evidence and its outcome'),
  error: z.object({ code: z.string(), message: z.string() }).optional(),
  updatedAt: timestamp,
  version: z.number().int(),
});

/** A run in a list: everything but the plan (GET /orgs/{org}/runs/{run} has it). */
export const runListItemSchema = runSchema.omit({ plan: true });
