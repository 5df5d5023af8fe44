import { emailKey, teamNameKey, userNameKey } from '../../domain/keys.js';
import type pg from 'pg';
import { TRANSFER_KINDS, type StoreImporter, type TransferKind, type TransferRecord } from '../../ports/store-transfer.js';
import { epochMs } from '../shared/record-errors.js';
import { createPool, mapPgError, migrate } from './connect.js';
import type { PostgresStoreOptions } from './store.js';

/** One row of a table, as column values in the table's column order. */
type Values = readonly unknown[];

/** Where each kind goes: table, columns, and what a row that is already there does. */
const TARGET: Record<TransferKind, { table: string; columns: readonly string[]; conflict: string }> = {
  org: { table: 'orgs', columns: ['id', 'version', 'data'], conflict: 'DO NOTHING' },
  member: { table: 'members', columns: ['id', 'org_id', 'user_name_key', 'external_id', 'status', 'role', 'version', 'data'], conflict: 'DO NOTHING' },
  team: { table: 'teams', columns: ['id', 'org_id', 'name_key', 'version', 'data'], conflict: 'DO NOTHING' },
  teamMember: { table: 'team_members', columns: ['org_id', 'team_id', 'member_id'], conflict: 'DO NOTHING' },
  audit: { table: 'audit_events', columns: ['org_id', 'seq', 'id', 'hash', 'data'], conflict: 'DO NOTHING' },
  outbox: { table: 'outbox', columns: ['org_id', 'seq', 'id', 'type', 'created_at', 'payload'], conflict: 'DO NOTHING' },
  outboxCursor: { table: 'outbox_cursors', columns: ['org_id', 'consumer', 'seq'], conflict: '(org_id, consumer) DO UPDATE SET seq = excluded.seq' },
  scimToken: { table: 'scim_tokens', columns: ['id', 'org_id', 'hash', 'revoked', 'data'], conflict: 'DO NOTHING' },
  adminKey: { table: 'admin_keys', columns: ['id', 'org_id', 'hash', 'data'], conflict: 'DO NOTHING' },
  scimClient: { table: 'scim_clients', columns: ['id', 'org_id', 'version', 'data'], conflict: 'DO NOTHING' },
  invitation: { table: 'invitations', columns: ['id', 'org_id', 'email_key', 'status', 'expires_ms', 'token_hash', 'version', 'data'], conflict: 'DO NOTHING' },
  inviteLink: { table: 'invite_links', columns: ['id', 'org_id', 'token_hash', 'version', 'data'], conflict: 'DO NOTHING' },
  connection: { table: 'directory_connections', columns: ['id', 'org_id', 'version', 'data'], conflict: 'DO NOTHING' },
  run: { table: 'reconcile_runs', columns: ['id', 'org_id', 'connection_id', 'version', 'data'], conflict: 'DO NOTHING' },
  webhook: { table: 'webhooks', columns: ['id', 'org_id', 'version', 'data'], conflict: 'DO NOTHING' },
  delivery: { table: 'webhook_deliveries', columns: ['org_id', 'id', 'endpoint_id', 'status', 'next_attempt_ms', 'data'], conflict: 'DO NOTHING' },
};

const json = (v: unknown) => JSON.stringify(v);

/** The record's row, verbatim, in TARGET's column order. */
function rowOf(r: TransferRecord): Values {
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
  }
}

/** One multi-row INSERT (rows in the given order, so identity seqs follow it); returns the statement. */
function insert(table: string, columns: readonly string[], rows: readonly Values[], conflict: string, returning?: string): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v) => `$${values.push(v)}`).join(', ')})`);
  return { text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT ${conflict}${returning ? ` RETURNING ${returning}` : ''}`, values };
}

/** Records per statement: PostgreSQL takes at most 65,535 parameters. */
const ROWS_PER_STATEMENT = 500;

/** Tables counted for each kind (what `migrate-store` compares with the source). */
const COUNTED: Record<TransferKind, string> = {
  org: 'orgs',
  member: 'members',
  team: 'teams',
  teamMember: 'team_members',
  audit: 'audit_events',
  outbox: 'outbox',
  outboxCursor: 'outbox_cursors',
  scimToken: 'scim_tokens',
  adminKey: 'admin_keys',
  scimClient: 'scim_clients',
  invitation: 'invitations',
  inviteLink: 'invite_links',
  connection: 'directory_connections',
  run: 'reconcile_runs',
  webhook: 'webhooks',
  delivery: 'webhook_deliveries',
};

async function writeMemberIndexes(client: pg.PoolClient, chunk: readonly TransferRecord[], written: Set<string>): Promise<void> {
  const members = chunk.flatMap((r) => (r.kind === 'member' && written.has(r.record.id) ? [r.record] : []));
  const emails = members.flatMap((m) => m.emails.map((e): Values => [m.orgId, emailKey(e.value), m.id]));
  const identities = members.flatMap((m) => (m.status === 'removed' ? [] : (m.identities ?? [])).map((i): Values => [m.orgId, i.provider, i.subject, m.id]));
  for (let i = 0; i < emails.length; i += ROWS_PER_STATEMENT) await client.query(insert('member_emails', ['org_id', 'email_key', 'member_id'], emails.slice(i, i + ROWS_PER_STATEMENT), 'DO NOTHING'));
  for (let i = 0; i < identities.length; i += ROWS_PER_STATEMENT) {
    await client.query(insert('member_identities', ['org_id', 'provider', 'subject', 'member_id'], identities.slice(i, i + ROWS_PER_STATEMENT), 'DO NOTHING'));
  }
}

/** Writes `migrate-store` batches into PostgreSQL (migrating the target first), one transaction per batch. */
export async function openPostgresImporter(opts: PostgresStoreOptions): Promise<StoreImporter> {
  const pool = createPool(opts);
  try {
    await migrate(pool, opts.schema ?? 'public');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return {
    async importBatch(records) {
      const client = await pool.connect().catch((err: unknown) => {
        throw mapPgError(err);
      });
      let broken = false;
      try {
        await client.query('BEGIN');
        let added = 0;
        // Kinds are separate tables: grouping a batch by kind keeps each table's order.
        for (const kind of TRANSFER_KINDS) {
          const ofKind = records.filter((r) => r.kind === kind);
          for (let i = 0; i < ofKind.length; i += ROWS_PER_STATEMENT) {
            const chunk = ofKind.slice(i, i + ROWS_PER_STATEMENT);
            const { table, columns, conflict } = TARGET[kind];
            const res = await client.query(insert(table, columns, chunk.map(rowOf), conflict, kind === 'member' ? 'id' : undefined));
            added += res.rowCount ?? 0;
            // A member's index rows go only with a member this run wrote.
            if (kind === 'member') await writeMemberIndexes(client, chunk, new Set(res.rows.map((row: { id: string }) => row.id)));
          }
        }
        await client.query('COMMIT');
        return added;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw mapPgError(err);
      } finally {
        client.release(broken);
      }
    },
    async counts() {
      const sql = Object.entries(COUNTED)
        .map(([kind, table]) => `SELECT '${kind}' AS kind, count(*)::int AS n FROM ${table}`)
        .join(' UNION ALL ');
      const { rows } = await pool.query<{ kind: TransferKind; n: number }>(sql).catch((err: unknown) => {
        throw mapPgError(err);
      });
      return Object.fromEntries(rows.map((r) => [r.kind, r.n])) as Record<TransferKind, number>;
    },
    close: () => pool.end(),
  };
}
