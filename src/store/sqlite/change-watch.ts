import type { Statement } from 'better-sqlite3';
import type { Db } from './open.js';

/**
 * Tells whether some tables may have changed since a stamp was taken, exactly, for reads worth
 * remembering between requests (a SCIM token and its org on every request). Two sources of change:
 * this connection's own writes, counted by temporary triggers on those tables (they call back into
 * this process), and every other connection's commits (the CLI, another daemon on the same file, a
 * store import), which SQLite reports through `PRAGMA data_version`. A stamp is both numbers; equal
 * stamps mean none of the tables changed. False alarms (another connection's commit to any table, a
 * rolled-back write) only cost a fresh read.
 */
let watches = 0;

export class ChangeWatch {
  private own = 0;
  private readonly dataVersion: Statement;

  constructor(db: Db, tables: readonly string[]) {
    // A name of its own: two stores on one connection each count their own.
    const fn = `idsync_changed_${++watches}`;
    db.function(fn, { deterministic: false, varargs: false }, () => {
      this.own++;
      return null;
    });
    for (const table of tables) {
      for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
        db.exec(`CREATE TEMP TRIGGER IF NOT EXISTS ${fn}_${table}_${op.toLowerCase()} AFTER ${op} ON main.${table} BEGIN SELECT ${fn}(); END`);
      }
    }
    this.dataVersion = db.prepare('PRAGMA data_version').pluck();
  }

  /** An opaque stamp: equal to an earlier one only if none of the tables changed in between. */
  stamp(): string {
    return `${this.dataVersion.get() as number}:${this.own}`;
  }
}
