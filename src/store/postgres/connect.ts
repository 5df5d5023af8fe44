import { createHash } from 'node:crypto';
import pg from 'pg';
import { IdsyncError } from '../../domain/errors.js';
import { PG_MIGRATIONS } from './migrations.js';

/** How to reach PostgreSQL and how the pool behaves. */
export interface PostgresConnectionOptions {
  /** `postgres://user:password@host:port/database?…`. */
  url: string;
  /** Used when the URL carries none (a password kept in its own secret). */
  password?: string;
  /**
   * TLS: `disable`, `require` (encrypted, certificate not checked), `verify-ca` (signed by `caFile`'s
   * or the system's CAs) or `verify-full` (and the host name matches). Absent: as the URL's sslmode says.
   */
  sslMode?: 'disable' | 'require' | 'verify-ca' | 'verify-full';
  /** PEM bundle of the CAs the server certificate must chain to (verify-ca, verify-full). */
  ca?: string;
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
  /** A statement (or a wait for a lock) that takes longer is cancelled and reported as `store.unavailable`. Default 5000 ms. */
  statementTimeoutMs?: number;
  /** How long a call waits for a connection (a new one, or a free one of the pool). Default 5000 ms. */
  connectTimeoutMs?: number;
  /** The schema idsync's tables live in (created when missing). Default `public`. */
  schema?: string;
  /** Receives errors of idle connections (a restarted server ends them); silent when absent. */
  onError?: (err: Error) => void;
}

export const DEFAULT_POOL_SIZE = 10;
export const DEFAULT_STATEMENT_TIMEOUT_MS = 5000;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** bigint columns (seq, epoch milliseconds) come back as numbers: every value idsync stores is a safe integer. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === pg.types.builtins.INT8 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

export function createPool(opts: PostgresConnectionOptions): pg.Pool {
  const schema = opts.schema ?? 'public';
  if (!SCHEMA_NAME.test(schema)) throw new IdsyncError('config.invalid', `PostgreSQL schema ${JSON.stringify(schema)}: lower-case letters, digits and _ only`);
  const timeout = opts.statementTimeoutMs ?? DEFAULT_STATEMENT_TIMEOUT_MS;
  const url = new URL(opts.url);
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') throw new IdsyncError('config.invalid', 'PostgreSQL: the URL must start with postgres:// or postgresql://');
  // pg lets the URL's fields override explicit ones (even an absent password), so the separate password goes into the URL.
  if (url.password === '' && opts.password) url.password = encodeURIComponent(opts.password);
  const pool = new pg.Pool({
    connectionString: url.toString(),
    ...(opts.sslMode !== undefined ? { ssl: sslOptions(opts.sslMode, opts.ca) } : {}),
    max: opts.poolSize ?? DEFAULT_POOL_SIZE,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 30_000,
    // Server-side bounds, and a client-side one for a server that stopped answering at all.
    options: `-c search_path=${schema} -c statement_timeout=${timeout} -c idle_in_transaction_session_timeout=${Math.max(timeout * 2, 10_000)}`,
    query_timeout: timeout + 2000,
    application_name: 'idsync',
    types,
  });
  pool.on('error', (err) => opts.onError?.(err));
  return pool;
}

function sslOptions(mode: NonNullable<PostgresConnectionOptions['sslMode']>, ca: string | undefined): false | { rejectUnauthorized: boolean; ca?: string; checkServerIdentity?: () => undefined } {
  switch (mode) {
    case 'disable':
      return false;
    case 'require':
      return { rejectUnauthorized: false };
    case 'verify-ca':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}), checkServerIdentity: () => undefined };
    case 'verify-full':
      return { rejectUnauthorized: true, ...(ca ? { ca } : {}) };
  }
}

/** SQLSTATE classes and codes that mean "not now" rather than "wrong". */
const UNAVAILABLE_STATES = /^(08|53|57P0|57014|55P03|40001|40P01|3D000|28)/;
const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_MESSAGES = /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Client was closed|Cannot use a pool after calling end/i;

export function unavailable(message: string, cause?: unknown): IdsyncError {
  return new IdsyncError('store.unavailable', `PostgreSQL is unavailable: ${message}`, undefined, cause === undefined ? undefined : { cause });
}

/**
 * Maps what a pg call rejected with onto the error contract: connection failures, a server shutting
 * down (57P01 admin_shutdown, …), too many connections, timeouts, lock waits and serialization
 * failures are `store.unavailable` (503 with Retry-After; a retry is safe). Constraint violations
 * are handled by the area that expects them; anything else is passed on unchanged.
 */
export function mapPgError(err: unknown): unknown {
  // Not `instanceof Error`: socket errors are made by Node's own realm, which differs from the caller's under a VM (jest).
  if (err instanceof IdsyncError || typeof err !== 'object' || err === null) return err;
  const { code, message = '', errors } = err as { code?: unknown; message?: string; errors?: unknown };
  if (typeof code === 'string' && (UNAVAILABLE_NODE_CODES.has(code) || (/^[0-9A-Z]{5}$/.test(code) && UNAVAILABLE_STATES.test(code)))) {
    return unavailable(`${message || code}${/^[0-9A-Z]{5}$/.test(code) ? ` (SQLSTATE ${code})` : ''}`, err);
  }
  if (UNAVAILABLE_MESSAGES.test(message)) return unavailable(message, err);
  // A host name that resolves to several addresses fails with one error per address.
  if (Array.isArray(errors) && errors.some((e) => mapPgError(e) instanceof IdsyncError)) return unavailable(errors.map((e: { message?: string }) => e.message).join('; '), err);
  return err;
}

/** A stable 64-bit advisory lock key for a name (within one schema). */
export function lockKey(schema: string, name: string): string {
  return createHash('sha256').update(`${schema}\0${name}`).digest().readBigInt64BE(0).toString();
}

/**
 * Creates the schema if needed and applies pending migrations, holding a session advisory lock so
 * that replicas starting together migrate one at a time. A database migrated by a newer idsync is
 * refused (`store.corrupt`), before anything is written to it.
 */
export async function migrate(pool: pg.Pool, schema: string): Promise<void> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    throw mapPgError(err);
  }
  let broken = false;
  try {
    const key = lockKey(schema, 'migrations');
    await client.query(`SELECT pg_advisory_lock(${key})`);
    try {
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
      await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
      const applied = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
      const known = Math.max(0, ...PG_MIGRATIONS.map((m) => m.version));
      const newest = Math.max(0, ...applied);
      if (newest > known) {
        throw new IdsyncError('store.corrupt', `PostgreSQL schema ${schema} is at version ${newest}, newer than this idsync knows (${known}); upgrade idsync`, { schema, version: newest, known });
      }
      for (const m of PG_MIGRATIONS) {
        if (applied.has(m.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(m.sql);
          await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } finally {
      await client.query(`SELECT pg_advisory_unlock(${key})`).catch(() => {
        broken = true;
      });
    }
  } catch (err) {
    broken = true;
    throw mapPgError(err);
  } finally {
    client.release(broken);
  }
}
