import type { Config } from '../config/schema.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { openSqliteStore } from '../store/sqlite/store.js';

/** The composition root's store choice: the only place that knows the concrete backends. */
export async function openStore(config: Config, logger: Logger): Promise<Store> {
  if (config.store === 'sqlite') {
    return openSqliteStore({ path: config.sqlite.path, busyTimeoutMs: config.sqlite.busyTimeoutMs });
  }
  const { openRedisStore } = await import('../store/redis/index.js');
  return openRedisStore(config.redis, logger);
}
