import type { Statement } from 'better-sqlite3';
import { IdsyncError } from '../../domain/errors.js';
import { emailKey } from '../../domain/keys.js';
import type { AuditDraft, AuditEvent, Member, Team } from '../../domain/model.js';
import type { AuditMode, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { EMPTY_HEAD, nextAuditRecords, type ChainHead } from '../shared/audit-records.js';
import { mapRuntimeError, openDatabase, type Db, type SqliteOptions } from './open.js';

export type DataRow = { data: string };

export const parse = <T>(row: DataRow | undefined): T | undefined => (row ? (JSON.parse(row.data) as T) : undefined);

/** The SQLite store's internals: statement cache, transactions, CAS updates and audit chaining. */
export abstract class SqliteCore {
  protected readonly db: Db;
  protected readonly path: string;
  protected readonly now: () => Date;

  constructor(opts: SqliteOptions & { now?: () => Date }) {
    this.path = opts.path;
    this.db = openDatabase(opts);
    this.now = opts.now ?? (() => new Date());
  }

  // ---- internals (called inside a transaction) ----

  protected readonly statements = new Map<string, Statement>();

  /** Prepared statements are cached: preparing costs more than running most of these queries. */
  protected stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  protected run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw mapRuntimeError(err, this.path);
    }
  }

  protected write<T>(fn: () => T): T {
    return this.run(() => this.db.transaction(fn).immediate());
  }

  protected applyUpdate<T extends { version: number }, M extends AuditMode>(
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

  protected appendTx(draft: AuditDraft): AuditEvent {
    const head = (this.stmt('SELECT seq, hash FROM audit_events WHERE org_id = ? ORDER BY seq DESC LIMIT 1').get(draft.orgId) as ChainHead | undefined) ?? EMPTY_HEAD;
    const { event, outbox } = nextAuditRecords(draft, head, this.now().toISOString());
    this.stmt('INSERT INTO audit_events (org_id, seq, id, hash, data) VALUES (?, ?, ?, ?, ?)').run(event.orgId, event.seq, event.id, event.hash, JSON.stringify(event));
    this
      .stmt('INSERT INTO outbox (org_id, seq, id, type, created_at, payload) VALUES (?, ?, ?, ?, ?, ?)')
      .run(outbox.orgId, outbox.seq, outbox.id, outbox.type, outbox.createdAt, JSON.stringify(outbox.payload));
    return event;
  }

  protected assertOrg(orgId: string): void {
    if (!this.stmt('SELECT 1 FROM orgs WHERE id = ?').get(orgId)) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  }

  protected memberTx(orgId: string, id: string): Member | undefined {
    return parse<Member>(this.stmt('SELECT data FROM members WHERE id = ? AND org_id = ?').get(id, orgId) as DataRow | undefined);
  }

  protected teamTx(orgId: string, id: string): Team | undefined {
    return parse<Team>(this.stmt('SELECT data FROM teams WHERE id = ? AND org_id = ?').get(id, orgId) as DataRow | undefined);
  }

  protected writeEmails(member: Member): void {
    const insert = this.stmt('INSERT OR IGNORE INTO member_emails (org_id, email_key, member_id) VALUES (?, ?, ?)');
    for (const e of member.emails) insert.run(member.orgId, emailKey(e.value), member.id);
  }

  /** The identity index holds live members only; a removed member is never found by its upstream identity. */
  protected writeIdentities(member: Member): void {
    this.stmt('DELETE FROM member_identities WHERE member_id = ?').run(member.id);
    if (member.status === 'removed') return;
    const insert = this.stmt('INSERT OR IGNORE INTO member_identities (org_id, provider, subject, member_id) VALUES (?, ?, ?, ?)');
    for (const i of member.identities ?? []) insert.run(member.orgId, i.provider, i.subject, member.id);
  }

  /** One JSON record of an org from a table with `id`, `org_id` and `data` columns. */
  protected recordTx<T>(table: string, orgId: string, id: string): T | undefined {
    return parse<T>(this.stmt(`SELECT data FROM ${table} WHERE id = ? AND org_id = ?`).get(id, orgId) as DataRow | undefined);
  }

  /** Ids are chosen by callers: a second record with one id (or one token hash) is a programming error. */
  protected duplicateRow(err: unknown, what: string, id: string): unknown {
    const code = (err as { code?: string }).code;
    if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
      return new IdsyncError('internal', `${what} ${id} already exists (or its token hash is taken)`, { id });
    }
    return err;
  }

  protected uniqueViolation(err: unknown, member: Member): unknown {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((err as Error).message).includes('members.user_name_key')) {
      return new IdsyncError('member.user_name_taken', `userName ${member.userName} is already taken in this organization`, { userName: member.userName });
    }
    return err;
  }

  protected teamNameViolation(err: unknown, team: Team): unknown {
    if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') {
      return new IdsyncError('team.name_taken', `team ${team.displayName} already exists in this organization`, { displayName: team.displayName });
    }
    return err;
  }
}
