import type { AuditStore } from './store/audit.js';
import type { ConnectionStore } from './store/connections.js';
import type { CredentialStore } from './store/credentials.js';
import type { CrossOrgIndexStore } from './store/cross-org.js';
import type { InvitationStore } from './store/invitations.js';
import type { LeaseStore } from './store/leases.js';
import type { MemberStore } from './store/members.js';
import type { MergeStore } from './store/merges.js';
import type { OrgStore } from './store/orgs.js';
import type { RoleMappingStore } from './store/role-mappings.js';
import type { ScimLogStore } from './store/scim-log.js';
import type { SessionStore } from './store/sessions.js';
import type { SignalStore } from './store/signals.js';
import type { OrgPurgeStore, SupportGrantStore } from './store/support.js';
import type { SignupStore } from './store/signup.js';
import type { TeamStore } from './store/teams.js';
import type { WebhookStore } from './store/webhooks.js';

export type { AuditStore } from './store/audit.js';
export type { ConnectionState, ConnectionStore, RealtimeChange } from './store/connections.js';
export type { CredentialStore } from './store/credentials.js';
export type { CrossOrgIndexStore } from './store/cross-org.js';
export type { InvitationStore } from './store/invitations.js';
export type { LeaseStore } from './store/leases.js';
export type { MemberBatchItem, MemberKeysetPage, MemberStore } from './store/members.js';
export type { MergeJournal, MergeStore } from './store/merges.js';
export type { OrgStore } from './store/orgs.js';
export type { RoleMappingStore } from './store/role-mappings.js';
export type { ScimLogStore } from './store/scim-log.js';
export type { SessionStore } from './store/sessions.js';
export type { SignalStore } from './store/signals.js';
export type { OrgPurgeStore, SupportGrantStore } from './store/support.js';
export type { TeamRef, TeamStore } from './store/teams.js';
export type { SignupStore } from './store/signup.js';
export type { WebhookStore } from './store/webhooks.js';
export * from './store/types.js';

/**
 * The storage port: the intersection of one interface per area (ports/store/*.ts). Two real
 * backends implement it (sqlite, redis), each composing one part per area, and one conformance
 * suite (src/store/conformance) pins its contract for both.
 *
 * Contract shared by every mutating method of every area:
 * - the change, one audit event and one outbox record are written atomically, or nothing is
 *   (bookkeeping records named as such in their area are written without either);
 * - the store assigns the audit event's id, seq, timestamp and hash chain (see chainHash);
 * - updates take an Updater with compare-and-swap semantics and return an UpdateResult;
 * - native failures are mapped to IdsyncError codes (`store.unavailable`, `member.user_name_taken`, …).
 */
export interface Store
  extends OrgStore,
    MemberStore,
    TeamStore,
    RoleMappingStore,
    InvitationStore,
    ConnectionStore,
    WebhookStore,
    CredentialStore,
    LeaseStore,
    AuditStore,
    ScimLogStore,
    SessionStore,
    MergeStore,
    SignalStore,
    SupportGrantStore,
    OrgPurgeStore,
    SignupStore,
    CrossOrgIndexStore {
  /** Resolves when the backend answers; throws `store.unavailable` otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
