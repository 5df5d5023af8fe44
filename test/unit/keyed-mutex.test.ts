import { describe, expect, it } from '@jest/globals';
import { KeyedMutex } from '../../src/runtime/keyed-mutex.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const timedOut = (key: string, ms: number) => new Error(`${key} waited ${ms} ms`);

describe('KeyedMutex', () => {
  it('when ten turns of one key that each take 30 ms queue with a 100 ms wait, then all of them run, one at a time, in order', async () => {
    const mutex = new KeyedMutex(100, timedOut);
    let running = 0;
    let most = 0;
    const order: number[] = [];

    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        mutex.run('org', async () => {
          most = Math.max(most, ++running);
          await sleep(30);
          running--;
          order.push(i);
          return i;
        }),
      ),
    );

    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(most).toBe(1);
  });

  it('when every turn fails after 60 ms (a store that hangs), then the callers queued behind fail about 100 ms after they queued, not after the whole queue', async () => {
    const mutex = new KeyedMutex(100, timedOut);
    const started = Date.now();
    const hang = async () => {
      await sleep(60);
      throw new Error('command timed out');
    };

    const outcomes = await Promise.all(Array.from({ length: 6 }, () => mutex.run('org', hang).then(() => 'ok', (err: Error) => err.message)));
    const took = Date.now() - started;

    expect(outcomes[0]).toBe('command timed out');
    expect(outcomes.filter((o) => o === 'org waited 100 ms').length).toBeGreaterThanOrEqual(3);
    // Six turns of 60 ms would take 360 ms; the queue gives up at its 100 ms wait (plus the turn running then).
    expect(took).toBeLessThan(300);
  });

  it('when one key is busy, then another key does not wait for it, and a key whose queue emptied starts afresh', async () => {
    const mutex = new KeyedMutex(50, timedOut);
    const slow = mutex.run('a', () => sleep(200).then(() => 'a'));
    const started = Date.now();

    expect(await mutex.run('b', async () => 'b')).toBe('b');
    expect(Date.now() - started).toBeLessThan(50);
    expect(await slow).toBe('a');
    expect(await mutex.run('a', async () => 'again')).toBe('again');
  });
});
