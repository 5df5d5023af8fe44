import type { LeaseStore } from '../../ports/store.js';
import type { SqliteContext } from './context.js';

/** Leases for scheduled work, in one row per name. */
export class SqliteLeases implements LeaseStore {
  constructor(private readonly ctx: SqliteContext) {}

  async tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.ctx.write(() => {
      const now = this.ctx.now().getTime();
      const cur = this.ctx.stmt('SELECT holder, expires_at FROM leases WHERE name = ?').get(name) as { holder: string; expires_at: number } | undefined;
      if (cur && cur.holder !== holder && cur.expires_at > now) return false;
      this.ctx.stmt('INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?) ON CONFLICT(name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at').run(name, holder, now + ttlMs);
      return true;
    });
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    return this.ctx.write(() => this.ctx.stmt('DELETE FROM leases WHERE name = ? AND holder = ?').run(name, holder).changes > 0);
  }

  async sweepExpiredLeases(): Promise<number> {
    return this.ctx.write(() => this.ctx.stmt('DELETE FROM leases WHERE expires_at <= ?').run(this.ctx.now().getTime()).changes);
  }
}
