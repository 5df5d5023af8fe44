import { readFileSync } from 'node:fs';
import type { Store as RateLimitStore } from 'express-rate-limit';
import type { Config } from '../config/schema.js';
import { isIdsyncError } from '../domain/errors.js';
import type { Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { InProcessTickRunner } from '../runtime/in-process-runner.js';
import { MemoryBackoff, type ScheduledRunDeps, type TickRunner } from '../runtime/tick-runner.js';
import { openSqliteStore } from '../store/sqlite/store.js';

/**
 * What the configured backend brings for the daemon to wire. This file is the only place that knows
 * which backend it is: everything else gets these parts and uses them the same way.
 */
export interface StoreBackend {
  store: Store;
  /** A display name (`/readyz`, the start log line), never something to branch on. */
  label: string;
  /**
   * Admin API rate-limit counters that every replica shares; absent, each process counts in memory.
   * Built when called, because building it loads scripts on the store's connection.
   */
  rateLimitStore?: () => RateLimitStore;
  /** How scheduled reconcile ticks run with this backend. */
  tickRunner(deps: TickRunnerDeps): Promise<TickRunner>;
}

export interface TickRunnerDeps {
  logger: Logger;
  /** This replica's name in leases and on jobs. */
  holder: string;
  run: Omit<ScheduledRunDeps, 'backoff'>;
  failureBackoffMs: number;
  /** Job lock and stalled-check timings where ticks run as jobs (tests shorten them). */
  jobs?: { lockDurationMs?: number; stalledIntervalMs?: number };
  /** The injected clock: backoff, leases and run durations read it. */
  clock: Clock;
}

/**
 * The composition root's store choice. `waitForStore` (the daemon): a PostgreSQL that cannot be
 * reached yet is retried for `postgres.startupWaitSeconds`, as a database started beside the
 * daemon (compose, a cluster coming up) is not ready at once; Redis clients reconnect by themselves.
 */
export async function openBackend(config: Config, logger: Logger, opts: { waitForStore?: boolean } = {}): Promise<StoreBackend> {
  if (config.store === 'postgres') return postgresBackend(config, logger, opts.waitForStore ? config.postgres.startupWaitSeconds * 1000 : 0);
  return config.store === 'sqlite' ? sqliteBackend(config) : redisBackend(config, logger);
}

/** The store alone, for the CLI commands. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  return (await openBackend(config, logger)).store;
}

/** One replica: ticks run in process, each under a store lease per connection and tick. */
function sqliteBackend(config: Config): StoreBackend {
  const store = openSqliteStore({ path: config.sqlite.path, busyTimeoutMs: config.sqlite.busyTimeoutMs });
  return { store, label: 'sqlite', tickRunner: inProcessTicks(store) };
}

/** Ticks run in each replica's process; a store lease per connection and tick lets exactly one replica run it. */
function inProcessTicks(store: Store): StoreBackend['tickRunner'] {
  return async ({ logger, holder, run, failureBackoffMs, clock }) =>
    new InProcessTickRunner({ store, logger, holder, clock, run: { ...run, backoff: new MemoryBackoff(failureBackoffMs, clock) } });
}

/**
 * Any number of replicas on one PostgreSQL database: ticks run in process under store leases (as
 * with SQLite; a lease row decides which replica runs a tick, so no job queue is needed), and the
 * API rate limit counts in a table on the store's pool. The pg modules load only in this mode.
 */
async function postgresBackend(config: Config, logger: Logger, waitMs: number): Promise<StoreBackend> {
  const { connectPostgresStore } = await import('../store/postgres/store.js');
  const { PostgresRateLimitStore } = await import('../store/postgres/rate-limit-store.js');
  const pg = config.postgres;
  const connect = () => connectPostgresStore({
    url: pg.url,
    ...(pg.password !== '' ? { password: pg.password } : {}),
    ...(pg.ssl !== '' ? { sslMode: pg.ssl } : {}),
    ...(pg.caFile !== '' ? { ca: readFileSync(pg.caFile, 'utf8') } : {}),
    poolSize: pg.poolSize,
    statementTimeoutMs: pg.statementTimeoutMs,
    schema: pg.schema,
    onError: (err) => logger.warn('PostgreSQL connection lost (the pool reconnects on the next call)', { error: err.message }),
  });
  const { store, pool } = await untilReachable(connect, waitMs, logger);
  return { store, label: 'postgres', rateLimitStore: () => new PostgresRateLimitStore(pool), tickRunner: inProcessTicks(store) };
}

/**
 * Any number of replicas: ticks run as BullMQ jobs (deduplicated per connection and tick, run by any
 * replica's worker) and the API rate limit counts in Redis on the store's connection. The Redis
 * modules load only in this mode.
 */
async function redisBackend(config: Config, logger: Logger): Promise<StoreBackend> {
  const { connectRedisStore } = await import('../store/redis/index.js');
  const { redisRateLimitStore } = await import('../store/redis/rate-limit-store.js');
  const { store, client } = await connectRedisStore(config.redis, logger);
  return {
    store,
    label: 'redis',
    rateLimitStore: () => redisRateLimitStore(client, config.redis.keyPrefix),
    tickRunner: async ({ logger: log, holder, run, failureBackoffMs, jobs, clock }) => {
      const { BullmqTickRunner } = await import('../runtime/bullmq-runner.js');
      return new BullmqTickRunner({ store, logger: log, redis: config.redis, run, failureBackoffMs, holder, clock, ...jobs });
    },
  };
}

/**
 * Calls `connect` until it stops failing with `store.unavailable` or `waitMs` is spent (backoff 0.5 s
 * doubling to 5 s, each failure logged with its cause); any other error, or the last unavailable
 * one, is thrown as it came.
 */
export async function untilReachable<T>(connect: () => Promise<T>, waitMs: number, logger: Logger, sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))): Promise<T> {
  const deadline = Date.now() + waitMs;
  for (let delay = 500; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await connect();
    } catch (err) {
      const left = deadline - Date.now();
      if (!isIdsyncError(err, 'store.unavailable') || left <= 0) throw err;
      logger.warn('PostgreSQL is not reachable yet; retrying', { error: err.message, retryInMs: Math.min(delay, left), waitLeftMs: left });
      await sleep(Math.min(delay, left));
    }
  }
}
