import { describe, expect, it } from '@jest/globals';
import { backoffDelay, DEFAULT_LIMITS, parseRetryAfter } from '../../../src/connectors/http/backoff.js';
import { memoryTokenStore, TokenCache } from '../../../src/connectors/http/token-cache.js';
import { nextLink } from '../../../src/connectors/github/read.js';
import { createListing, PageTokenExpiredError } from '../../../src/connectors/listing.js';
import { createConnectorRegistry, defineConnector } from '../../../src/connectors/registry.js';
import { IdsyncError } from '../../../src/domain/errors.js';
import type { DirectoryUser } from '../../../src/ports/directory.js';
import { captureLogger, fakeTime } from '../../support/connectors.js';

const user = (id: string): DirectoryUser => ({ provider: 'google', id, login: id, primaryEmail: null, emails: [], name: { given: null, family: null, display: null }, state: 'active', isAdmin: false, raw: {} });
const zero = () => ({ apiCalls: 0, authCalls: 0, retries: 0, throttled: 0, byStatus: {} });
const listingDeps = () => ({ clock: fakeTime().clock, logger: captureLogger(), counters: zero });

describe('waiting rules', () => {
  it('when Retry-After is seconds, an HTTP-date, a past date or garbage, then the wait is read accordingly', () => {
    const now = Date.parse('2026-05-01T00:00:00Z');
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter('Fri, 01 May 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Thu, 30 Apr 2026 00:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });

  it('when backing off, then waits double per attempt within jitter bounds and stop at the cap', () => {
    const limits = { baseDelayMs: 500, maxDelayMs: 4000 };
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, limits, () => 0))).toEqual([250, 500, 1000, 2000, 2000]);
    expect([0, 1, 2, 3, 4].map((a) => backoffDelay(a, limits, () => 0.999999))).toEqual([500, 1000, 2000, 4000, 4000]);
    expect(DEFAULT_LIMITS.maxRetries).toBeGreaterThan(0);
  });

  it('when a Link header is parsed, then only rel="next" is followed, wherever it sits', () => {
    expect(nextLink('<https://a/x?page=1>; rel="prev", <https://a/x?page=3>; rel="next", <https://a/x?page=9>; rel="last"')).toBe('https://a/x?page=3');
    expect(nextLink('<https://a/x?page=9>; rel="last"')).toBeUndefined();
    expect(nextLink(null)).toBeUndefined();
  });
});

describe('token cache', () => {
  it('when many callers need a token at once, then one is requested; near expiry it is refreshed; invalidate forces a new one', async () => {
    const time = fakeTime();
    let issued = 0;
    const cache = new TokenCache(memoryTokenStore(), time.clock, async () => ({ value: `t${++issued}`, lifetimeMs: 3600_000 }));
    expect(await Promise.all([cache.token(), cache.token(), cache.token()])).toEqual(['t1', 't1', 't1']);
    time.advance(54 * 60_000);
    expect(await cache.token()).toBe('t1');
    time.advance(2 * 60_000); // inside the 5-minute refresh margin
    expect(await cache.token()).toBe('t2');
    cache.invalidate();
    expect(await cache.token()).toBe('t3');
  });
});

describe('listing contract', () => {
  it('when the consumer stops early, then the result is incomplete with aborted', async () => {
    const listing = createListing(async function* () {
      yield [user('a'), user('b')];
      yield [user('c')];
      return {};
    }, listingDeps());
    for await (const _ of listing) break;
    expect(await listing.done).toMatchObject({ complete: false, users: 1, error: { code: 'connector.aborted' } });
  });

  it('when result() is read before the end, then it says incomplete; a second iteration is refused', async () => {
    const listing = createListing(async function* () {
      yield [user('a')];
      return {};
    }, listingDeps());
    const it1 = listing[Symbol.asyncIterator]();
    await it1.next();
    expect(listing.result()).toMatchObject({ complete: false, error: { code: 'connector.incomplete' } });
    expect(() => listing[Symbol.asyncIterator]()).toThrow('iterated only once');
    await it1.next();
    expect(listing.result().complete).toBe(true);
  });

  it('when a reader fails with a non-coded error, then it is reported as internal, never as an empty success', async () => {
    const listing = createListing(async function* () {
      throw new TypeError('boom');
    }, listingDeps());
    for await (const _ of listing) throw new Error('no users expected');
    expect(await listing.done).toMatchObject({ complete: false, users: 0, error: { code: 'internal', message: 'boom' } });
  });

  it('when page tokens expire twice, then the second expiry ends the listing as incomplete', async () => {
    let passes = 0;
    const listing = createListing(async function* (ctx) {
      passes += 1;
      expect(ctx.restarted).toBe(passes > 1);
      yield [user(`p${passes}`)];
      throw new PageTokenExpiredError('expired');
    }, listingDeps());
    for await (const _ of listing);
    expect(await listing.done).toMatchObject({ complete: false, restarts: 1, users: 2, error: { code: 'connector.incomplete' } });
  });
});

describe('registry', () => {
  it('when a fake connector registers, then it parses and opens like a real one, and open refuses foreign config handles', () => {
    const fake = defineConnector('google', {
      secretKeys: [],
      parse: (input) => {
        if (typeof input !== 'object' || input === null) throw new IdsyncError('connector.invalid_config', 'google: must be an object');
        return { secret: 'x', ...input };
      },
      redact: () => ({ kind: 'fake' }),
      open: () => ({ provider: 'google', listUsers: () => createListing(async function* () { return {}; }, listingDeps()), getUser: async (id) => user(id), counters: zero }),
    });
    const registry = createConnectorRegistry([fake]);
    const handle = registry.get('google').parseConfig({});
    expect(handle.redacted).toEqual({ kind: 'fake' });
    expect(registry.get('google').open(handle, { logger: captureLogger(), clock: fakeTime().clock }).provider).toBe('google');
    expect(() => registry.get('google').open({ provider: 'google', redacted: {} }, { logger: captureLogger(), clock: fakeTime().clock })).toThrow('not produced by');
    expect(() => createConnectorRegistry([fake, fake])).toThrow('registered twice');
  });
});
