/** Entities of the domain. Plain data: no behaviour, no imports beyond the domain's own types. */
import type { UniversalLogoutSettings } from './universal-logout.js';

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

/** `service`: an application's account (InfluxDB's "system account"), created by an admin with a name; absent means `person`. */
export type MemberKind = 'person' | 'service';
export const MEMBER_KINDS: readonly MemberKind[] = ['person', 'service'];

export type MemberStatus = 'active' | 'inactive' | 'removed';
export const MEMBER_STATUSES: readonly MemberStatus[] = ['active', 'inactive', 'removed'];

/** Who owns a member's lifecycle. A writer changes only what it manages (admin may touch any). */
export type ManagedBy =
  | { kind: 'admin' }
  | { kind: 'invite' }
  | { kind: 'scim'; tokenId?: string }
  | { kind: 'directory'; connectionId: string };

export interface OrgSettings {
  /** Invitation lifetime in hours. */
  inviteTtlHours: number;
  /** Maximum number of pending invitations. */
  pendingInviteCap: number;
  /** Lower-case email domains members must belong to; empty means any. */
  allowedDomains: string[];
  /** SCIM may adopt an existing member of the org with the same userName (never the last owner). */
  scimAdoption: boolean;
  /** A role mapping may grant (and take) the owner role; absent on older orgs: false. */
  ownerByMapping?: boolean;
  /** A manual role change on a member a mapping governs is kept (and shown) instead of refused; absent: false. */
  manualOverridesWin?: boolean;
  /** `consent`: provider-wide keys reach the org's data only under an owner's live support grant; absent: `open`. */
  supportAccess?: 'open' | 'consent';
  /** Where people land after joining or signing up (orgId and memberId added); absent or empty: config join.continueUrl. */
  continueUrl?: string;
}

export const DEFAULT_ORG_SETTINGS: Readonly<OrgSettings> = Object.freeze({
  inviteTtlHours: 72,
  pendingInviteCap: 50,
  allowedDomains: [],
  scimAdoption: true,
  ownerByMapping: false,
  manualOverridesWin: false,
});

