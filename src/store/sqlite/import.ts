import { TRANSFER_KINDS, type StoreImporter, type TransferKind, type TransferRecord } from '../../ports/store-transfer.js';
import { COUNTED, linkDomainRows, memberIndexRows, rowOf, TARGET, type Values } from '../shared/transfer-rows.js';
import { mapRuntimeError, openDatabase, type Db } from './open.js';

/** SQLite binds no booleans: a flag column holds 0 or 1, as the store writes it. */
const bindable = (row: Values): unknown[] => row.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));

/** A row already there is kept (uniqueness only: any other constraint still fails); a cursor moves to the source's position. */
const conflict = (kind: TransferKind) => (kind === 'outboxCursor' ? 'ON CONFLICT (org_id, consumer) DO UPDATE SET seq = excluded.seq' : 'ON CONFLICT DO NOTHING');

/**
 * Writes `migrate-store` batches into a SQLite file (created and migrated when missing), one
 * transaction per batch, in the order they arrive, so each table's insertion order (its seq, which
 * paging follows) is the source's. A record already there is skipped: a rerun finishes.
 */
export function openSqliteImporter(opts: { path: string; busyTimeoutMs?: number }): StoreImporter {
  const db: Db = openDatabase(opts);
  const statements = new Map(
    TRANSFER_KINDS.map((kind) => {
      const { table, columns } = TARGET[kind];
      return [kind, db.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')}) ${conflict(kind)}`)] as const;
    }),
  );
  const email = db.prepare('INSERT INTO member_emails (org_id, email_key, member_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const identity = db.prepare('INSERT INTO member_identities (org_id, provider, subject, member_id) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING');
  const linkDomain = db.prepare('INSERT INTO invite_link_domains (domain, org_id, link_id) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  const write = db.transaction((records: readonly TransferRecord[]) => {
    let added = 0;
    for (const r of records) {
      const changed = statements.get(r.kind)!.run(...bindable(rowOf(r))).changes;
      added += changed;
      // A member's index rows go only with a member this run wrote.
      if (r.kind === 'member' && changed > 0) {
        const { emails, identities } = memberIndexRows([r.record]);
        for (const row of emails) email.run(...row);
        for (const row of identities) identity.run(...row);
      }
      // A link's domain rows are written whether or not this run wrote the link (they are idempotent).
      if (r.kind === 'inviteLink') for (const row of linkDomainRows([r.record])) linkDomain.run(...row);
    }
    return added;
  });
  return {
    async importBatch(records) {
      try {
        return write.immediate(records);
      } catch (err) {
        throw mapRuntimeError(err, opts.path);
      }
    },
    async counts() {
      const sql = Object.entries(COUNTED)
        .map(([kind, table]) => `SELECT '${kind}' AS kind, count(*) AS n FROM ${table}`)
        .join(' UNION ALL ');
      const rows = db.prepare(sql).all() as { kind: TransferKind; n: number }[];
      return Object.fromEntries(rows.map((r) => [r.kind, r.n])) as Record<TransferKind, number>;
    },
    async close() {
      db.close();
    },
  };
}
