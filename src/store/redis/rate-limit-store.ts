import { createHash } from 'node:crypto';
import type { Store as RateLimitStore } from 'express-rate-limit';
import { RedisStore as RateLimitRedisStore, type RedisReply } from 'rate-limit-redis';
import type { RedisClient } from './client.js';

/**
 * The admin API rate limiter's counters in Redis, on the daemon's own connection, so every replica
 * shares one count per key. Keys live under `<keyPrefix>:{ratelimit}:` (one hash slot in a cluster).
 *
 * rate-limit-redis loads its Lua scripts once, at start, and would keep a failed load forever (the
 * limiter would then pass every request). A script's SHA1 is its name, so when SCRIPT LOAD cannot
 * reach Redis the SHA is computed here; the first EVALSHA after Redis is back answers NOSCRIPT and
 * the library loads the script again.
 */
export function redisRateLimitStore(client: RedisClient, keyPrefix: string): RateLimitStore {
  return new RateLimitRedisStore({
    prefix: `${keyPrefix}:{ratelimit}:`,
    sendCommand: async (command: string, ...args: string[]): Promise<RedisReply> => {
      try {
        return (await client.call(command, ...args)) as RedisReply;
      } catch (err) {
        if (command.toUpperCase() === 'SCRIPT' && args[0]?.toUpperCase() === 'LOAD' && args[1] !== undefined) return createHash('sha1').update(args[1]).digest('hex');
        throw err;
      }
    },
  });
}
