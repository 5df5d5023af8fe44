import type { Cluster, Redis } from 'ioredis';
import { systemClock, type Clock } from '../ports/clock.js';
import { createRedisClient, redisConnectionOptions, type RedisStoreConfig } from '../store/redis/index.js';
import { backoffDelay, MAX_BACKOFF_MS, type FailureBackoff } from './tick-runner.js';

export type BullRedis = Redis | Cluster;

/** The BullMQ queue of scheduled reconcile runs. */
export const RECONCILE_QUEUE = 'reconcile';

/**
 * BullMQ's key prefix: the store's key prefix inside a hash tag, so that every key of the queue
 * lands in one Redis Cluster slot (BullMQ's scripts touch several keys at once). Used in every mode,
 * so the key names do not change when a deployment moves to a Cluster.
 */
export function bullPrefix(keyPrefix: string): string {
  return `{${keyPrefix}bull}`;
}

/**
 * The job id of one tick of one connection: every replica computes the same id for the same tick,
 * and BullMQ adds a job id only once. BullMQ refuses ':' in custom ids, so the tick is written
 * compactly (20261123T003349Z) and joined with '.'.
 */
export function reconcileJobId(connectionId: string, tick: Date): string {
  return `${connectionId}.${tick.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}`;
}

/**
 * ioredis connections for BullMQ, reaching Redis exactly as the store does (redisConnectionOptions),
 * never with an ioredis keyPrefix (the namespace is BullMQ's `prefix`, see bullPrefix):
 * - `producer` (the Queue, the backoff keys) fails fast like the store's client, so a cron tick
 *   during an outage is skipped and logged, never hangs;
 * - `consumer` (the Worker; BullMQ duplicates it for its own and its blocking connection) waits
 *   out an outage, as BullMQ requires, and carries on.
 * Both reconnect until `closing()` says the runner is shutting down; then a lost connection stays
 * closed, so shutdown never waits for Redis.
 */
export function createBullConnections(config: RedisStoreConfig, closing: () => boolean): { producer: BullRedis; consumer: BullRedis } {
  const base = { ...redisConnectionOptions(config), reconnect: () => !closing() };
  return {
    producer: createRedisClient({ ...base, connectionName: 'idsync-bull-queue' }),
    consumer: createRedisClient({ ...base, connectionName: 'idsync-bull-worker', waitWhileDisconnected: true }),
  };
}

/**
 * The failure backoff shared by every replica (a job may run on any of them): one key per failing
 * connection, `{"count":n,"until":ms}`, expiring an hour after its wait ends.
 */
export class RedisBackoff implements FailureBackoff {
  constructor(
    private readonly client: BullRedis,
    private readonly prefix: string,
    private readonly baseMs: number,
    private readonly clock: Clock = systemClock,
  ) {}

  private key(connectionId: string): string {
    return `${this.prefix}:idsync-backoff:${connectionId}`;
  }

  private async read(connectionId: string): Promise<{ count: number; until: number } | undefined> {
    const raw = await this.client.get(this.key(connectionId));
    if (!raw) return undefined;
    const v = JSON.parse(raw) as { count?: unknown; until?: unknown };
    return typeof v.count === 'number' && typeof v.until === 'number' ? { count: v.count, until: v.until } : undefined;
  }

  async until(connectionId: string): Promise<number> {
    return (await this.read(connectionId))?.until ?? 0;
  }

  /** Runs are single-flight per connection, so the read-modify-write has no competitor. */
  async failed(connectionId: string): Promise<{ failures: number; retryInMs: number }> {
    const failures = ((await this.read(connectionId))?.count ?? 0) + 1;
    const retryInMs = backoffDelay(this.baseMs, failures);
    await this.client.set(this.key(connectionId), JSON.stringify({ count: failures, until: this.clock.now().getTime() + retryInMs }), 'PX', retryInMs + MAX_BACKOFF_MS);
    return { failures, retryInMs };
  }

  async succeeded(connectionId: string): Promise<void> {
    await this.client.del(this.key(connectionId));
  }
}
