import type { ClientRateLimitInfo, Options, Store as RateLimitStore } from 'express-rate-limit';
import type pg from 'pg';
import { mapPgError } from './connect.js';

const NOW_MS = '(extract(epoch FROM clock_timestamp()) * 1000)::bigint';
/** Expired windows are deleted by one call in this many, so the table holds about one row per active key. */
const SWEEP_EVERY = 500;

/**
 * The admin API rate limiter's fixed windows in PostgreSQL (the `rate_limits` table), on the
 * store's pool, so every replica shares one count per key. An increment is one atomic upsert that
 * starts a new window when the old one has ended; windows are timed by the database's clock, so
 * replicas whose clocks differ still share them.
 */
export class PostgresRateLimitStore implements RateLimitStore {
  readonly prefix = 'rl:';
  private windowMs = 60_000;
  private calls = 0;

  constructor(private readonly pool: pg.Pool) {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const { rows } = await this.query<{ hits: number; reset_ms: number }>(`SELECT hits, reset_ms FROM rate_limits WHERE key = $1 AND reset_ms > ${NOW_MS}`, [this.prefix + key]);
    return rows[0] ? { totalHits: rows[0].hits, resetTime: new Date(rows[0].reset_ms) } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    if (++this.calls % SWEEP_EVERY === 0) void this.query(`DELETE FROM rate_limits WHERE reset_ms <= ${NOW_MS}`, []).catch(() => undefined);
    const { rows } = await this.query<{ hits: number; reset_ms: number }>(
      `INSERT INTO rate_limits AS r (key, hits, reset_ms) VALUES ($1, 1, ${NOW_MS} + $2)
       ON CONFLICT (key) DO UPDATE SET
         hits = CASE WHEN r.reset_ms <= ${NOW_MS} THEN 1 ELSE r.hits + 1 END,
         reset_ms = CASE WHEN r.reset_ms <= ${NOW_MS} THEN ${NOW_MS} + $2 ELSE r.reset_ms END
       RETURNING hits, reset_ms`,
      [this.prefix + key, this.windowMs],
    );
    return { totalHits: rows[0]!.hits, resetTime: new Date(rows[0]!.reset_ms) };
  }

  async decrement(key: string): Promise<void> {
    await this.query('UPDATE rate_limits SET hits = greatest(hits - 1, 0) WHERE key = $1', [this.prefix + key]);
  }

  async resetKey(key: string): Promise<void> {
    await this.query('DELETE FROM rate_limits WHERE key = $1', [this.prefix + key]);
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    try {
      return await this.pool.query<R>(text, values);
    } catch (err) {
      throw mapPgError(err);
    }
  }
}
