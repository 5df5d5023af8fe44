import type {
  AdminKey,
  AuditEvent,
  DirectoryConnection,
  Invitation,
  InviteLink,
  Member,
  Organization,
  OutboxRecord,
  ReconcileRun,
  RoleMapping,
  ScimClient,
  ScimToken,
  Team,
  WebhookDelivery,
  WebhookEndpoint,
} from '../domain/model.js';
import type { QueuedSet, SignalStream, SigningKey } from '../domain/signals.js';
import type { PurgeReceipt, SupportGrant } from '../domain/support.js';
import type { DomainClaim, JoinRequest } from '../domain/signup.js';
import type { MergeJournal } from './store/merges.js';

/**
 * One stored record as `idsync migrate-store` moves it: exactly as the source store holds it
 * (id, version, timestamps; audit events with their seq and hashes), never rewritten on the way.
 */
export type TransferRecord =
  | { kind: 'org'; record: Organization }
  | { kind: 'member'; record: Member }
  | { kind: 'team'; record: Team }
  | { kind: 'teamMember'; orgId: string; teamId: string; memberId: string }
  | { kind: 'audit'; record: AuditEvent }
  | { kind: 'outbox'; record: OutboxRecord }
  | { kind: 'outboxCursor'; orgId: string; consumer: string; seq: number }
  | { kind: 'scimToken'; record: ScimToken }
  | { kind: 'adminKey'; record: AdminKey }
  | { kind: 'scimClient'; record: ScimClient }
  | { kind: 'invitation'; record: Invitation }
  | { kind: 'inviteLink'; record: InviteLink }
  | { kind: 'connection'; record: DirectoryConnection }
  | { kind: 'run'; record: ReconcileRun }
  | { kind: 'webhook'; record: WebhookEndpoint }
  | { kind: 'delivery'; record: WebhookDelivery }
  | { kind: 'roleMapping'; record: RoleMapping }
  | { kind: 'merge'; record: MergeJournal }
  | { kind: 'supportGrant'; record: SupportGrant }
  /** What remains of a purged org (its chain's last hash and length); kept in the provider scope. */
  | { kind: 'purgeReceipt'; record: PurgeReceipt }
  | { kind: 'domainClaim'; record: DomainClaim }
  | { kind: 'joinRequest'; record: JoinRequest }
  | { kind: 'signalStream'; record: SignalStream }
  | { kind: 'signalKey'; record: SigningKey }
  /** Only pending SETs move (delivered and failed ones are kept only to drop repeats of a fan-out). */
  | { kind: 'signalSet'; record: QueuedSet };

export type TransferKind = TransferRecord['kind'];

export const TRANSFER_KINDS: readonly TransferKind[] = [
  'org',
  'member',
  'team',
  'teamMember',
  'audit',
  'outbox',
  'outboxCursor',
  'scimToken',
  'adminKey',
  'scimClient',
  'invitation',
  'inviteLink',
  'connection',
  'run',
  'webhook',
  'delivery',
  'roleMapping',
  'merge',
  'supportGrant',
  'purgeReceipt',
  'domainClaim',
  'joinRequest',
  'signalStream',
  'signalKey',
  'signalSet',
];

/**
 * Writes records into a store verbatim, for `migrate-store`. Records arrive in the source's
 * creation order, each kind's records after those they refer to. Importing a record that is
 * already there (same id, or same org and seq) changes nothing, so an interrupted migration can be
 * run again and finishes.
 */
export interface StoreImporter {
  /** Returns how many of the batch were new. */
  importBatch(records: readonly TransferRecord[]): Promise<number>;
  /** Records of each kind the target holds now. */
  counts(): Promise<Record<TransferKind, number>>;
  close(): Promise<void>;
}
