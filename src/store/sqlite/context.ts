import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, AuditEvent } from '../../domain/model.js';
import type { AuditMode, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { EMPTY_HEAD, nextAuditRecords, type ChainHead } from '../shared/audit-records.js';
import { SqliteConnection } from './connection.js';
import { openDatabase, type SqliteOptions } from './open.js';

export type DataRow = { data: string };

export const parse = <T>(row: DataRow | undefined): T | undefined => (row ? (JSON.parse(row.data) as T) : undefined);

export type SqliteStoreOptions = SqliteOptions & { now?: () => Date };

/**
 * What the SQLite store's area parts share: the open file, the statement cache, transactions,
 * compare-and-swap updates and the audit chain. Every mutation is one IMMEDIATE transaction (the
 * write lock is taken before reading, so the CLI and the daemon can share the file safely).
 */
export class SqliteContext extends SqliteConnection {
  /** How long a writer waits for another connection's lock (the file's other processes, the SCIM log's writer thread). */
  readonly busyTimeoutMs: number;
  readonly now: () => Date;

  constructor(opts: SqliteStoreOptions) {
    super(openDatabase(opts), opts.path);
    this.busyTimeoutMs = opts.busyTimeoutMs ?? 5000;
    this.now = opts.now ?? (() => new Date());
  }

  /** Call inside write(): checks ifVersion, runs the updater, persists with the version bumped and chains its audit draft. */
  applyUpdate<T extends { version: number }, M extends AuditMode>(
    current: T,
    updater: Updater<T, M>,
    opts: UpdateOptions | undefined,
    persist: (next: T) => void,
  ): UpdateResult<T> {
    if (opts?.ifVersion !== undefined && opts.ifVersion !== current.version) {
      throw new IdsyncError('version.mismatch', `version ${opts.ifVersion} does not match current version ${current.version}`, {
        expected: opts.ifVersion,
        actual: current.version,
      });
    }
    // Unaudited records (AuditMode) come without a draft; audited ones always carry one.
    const result = updater(current) as { next: T; audit?: AuditDraft } | null;
    if (!result) return { record: current, changed: false };
    const next = { ...result.next, version: current.version + 1 };
    persist(next);
    if (result.audit) this.appendTx(result.audit);
    return { record: next, changed: true };
  }

  /** Call inside write(): the next event of the draft's chain and its outbox record. */
  appendTx(draft: AuditDraft): AuditEvent {
    const head = (this.stmt('SELECT seq, hash FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1').get(draft.orgId) as ChainHead | undefined) ?? EMPTY_HEAD;
    const { event, outbox } = nextAuditRecords(draft, head, this.now().toISOString());
    this.stmt('INSERT INTO audit_events (org_id, seq, id, hash, data) VALUES (?, ?, ?, ?, ?)').run(event.orgId, event.seq, event.id, event.hash, JSON.stringify(event));
    this
      .stmt('INSERT INTO outbox (org_id, seq, id, type, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(outbox.orgId, outbox.seq, outbox.id, outbox.type, outbox.createdAt, JSON.stringify(outbox.payload));
    return event;
  }

  assertOrg(orgId: string): void {
    if (!this.stmt('SELECT 1 FROM orgs WHERE id = ?').get(orgId)) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  }

  /** One JSON record of an org from a table with `id`, `org_id` and `data` columns. */
  recordTx<T>(table: string, orgId: string, id: string): T | undefined {
    return parse<T>(this.stmt(`SELECT data FROM ${table} WHERE id = ? AND org_id = ?`).get(id, orgId) as DataRow | undefined);
  }

  /** Ids are chosen by callers: a second record with one id (or one token hash) is a programming error. */
  duplicateRow(err: unknown, what: string, id: string): unknown {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return new IdsyncError('internal', `${what} ${id} already exists (or its token hash is taken)`, { id });
    }
    return err;
  }
}
