import type { LeaseStore } from '../../ports/store.js';
import type { PostgresContext } from './context.js';

/**
 * Leases for scheduled work, one row per name. Taking one is a single upsert whose update applies
 * only when the lease is free, expired or already this holder's: racing replicas serialise on the
 * row, and each sees the winner's row when its own turn comes.
 */
export class PostgresLeases implements LeaseStore {
  constructor(private readonly ctx: PostgresContext) {}

  async tryAcquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = this.ctx.now().getTime();
    return this.ctx.read(async (sql) => {
      const won = await sql.one(
        `INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
         ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
         WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
         RETURNING 1`,
        [name, holder, now + ttlMs, now],
      );
      return won !== undefined;
    });
  }

  async releaseLease(name: string, holder: string): Promise<boolean> {
    return this.ctx.read(async (sql) => (await sql.exec('DELETE FROM leases WHERE name = $1 AND holder = $2', [name, holder])) > 0);
  }

  async sweepExpiredLeases(): Promise<number> {
    const now = this.ctx.now().getTime();
    return this.ctx.read((sql) => sql.exec('DELETE FROM leases WHERE expires_at <= $1', [now]));
  }
}
