import { emailKey, linkDomainKeys, teamNameKey, userNameKey } from '../../domain/keys.js';
import type { InviteLink, Member } from '../../domain/model.js';
import type { TransferKind, TransferRecord } from '../../ports/store-transfer.js';
import { epochMs } from './record-errors.js';

/**
 * The rows `migrate-store` writes for each record kind, shared by the SQL importers (SQLite and
 * PostgreSQL keep the same tables and columns): the record verbatim in `data`, plus the columns its
 * lookups use, computed as the stores compute them.
 */
/** One row of a table, as column values in the table's column order. */
export type Values = readonly unknown[];

/** Where each kind goes: table and columns. A row already there is kept, except a cursor (it moves to the source's position). */
export const TARGET: Record<TransferKind, { table: string; columns: readonly string[] }> = {
  org: { table: 'orgs', columns: ['id', 'version', 'data'] },
  member: { table: 'members', columns: ['id', 'org_id', 'user_name_key', 'external_id', 'status', 'role', 'version', 'data'] },
  team: { table: 'teams', columns: ['id', 'org_id', 'name_key', 'version', 'data'] },
  teamMember: { table: 'team_members', columns: ['org_id', 'team_id', 'member_id'] },
  audit: { table: 'audit_events', columns: ['org_id', 'seq', 'id', 'hash', 'data'] },
  outbox: { table: 'outbox', columns: ['org_id', 'seq', 'id', 'type', 'created_at', 'payload'] },
  outboxCursor: { table: 'outbox_cursors', columns: ['org_id', 'consumer', 'seq'] },
  scimToken: { table: 'scim_tokens', columns: ['id', 'org_id', 'hash', 'revoked', 'data'] },
  adminKey: { table: 'admin_keys', columns: ['id', 'org_id', 'hash', 'data'] },
  scimClient: { table: 'scim_clients', columns: ['id', 'org_id', 'version', 'data'] },
  invitation: { table: 'invitations', columns: ['id', 'org_id', 'email_key', 'status', 'expires_ms', 'token_hash', 'version', 'data'] },
  inviteLink: { table: 'invite_links', columns: ['id', 'org_id', 'token_hash', 'version', 'data'] },
  connection: { table: 'directory_connections', columns: ['id', 'org_id', 'version', 'data'] },
  run: { table: 'reconcile_runs', columns: ['id', 'org_id', 'connection_id', 'version', 'data'] },
  webhook: { table: 'webhooks', columns: ['id', 'org_id', 'version', 'data'] },
  delivery: { table: 'webhook_deliveries', columns: ['org_id', 'id', 'endpoint_id', 'status', 'next_attempt_ms', 'data'] },
  roleMapping: { table: 'role_mappings', columns: ['id', 'org_id', 'version', 'data'] },
  merge: { table: 'org_merges', columns: ['source_org_id', 'target_org_id', 'version', 'data'] },
  supportGrant: { table: 'support_grants', columns: ['id', 'org_id', 'version', 'data'] },
  purgeReceipt: { table: 'org_purge_receipts', columns: ['org_id', 'data'] },
  domainClaim: { table: 'domain_claims', columns: ['org_id', 'domain', 'verified_domain', 'version', 'data'] },
  joinRequest: { table: 'join_requests', columns: ['id', 'org_id', 'status', 'version', 'data'] },
  signalStream: { table: 'signal_streams', columns: ['id', 'scope', 'version', 'data'] },
  signalKey: { table: 'signal_keys', columns: ['kid', 'created_at', 'data'] },
  // PostgreSQL's table adds updated_ms (its importer appends it, see setUpdatedMs).
  signalSet: { table: 'signal_sets', columns: ['stream_id', 'jti', 'status', 'next_attempt_ms', 'data'] },
};

const json = (v: unknown) => JSON.stringify(v);

