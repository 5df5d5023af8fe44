import { isIdsyncError } from '../../domain/errors.js';
import type { Logger } from '../../ports/logger.js';
import type { Store } from '../../ports/store.js';
import { createRedisClient, type RedisClient, type RedisConnectionOptions, type RedisHostPort } from './client.js';
import { createRedisStore } from './store.js';

export { createRedisClient, type RedisClient, type RedisConnectionOptions, type RedisHostPort } from './client.js';
export { createRedisStore, type RedisStoreOptions } from './store.js';

/** The `redis` section of the configuration (src/config), as the store needs it. Empty strings mean unset. */
export interface RedisStoreConfig {
  url: string;
  sentinels: readonly string[];
  sentinelName: string;
  clusterNodes: readonly string[];
  username: string;
  password: string;
  tls: boolean;
  keyPrefix: string;
  commandTimeoutMs: number;
}

/**
 * Opens the Redis store from configuration. Redis being away at start is not fatal: the store answers
 * `store.unavailable` until it is back (logged once per outage), then carries on without a restart.
 */
export async function openRedisStore(config: RedisStoreConfig, logger?: Logger): Promise<Store> {
  return (await connectRedisStore(config, logger)).store;
}

/** openRedisStore, with the client it opened (closed with the store) for parts that share the connection (the API rate limiter). */
export async function connectRedisStore(config: RedisStoreConfig, logger?: Logger): Promise<{ store: Store; client: RedisClient }> {
  let down = false;
  const client = createRedisClient({
    ...redisConnectionOptions(config),
    onError: (err) => {
      if (down) return;
      down = true;
      logger?.warn('redis connection lost; store calls answer store.unavailable until it is back', { error: err.message });
    },
  });
  client.on('ready', () => {
    if (!down) return;
    down = false;
    logger?.info('redis connection restored');
  });
  const store = createRedisStore({ client, keyPrefix: config.keyPrefix, ownsClient: true, lockWaitMs: 2 * config.commandTimeoutMs });
  try {
    await store.ping();
  } catch (err) {
    if (!isIdsyncError(err, 'store.unavailable')) throw err;
  }
  return { store, client };
}

/** How to reach Redis, from the configuration: the store and the BullMQ queue connect the same way. */
export function redisConnectionOptions(config: RedisStoreConfig): RedisConnectionOptions {
  return {
    ...(config.url ? { url: config.url } : {}),
    ...(config.sentinels.length > 0 ? { sentinels: config.sentinels.map(hostPort), name: config.sentinelName } : {}),
    ...(config.clusterNodes.length > 0 ? { clusterNodes: config.clusterNodes.map(hostPort) } : {}),
    ...(config.username ? { username: config.username } : {}),
    ...(config.password ? { password: config.password } : {}),
    tls: config.tls,
    keyPrefix: config.keyPrefix,
    commandTimeoutMs: config.commandTimeoutMs,
  };
}

function hostPort(entry: string): RedisHostPort {
  const i = entry.lastIndexOf(':');
  return { host: entry.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(entry.slice(i + 1)) };
}