export interface Organization {
  id: string;
  name: string;
  settings: OrgSettings;
  /**
   * `merging`: a merge into `mergedInto` is under way; `merged`: closed by it (its tokens and links
   * no longer work, reads answer `org.merged` with where it went). Absent: active.
   */
  state?: 'active' | 'merging' | 'merged' | 'deleting';
  /** Set while `deleting`: when it was asked for, by whom, and when the purge may remove the org's data. */
  deletion?: { requestedAt: string; purgeAt: string; by: Actor };
  mergedInto?: string;
  mergedAt?: string;
  /** Organizations merged into this one. */
  mergedFrom?: string[];
  /** Okta Universal Logout: whose signed revocation requests the org accepts; absent: off. */
  universalLogout?: UniversalLogoutSettings;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface PersonName {
  givenName?: string;
  familyName?: string;
  middleName?: string;
  honorificPrefix?: string;
  honorificSuffix?: string;
  formatted?: string;
}

export interface Email {
  value: string;
  type?: string;
  primary?: boolean;
  display?: string;
}

/** What a provisioning writer (SCIM, a directory) sets on a member, apart from status and role. */
export interface MemberProfile {
  userName: string;
  externalId?: string;
  name: PersonName;
  displayName?: string;
  emails: Email[];
  /** Attributes without a first-class field (title, phone numbers, the enterprise extension, …). */
  attributes: Record<string, unknown>;
}

export interface Identity {
  provider: 'google' | 'microsoft' | 'github';
  subject: string;
  email?: string;
}

export interface Deactivation {
  by: Actor;
  reason: string;
  at: string;
}

export interface Member {
  id: string;
  orgId: string;
  /** Absent: a person. A service account has no email, no identities and is never matched to a directory user. */
  kind?: MemberKind;
  /** Unique among the org's non-removed members, compared case-insensitively, kept as received. */
  userName: string;
  externalId?: string;
  name: PersonName;
  displayName?: string;
  emails: Email[];
  role: Role;
  /** Where the role comes from; absent on members written before role mappings (set by hand or by default). */
  roleSource?: RoleSource;
  status: MemberStatus;
  managedBy: ManagedBy;
  identities: Identity[];
  deactivation?: Deactivation;
  removedAt?: string;
  /** Attributes a writer supplied that have no first-class field (e.g. SCIM extension data). */
  attributes: Record<string, unknown>;
  createdAt: string;
  updatedAt: string;
  /** Starts at 1 and grows by one on every write; the basis of ETags and compare-and-swap. */
  version: number;
}

/** Where a role mapping's group lives: a SCIM group, a Google group, an Entra group, a GitHub team. */
export type GroupSource = 'scim' | 'google' | 'microsoft' | 'github';
export const GROUP_SOURCES: readonly GroupSource[] = ['scim', 'google', 'microsoft', 'github'];

/** An upstream group whose members get a role; among a member's mapped groups the highest precedence wins. */
export interface RoleMapping {
  /** Derived from (source, group), so one group has at most one mapping per org. */
  id: string;
  orgId: string;
  source: GroupSource;
  /** SCIM group id, externalId or displayName; Google group email; Entra object id; GitHub team slug. */
  group: string;
  role: Role;
  /** Higher wins; equal precedence: the higher role. */
  precedence: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** Where a member's role comes from (the members list shows it). */
export type RoleSource =
  | { kind: 'manual'; /** Set by hand over this mapping (the org lets manual overrides win). */ overridesMapping?: string }
  | { kind: 'mapping'; mappingId: string; source: GroupSource; group: string }
  | { kind: 'idp'; source: 'scim' }
  | { kind: 'default' };

/**
 * The directory group a team is kept from (issue 17): the reconciler of that connection owns the
 * team's membership and name. `key` is what a role mapping of the provider names: the Google group
 * email (lower-cased), the Entra object id, the GitHub team slug.
 */
export interface DirectoryGroupLink {
  connectionId: string;
  provider: DirectoryProvider;
  groupId: string;
  key: string;
}

export interface Team {
  id: string;
  orgId: string;
  /** Unique per org, compared case-insensitively. */
  displayName: string;
  externalId?: string;
  directoryGroup?: DirectoryGroupLink;
  createdAt: string;
  updatedAt: string;
  version: number;
}

/** `portal`: a person in the console, signed in through a one-time portal link (id: the session's public id); `service`: a service account's key. */
/** `member`: a person signed in to the console with a join-page provider, acting as their member of the org (id: the member id). */
export type ActorKind = 'admin' | 'cli' | 'scim' | 'directory' | 'invite' | 'system' | 'portal' | 'service' | 'member';

export interface Actor {
  kind: ActorKind;
  /** Admin key id, SCIM token id, connection id, … */
  id?: string;
  label?: string;
  /** The member of the org on whose behalf an admin key acted (X-Idsync-Acting-Member). */
  onBehalfOf?: string;
  /** The support grant a provider-wide key acted under (an org with `supportAccess: consent`). */
  supportGrantId?: string;
}

/** Where a member change came from; every status change records one, whoever the actor was. */
export type ChangeSource = 'scim' | 'reconcile' | 'notification' | 'admin' | 'console' | 'join' | 'merge' | 'universal_logout';
export const CHANGE_SOURCES: readonly ChangeSource[] = ['scim', 'reconcile', 'notification', 'admin', 'console', 'join', 'merge', 'universal_logout'];

/**
 * What justified a status change, discriminated by `kind` (e.g. the reconciler's `suspended`,
 * `deleted`, `confirmedByLookup`, `missingRuns`; SCIM's `activeAttribute`). The fields depend on the
 * kind; they are kept as given so that a security team can read them back.
 */
export interface StatusEvidence {
  kind: string;
  [field: string]: unknown;
}

export interface AuditDraft {
  orgId: string;
  actor: Actor;
  action: string;
  target: { type: string; id: string };
  /** Set on member changes (always on status changes); absent on events written before it existed. */
  source?: ChangeSource;
  before?: unknown;
  after?: unknown;
  reason?: string;
  /** What justified an automatic change (listing state, point lookup, guards passed). */
  evidence?: unknown;
}

export interface AuditEvent extends AuditDraft {
  id: string;
  /** 1-based position in the org's chain. */
  seq: number;
  at: string;
  prevHash: string;
  hash: string;
}

/** A change to deliver to webhooks; one is written with every audit event, atomically. */
export interface OutboxRecord {
  id: string;
  orgId: string;
  seq: number;
  type: string;
  payload: unknown;
  createdAt: string;
}

export type { AdminKey, ScimClient, ScimClientSecret, ScimToken } from './credential-records.js';

export type InvitationStatus = 'pending' | 'accepted' | 'revoked' | 'expired';

/** A personal invitation, bound to one email address. */
export interface Invitation {
  id: string;
  orgId: string;
  /** As typed by the inviter; matching is case-insensitive. */
  email: string;
  givenName?: string;
  familyName?: string;
  role: Role;
  teamIds: string[];
  /** `pending` past `expiresAt` reads as expired; the store reports it so (see Store). */
  status: InvitationStatus;
  /** SHA-256 of the current link token; a resend replaces it, so old links stop working. */
  tokenHash: string;
  invitedBy: Actor;
  createdAt: string;
  expiresAt: string;
  lastSentAt: string;
  sendCount: number;
  acceptedAt?: string;
  acceptedMemberId?: string;
  revokedAt?: string;
  /** Why it ended when not accepted (revoked by an admin, withdrawn because the person was deactivated, …). */
  endReason?: string;
  updatedAt: string;
  version: number;
}

/** An open invite link of an org (or of one team). */
export interface InviteLink {
  id: string;
  orgId: string;
  teamId?: string;
  role: Role;
  tokenHash: string;
  createdBy: Actor;
  createdAt: string;
  expiresAt?: string;
  /** Unlimited when absent. */
  maxUses?: number;
  uses: number;
  /** Lower-case domains a joiner's verified email must be in; empty means any. */
  allowedDomains: string[];
  /** Only people this connection's directory lists as active may use the link. */
  directoryConnectionId?: string;
  revokedAt?: string;
  updatedAt: string;
  version: number;
}

export type DirectoryProvider = 'google' | 'microsoft' | 'github';

/** `action_required`: the last run failed terminally (see syncState.actionRequired); scheduled runs wait until the connection is updated or tested. */
export type ConnectionHealth = 'unknown' | 'healthy' | 'degraded' | 'failing' | 'action_required';

/** A connection from an org to an upstream directory. Credentials are stored encrypted. */
export interface DirectoryConnection {
  id: string;
  orgId: string;
  provider: DirectoryProvider;
  name: string;
  /** Provider settings without secrets (base URLs, tenant, org, scope …). */
  settings: Record<string, unknown>;
  /** AES-GCM ciphertext of the secret part of the config (keys, client secrets, tokens). */
  credentialsCiphertext: string;
  /** Cron expression. */
  schedule: string;
  policy: Record<string, unknown>;
  /** What the reconciler keeps between runs (delta link, per-member missing counters, …). */
  syncState: Record<string, unknown>;
  health: ConnectionHealth;
  lastRunId?: string;
  lastRunAt?: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type ReconcileRunStatus = 'running' | 'completed' | 'held' | 'incomplete' | 'failed' | 'approved' | 'rejected';

export interface ReconcileRun {
  id: string;
  orgId: string;
  connectionId: string;
  dryRun: boolean;
  status: ReconcileRunStatus;
  trigger: 'schedule' | 'manual' | 'approval' | 'notification';
  startedAt: string;
  finishedAt?: string;
  /** Counters and guard verdicts (the CLI's run summary). */
  summary: Record<string, unknown>;
  /** The plan with each action and its evidence; may be large. */
  plan: unknown[];
  error?: { code: string; message: string };
  updatedAt: string;
  version: number;
}

export interface WebhookEndpoint {
  id: string;
  orgId: string;
  url: string;
  /** Event types delivered (e.g. member.deactivated); empty means all. */
  events: string[];
  /** AES-GCM ciphertext of the HMAC signing secret. */
  secretCiphertext: string;
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  /** `${endpointId}:${outboxId}`: one delivery per endpoint and event, whatever the retries. */
  id: string;
  orgId: string;
  endpointId: string;
  outboxId: string;
  /** The outbox record's seq, to read its payload back at delivery time (records written before it was added lack it). */
  outboxSeq?: number;
  eventType: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt?: string;
  lastAttemptAt?: string;
  lastStatusCode?: number;
  lastError?: string;
  /**
   * The event as it is sent, kept when its outbox record is in another scope's outbox (an org's event
   * delivered to an operator's endpoint): that org's outbox may be purged before the last retry.
   */
  event?: { type: string; time: string; orgId: string; data: unknown };
  createdAt: string;
  updatedAt: string;
}