/** The record's row, verbatim, in TARGET's column order. */
export function rowOf(r: TransferRecord): Values {
  switch (r.kind) {
    case 'org':
      return [r.record.id, r.record.version, json(r.record)];
    case 'member': {
      const m = r.record;
      return [m.id, m.orgId, userNameKey(m.userName), m.externalId ?? null, m.status, m.role, m.version, json(m)];
    }
    case 'team':
      return [r.record.id, r.record.orgId, teamNameKey(r.record.displayName), r.record.version, json(r.record)];
    case 'teamMember':
      return [r.orgId, r.teamId, r.memberId];
    case 'audit':
      return [r.record.orgId, r.record.seq, r.record.id, r.record.hash, json(r.record)];
    case 'outbox':
      return [r.record.orgId, r.record.seq, r.record.id, r.record.type, r.record.createdAt, json(r.record.payload)];
    case 'outboxCursor':
      return [r.orgId, r.consumer, r.seq];
    case 'scimToken':
      return [r.record.id, r.record.orgId, r.record.hash, Boolean(r.record.revokedAt), json(r.record)];
    case 'adminKey':
      return [r.record.id, r.record.orgId ?? null, r.record.hash, json(r.record)];
    case 'scimClient':
      return [r.record.id, r.record.orgId, r.record.version, json(r.record)];
    case 'invitation': {
      const i = r.record;
      return [i.id, i.orgId, emailKey(i.email), i.status, epochMs(i.expiresAt, 'expiresAt'), i.tokenHash, i.version, json(i)];
    }
    case 'inviteLink':
      return [r.record.id, r.record.orgId, r.record.tokenHash, r.record.version, json(r.record)];
    case 'connection':
      return [r.record.id, r.record.orgId, r.record.version, json(r.record)];
    case 'run':
      return [r.record.id, r.record.orgId, r.record.connectionId, r.record.version, json(r.record)];
    case 'webhook':
      return [r.record.id, r.record.orgId, r.record.version, json(r.record)];
    case 'delivery': {
      const d = r.record;
      return [d.orgId, d.id, d.endpointId, d.status, d.nextAttemptAt === undefined ? null : epochMs(d.nextAttemptAt, 'nextAttemptAt'), json(d)];
    }
    case 'roleMapping':
      return [r.record.id, r.record.orgId, r.record.version, json(r.record)];
    case 'merge':
      return [r.record.sourceOrgId, r.record.targetOrgId, r.record.version, json(r.record)];
    case 'supportGrant':
      return [r.record.id, r.record.orgId, r.record.version, json(r.record)];
    case 'purgeReceipt':
      return [r.record.orgId, json(r.record)];
    case 'domainClaim':
      return [r.record.orgId, r.record.domain, r.record.status === 'verified' ? r.record.domain : null, r.record.version, json(r.record)];
    case 'joinRequest':
      return [r.record.id, r.record.orgId, r.record.status, r.record.version, json(r.record)];
    case 'signalStream':
      return [r.record.id, r.record.scope, r.record.version, json(r.record)];
    case 'signalKey':
      return [r.record.kid, r.record.createdAt, json(r.record)];
    case 'signalSet': {
      const s = r.record;
      const due = s.status === 'pending' && s.nextAttemptAt !== undefined ? epochMs(s.nextAttemptAt, 'nextAttemptAt') : null;
      return [s.streamId, s.jti, s.status, due, json(s)];
    }
  }
}

/** PostgreSQL's signal_sets also keeps when a SET last changed (what forgetting done SETs compares). */
export const setUpdatedMs = (r: TransferRecord): number | undefined => (r.kind === 'signalSet' ? epochMs(r.record.updatedAt, 'updatedAt') : undefined);

/** The email and upstream-identity index rows of members (a removed member keeps no identity rows). */
export function memberIndexRows(members: readonly Member[]): { emails: Values[]; identities: Values[] } {
  return {
    emails: members.flatMap((m) => m.emails.map((e): Values => [m.orgId, emailKey(e.value), m.id])),
    identities: members.flatMap((m) => (m.status === 'removed' ? [] : (m.identities ?? [])).map((i): Values => [m.orgId, i.provider, i.subject, m.id])),
  };
}

/** The invite_link_domains rows of invite links (domain, org_id, link_id): what the cross-org domain lookup reads. */
export function linkDomainRows(links: readonly InviteLink[]): Values[] {
  return links.flatMap((l) => linkDomainKeys(l.allowedDomains).map((d): Values => [d, l.orgId, l.id]));
}

/** Tables counted for each kind (what `migrate-store` compares with the source). */
export const COUNTED: Record<TransferKind, string> = {
  ...(Object.fromEntries(Object.entries(TARGET).map(([k, t]) => [k, t.table])) as Record<TransferKind, string>),
  // Only pending SETs are moved, so only they are compared.
  signalSet: "signal_sets WHERE status = 'pending'",
};
