import type pg from 'pg';
import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, AuditEvent } from '../../domain/model.js';
import type { AuditMode, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { EMPTY_HEAD, nextAuditRecords, type ChainHead } from '../shared/audit-records.js';
import { versionMismatch } from '../shared/record-errors.js';
import { lockKey, mapPgError } from './connect.js';

export type DataRow = { data: string };

export const parse = <T>(row: DataRow | undefined): T | undefined => (row ? (JSON.parse(row.data) as T) : undefined);

/** Parameters of a statement: what pg sends as text (numbers, strings, booleans, null, text arrays). */
export type Params = readonly (string | number | boolean | null | readonly (string | null)[])[];

/** Runs statements on one connection (inside a transaction) or on the pool (a read on its own). */
export interface Sql {
  rows<R>(text: string, params?: Params): Promise<R[]>;
  one<R>(text: string, params?: Params): Promise<R | undefined>;
  /** Rows changed. */
  exec(text: string, params?: Params): Promise<number>;
}

/** What a transaction's connection adds: several parameterless statements in one round trip. */
interface TxSql extends Sql {
  multi(text: string): Promise<unknown>;
  escapeLiteral(s: string): string;
}

/**
 * A transaction: its statements, and for each audit scope (org id) whose write lock it holds, the
 * chain head and whether the org exists, read right after the lock was granted. Both stay true
 * while the lock is held: every chain append and every org creation of that scope takes it.
 */
export interface Tx extends TxSql {
  readonly locked: Map<string, { head: ChainHead; orgExists: boolean }>;
}

/** Table names interpolated into SQL: only these. */
export type RecordTable = 'invitations' | 'invite_links' | 'directory_connections' | 'reconcile_runs' | 'webhooks' | 'webhook_deliveries' | 'scim_tokens' | 'role_mappings' | 'support_grants' | 'join_requests';

/**
 * What the PostgreSQL store's area parts share: the pool, transactions, compare-and-swap updates
 * and the audit chain.
 *
 * Concurrency: every audited write takes its org's transaction-scoped advisory lock first (write()),
 * then reads and locks its rows, and appends to the chain last. One lock per org, always taken
 * before any row lock, serialises an org's audited writes (as the Redis store's per-org lock does)
 * without deadlocks: the chain never forks, count-then-insert rules (pending-invitation cap, live
 * token limit, last owner) are exact, and member seqs follow commit order. Bookkeeping writes
 * (runs, deliveries, cursors, leases, the SCIM log) take no org lock. Records are read FOR UPDATE
 * inside the transaction, so an update never loses a race and needs no retry.
 */
export class PostgresContext {
  constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    readonly now: () => Date,
  ) {}

  /** A read on the pool (its own snapshot). */
  get sql(): Sql {
    return sqlOn(this.pool);
  }

  async read<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    try {
      return await fn(this.sql);
    } catch (err) {
      throw mapPgError(err);
    }
  }

  /**
   * One transaction; with `scope`, holding that org's write lock from the start (see above).
   * Errors are mapped; the connection is dropped when the transaction could not be ended cleanly.
   */
  async write<T>(scope: string | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw mapPgError(err);
    }
    let broken = false;
    try {
      const tx: Tx = Object.assign(sqlOn(client), {
        locked: new Map<string, { head: ChainHead; orgExists: boolean }>(),
        multi: (text: string) => client.query(text),
        escapeLiteral: (v: string) => client.escapeLiteral(v),
      });
      try {
        if (scope === null) await client.query('BEGIN');
        else {
          // One round trip: BEGIN, the lock, then (each statement with a snapshot taken after the lock) the head and the org.
          const results = (await client.query(`BEGIN; ${this.lockStatements(client, scope)}`)) as unknown as pg.QueryResult[];
          tx.locked.set(scope, lockedState(results.slice(1)));
        }
        const result = await fn(tx);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw err;
      }
    } catch (err) {
      const mapped = mapPgError(err);
      // A connection that failed is not handed to the next caller.
      if (mapped instanceof IdsyncError && mapped.code === 'store.unavailable') broken = true;
      throw mapped;
    } finally {
      client.release(broken);
    }
  }

  /** Call inside write(): checks ifVersion, runs the updater, persists with the version bumped and chains its audit draft. */
  async applyUpdate<T extends { version: number }, M extends AuditMode>(
    tx: Tx,
    current: T,
    updater: Updater<T, M>,
    opts: UpdateOptions | undefined,
    persist: (next: T) => Promise<void>,
  ): Promise<UpdateResult<T>> {
    if (opts?.ifVersion !== undefined && opts.ifVersion !== current.version) throw versionMismatch(opts.ifVersion, current.version);
    // Unaudited records (AuditMode) come without a draft; audited ones always carry one.
    const result = updater(current) as { next: T; audit?: AuditDraft } | null;
    if (!result) return { record: current, changed: false };
    const next = { ...result.next, version: current.version + 1 };
    await persist(next);
    if (result.audit) await this.appendTx(tx, result.audit);
    return { record: next, changed: true };
  }

  /**
   * Call inside write(): the next event of the draft's chain and its outbox record. The chain's
   * lock is normally held from the transaction's start; a draft of another scope takes it here.
   */
  async appendTx(tx: Tx, draft: AuditDraft): Promise<AuditEvent> {
    let state = tx.locked.get(draft.orgId);
    if (!state) {
      state = lockedState((await tx.multi(this.lockStatements(tx, draft.orgId))) as pg.QueryResult[]);
      tx.locked.set(draft.orgId, state);
    }
    const { event, outbox } = nextAuditRecords(draft, state.head, this.now().toISOString());
    await tx.exec(
      `WITH e AS (INSERT INTO audit_events (org_id, seq, id, hash, data) VALUES ($1, $2, $3, $4, $5))
       INSERT INTO outbox (org_id, seq, id, type, created_at, payload) VALUES ($1, $2, $3, $6, $7, $8)`,
      [event.orgId, event.seq, event.id, event.hash, JSON.stringify(event), outbox.type, outbox.createdAt, JSON.stringify(outbox.payload)],
    );
    state.head = { seq: event.seq, hash: event.hash };
    return event;
  }

  /** Simple-protocol statements (no parameters, so literals are escaped) that take a scope's lock, then read its head and its org. */
  private lockStatements(client: { escapeLiteral(s: string): string }, scope: string): string {
    const lit = client.escapeLiteral(scope);
    return [
      `SELECT pg_advisory_xact_lock(${lockKey(this.schema, `org:${scope}`)})`,
      `SELECT seq, hash FROM audit_events WHERE org_id = ${lit} ORDER BY seq DESC LIMIT 1`,
      `SELECT EXISTS (SELECT 1 FROM orgs WHERE id = ${lit}) AS org`,
    ].join('; ');
  }

  async assertOrg(tx: Sql | Tx, orgId: string): Promise<void> {
    const known = 'locked' in tx ? tx.locked.get(orgId)?.orgExists : undefined;
    const exists = known ?? (await tx.one('SELECT 1 FROM orgs WHERE id = $1', [orgId])) !== undefined;
    if (!exists) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  }

  /** One JSON record of an org from a table with `id`, `org_id` and `data` columns; locked for the transaction with `forUpdate`. */
  async record<T>(sql: Sql, table: RecordTable, orgId: string, id: string, forUpdate = false): Promise<T | undefined> {
    return parse<T>(await sql.one<DataRow>(`SELECT data FROM ${table} WHERE id = $1 AND org_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [id, orgId]));
  }

  /** Ids are chosen by callers: a second record with one id (or one token hash) is a programming error. */
  duplicateRow(err: unknown, what: string, id: string): unknown {
    if (isUniqueViolation(err)) return new IdsyncError('internal', `${what} ${id} already exists (or its token hash is taken)`, { id });
    return err;
  }
}

/** The lock statements' results after the lock itself: the head row (if any) and the org flag. */
function lockedState(results: pg.QueryResult[]): { head: ChainHead; orgExists: boolean } {
  const [, head, org] = results as [unknown, pg.QueryResult<ChainHead>, pg.QueryResult<{ org: boolean }>];
  return { head: head.rows[0] ?? EMPTY_HEAD, orgExists: org.rows[0]?.org === true };
}

export function isUniqueViolation(err: unknown, constraint?: string): boolean {
  const e = err as { code?: string; constraint?: string };
  return e.code === '23505' && (constraint === undefined || e.constraint === constraint);
}

/** Statements are prepared once per connection, by name: most of these run many times. */
function sqlOn(target: pg.Pool | pg.PoolClient): Sql {
  const run = (text: string, params?: Params) => target.query({ text, values: params as unknown[] | undefined, ...(params?.length ? { name: nameOf(text) } : {}) });
  return {
    rows: async <R>(text: string, params?: Params) => (await run(text, params)).rows as R[],
    one: async <R>(text: string, params?: Params) => (await run(text, params)).rows[0] as R | undefined,
    exec: async (text: string, params?: Params) => (await run(text, params)).rowCount ?? 0,
  };
}

const names = new Map<string, string>();
function nameOf(text: string): string {
  let name = names.get(text);
  if (!name) {
    name = `idsync_${names.size}`;
    names.set(text, name);
  }
  return name;
}
