import type { Statement } from 'better-sqlite3';
import { mapRuntimeError, type Db } from './open.js';

/**
 * One open SQLite connection with what every user of it needs: a statement cache, errors mapped to
 * the store's codes naming the file, and IMMEDIATE write transactions (the write lock is taken
 * before reading, so other connections to the file — the CLI, another daemon — stay safe). The
 * store's context (context.ts) and the SCIM request log's connection (scim-log.ts) are both one.
 */
export class SqliteConnection {
  private readonly statements = new Map<string, Statement>();

  constructor(
    readonly db: Db,
    readonly path: string,
  ) {}

  /** Prepared statements are cached: preparing costs more than running most of these queries. */
  stmt(sql: string): Statement {
    let s = this.statements.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.statements.set(sql, s);
    }
    return s;
  }

  run<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw mapRuntimeError(err, this.path);
    }
  }

  write<T>(fn: () => T): T {
    return this.run(() => this.db.transaction(fn).immediate());
  }

  close(): void {
    if (this.db.open) this.db.close();
    this.statements.clear();
  }
}
