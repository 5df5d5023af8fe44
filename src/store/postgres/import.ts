import type pg from 'pg';
import { TRANSFER_KINDS, type StoreImporter, type TransferKind, type TransferRecord } from '../../ports/store-transfer.js';
import { COUNTED, linkDomainRows, memberIndexRows, rowOf, setUpdatedMs, TARGET, type Values } from '../shared/transfer-rows.js';
import { createPool, mapPgError, migrate } from './connect.js';
import type { PostgresStoreOptions } from './store.js';

/** A row already there is kept; a cursor moves to the source's position. */
const CONFLICT = (kind: TransferKind) => (kind === 'outboxCursor' ? '(org_id, consumer) DO UPDATE SET seq = excluded.seq' : 'DO NOTHING');

/** One multi-row INSERT (rows in the given order, so identity seqs follow it); returns the statement. */
function insert(table: string, columns: readonly string[], rows: readonly Values[], conflict: string, returning?: string): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((row) => `(${row.map((v) => `$${values.push(v)}`).join(', ')})`);
  return { text: `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT ${conflict}${returning ? ` RETURNING ${returning}` : ''}`, values };
}

/** Records per statement: PostgreSQL takes at most 65,535 parameters. */
const ROWS_PER_STATEMENT = 500;

async function writeMemberIndexes(client: pg.PoolClient, chunk: readonly TransferRecord[], written: Set<string>): Promise<void> {
  const members = chunk.flatMap((r) => (r.kind === 'member' && written.has(r.record.id) ? [r.record] : []));
  const { emails, identities } = memberIndexRows(members);
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
            const { table, columns } = TARGET[kind];
            const rows = kind === 'signalSet' ? chunk.map((r) => [...rowOf(r), setUpdatedMs(r)]) : chunk.map(rowOf);
            const cols = kind === 'signalSet' ? [...columns, 'updated_ms'] : columns;
            const res = await client.query(insert(table, cols, rows, CONFLICT(kind), kind === 'member' ? 'id' : undefined));
            added += res.rowCount ?? 0;
            // A member's index rows go only with a member this run wrote.
            if (kind === 'member') await writeMemberIndexes(client, chunk, new Set(res.rows.map((row: { id: string }) => row.id)));
            // A link's domain rows are written whether or not this run wrote the link (they are idempotent).
            const domains = kind === 'inviteLink' ? linkDomainRows(chunk.flatMap((r) => (r.kind === 'inviteLink' ? [r.record] : []))) : [];
            for (let j = 0; j < domains.length; j += ROWS_PER_STATEMENT) await client.query(insert('invite_link_domains', ['domain', 'org_id', 'link_id'], domains.slice(j, j + ROWS_PER_STATEMENT), 'DO NOTHING'));
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
