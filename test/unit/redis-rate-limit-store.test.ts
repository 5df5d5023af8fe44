import { describe, expect, it } from '@jest/globals';
import type { RedisClient } from '../../src/store/redis/client.js';
import { redisRateLimitStore } from '../../src/store/redis/rate-limit-store.js';

/** A stand-in for ioredis `call`: down until `up` is set, then a tiny EVALSHA counter. */
function fakeClient() {
  const state = { up: false, loaded: new Set<string>(), hits: 0, calls: [] as string[][] };
  const call = async (command: string, ...args: string[]): Promise<unknown> => {
    state.calls.push([command, ...args]);
    if (!state.up) throw new Error('Connection is closed.');
    if (command === 'SCRIPT') {
      const { createHash } = await import('node:crypto');
      const sha = createHash('sha1').update(args[1]!).digest('hex');
      state.loaded.add(sha);
      return sha;
    }
    if (command === 'EVALSHA') {
      if (!state.loaded.has(args[0]!)) throw new Error('NOSCRIPT No matching script. Please use EVAL.');
      state.hits += 1;
      return [state.hits, 60_000];
    }
    throw new Error(`unexpected ${command}`);
  };
  return { state, client: { call } as unknown as RedisClient };
}

describe('redisRateLimitStore', () => {
  it('when Redis is down at start, then init does not fail and counting works once Redis is back', async () => {
    const { state, client } = fakeClient();
    const store = redisRateLimitStore(client, 'acme');
    await expect(Promise.resolve(store.init?.({ windowMs: 60_000 } as Parameters<NonNullable<typeof store.init>>[0]))).resolves.toBeUndefined();
    await expect(store.increment('key:k1')).rejects.toThrow('Connection is closed.');
    state.up = true;
    await expect(store.increment('key:k1')).resolves.toMatchObject({ totalHits: 1 });
    await expect(store.increment('key:k1')).resolves.toMatchObject({ totalHits: 2 });
    expect(state.calls.filter((c) => c[0] === 'EVALSHA').every((c) => c[3] === 'acme:{ratelimit}:key:k1')).toBe(true);
  });
});
