/** Entities of the domain. Plain data: no behaviour, no imports. */

export type Role = 'owner' | 'admin' | 'member';
export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];

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
}

export const DEFAULT_ORG_SETTINGS: Readonly<OrgSettings> = Object.freeze({
  inviteTtlHours: 72,
  pendingInviteCap: 50,
  allowedDomains: [],
  scimAdoption: true,
});

export interface Organization {
  id: string;
  name: string;
  settings: OrgSettings;
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
  /** Unique among the org's non-removed members, compared case-insensitively, kept as received. */
  userName: string;
  externalId?: string;
  name: PersonName;
  displayName?: string;
  emails: Email[];
  role: Role;
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

export interface Team {
  id: string;
  orgId: string;
  /** Unique per org, compared case-insensitively. */
  displayName: string;
  externalId?: string;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export type ActorKind = 'admin' | 'cli' | 'scim' | 'directory' | 'invite' | 'system';

export interface Actor {
  kind: ActorKind;
  /** Admin key id, SCIM token id, connection id, … */
  id?: string;
  label?: string;
}

export interface AuditDraft {
  orgId: string;
  actor: Actor;
  action: string;
  target: { type: string; id: string };
  before?: unknown;
  after?: unknown;
  reason?: string;
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

export interface ScimToken {
  id: string;
  orgId: string;
  label?: string;
  /** First characters of the secret, for recognising it in lists. */
  prefix: string;
  hash: string;
  createdAt: string;
  lastUsedAt?: string;
  revokedAt?: string;
}

export interface AdminKey {
  id: string;
  /** Undefined for a provider-wide key. */
  orgId?: string;
  label?: string;
  prefix: string;
  hash: string;
  createdAt: string;
  revokedAt?: string;
}
