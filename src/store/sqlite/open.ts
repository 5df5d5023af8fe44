import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { IdsyncError } from '../../domain/errors.js';
import { MIGRATIONS } from './migrations.js';
import { scimLogPath } from './scim-log-schema.js';

export type Db = Database.Database;

export interface SqliteOptions {
  /** A file path, or ':memory:'. */
  path: string;
  /** How long a writer waits for another process's lock before failing. */
  busyTimeoutMs?: number;
}

/** How much of the file SQLite maps (256 MiB); past it, pages are read as before. */
const MMAP_BYTES = 256 * 1024 * 1024;

/** Opens the file, sets WAL, applies pending migrations. Damaged or foreign files fail naming the file. */
export function openDatabase(opts: SqliteOptions): Db {
  const { path } = opts;
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  let db: Db | undefined;
  try {
    db = new Database(path, { timeout: opts.busyTimeoutMs ?? 5000 });
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    // Pages are read through a memory map instead of one pread() each: a SCIM lookup's three
    // indexed reads cost about 4 µs less (bench/RESULTS.md, 2026-12-04). Address space, not memory.
    db.pragma(`mmap_size = ${MMAP_BYTES}`);
    migrate(db, path);
    return db;
  } catch (err) {
    db?.close();
    throw mapOpenError(err, path);
  }
}

function migrate(db: Db, path: string): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
  const applied = new Set((db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[]).map((r) => r.version));
  const known = Math.max(0, ...MIGRATIONS.map((m) => m.version));
  const newest = Math.max(0, ...applied);
  if (newest > known) {
    throw new IdsyncError('store.corrupt', `database schema version ${newest} is newer than this idsync knows (${known}); upgrade idsync`);
  }
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    if (m.attachScimLog) db.prepare('ATTACH DATABASE ? AS scimlog').run(scimLogPath(path));
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, new Date().toISOString());
      }).immediate();
    } finally {
      if (m.attachScimLog) db.exec('DETACH DATABASE scimlog');
    }
  }
}

export function mapOpenError(err: unknown, path: string): IdsyncError {
  if (err instanceof IdsyncError) return new IdsyncError(err.code, `${path}: ${err.message}`, { file: path }, { cause: err });
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new IdsyncError('store.corrupt', `SQLite file ${path} is damaged or is not a database (${msg})`, { file: path }, { cause: err });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new IdsyncError('store.unavailable', `SQLite file ${path} is locked by another process (${msg})`, { file: path }, { cause: err });
  }
  return new IdsyncError('store.unavailable', `cannot open SQLite file ${path}: ${msg}`, { file: path }, { cause: err });
}

/** Maps a runtime SQLite failure that is not a constraint the store handles itself. */
export function mapRuntimeError(err: unknown, path: string): unknown {
  if (err instanceof IdsyncError) return err;
  const code = (err as { code?: string }).code ?? '';
  const msg = err instanceof Error ? err.message : String(err);
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new IdsyncError('store.unavailable', `SQLite file ${path} is busy: ${msg}`, { file: path }, { cause: err });
  }
  if (code === 'SQLITE_NOTADB' || code.startsWith('SQLITE_CORRUPT')) {
    return new IdsyncError('store.corrupt', `SQLite file ${path} is damaged (${msg})`, { file: path }, { cause: err });
  }
  return err;
}
