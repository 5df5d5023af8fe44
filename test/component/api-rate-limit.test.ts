import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiClient } from '../support/api-client.js';
import { cli, startTestDaemon } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

type Fixture = Awaited<ReturnType<typeof scimFixture>>;
type ErrorBody = { error: { code: string; message: string; requestId?: string } };

const newKey = async (f: Fixture) => (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;

// PostgreSQL too: its counters live in a table every replica shares.
describe.each([...STORES, 'postgres' as const])('admin API rate limit on %s', (kind) => {
  describe('with a limit of 5 per minute', () => {
    let f: Fixture;
    let api: ApiClient;

    beforeAll(async () => {
      f = await scimFixture(kind, { IDSYNC_API_RATE_LIMIT: '5' });
      api = await ApiClient.connect(f.daemon.url);
    });
    afterAll(async () => {
      expect(api.violations).toEqual([]);
      await f.dispose();
    });

    it("when a key sends its 6th request within the minute, then it gets 429 api.rate_limited with Retry-After, and another key is unaffected", async () => {
      const a = await newKey(f);
      const b = await newKey(f);
      for (let i = 0; i < 5; i++) {
        const ok = await api.call('get', '/orgs', a);
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit-policy')).toMatch(/q=5; w=60/);
        expect(ok.headers.get('ratelimit')).toMatch(new RegExp(`r=${4 - i}; t=\\d+`));
      }
      const limited = await api.call<ErrorBody>('get', '/orgs', a);
      expect(limited.status).toBe(429);
      const retryAfter = Number(limited.headers.get('retry-after'));
      expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
      expect(limited.body.error).toMatchObject({ code: 'api.rate_limited', requestId: expect.any(String) });
      expect(limited.body.error.message).toContain('5 requests per minute');
      expect((await api.call('get', '/orgs', b)).status).toBe(200);
    });

    it('when requests carry no valid key, then they answer 401 and count against no key', async () => {
      for (let i = 0; i < 7; i++) expect((await api.call('get', '/orgs', 'idsk_not-a-real-key')).status).toBe(401);
      const fresh = await newKey(f);
      for (let i = 0; i < 5; i++) expect((await api.call('get', '/orgs', fresh)).status).toBe(200);
    });

    it('when a key uses the Shared Signals endpoints, then they share its budget with /api/v1 and answer 429 with Retry-After past it, while the JWKS stays open', async () => {
      const key = await newKey(f);
      const ssf = (path: string, k = key) => fetch(`${f.daemon.url}${path}`, { headers: { authorization: `Bearer ${k}` } });
      for (let i = 0; i < 3; i++) {
        const ok = await ssf('/ssf/stream');
        expect(ok.status).toBe(200);
        expect(ok.headers.get('ratelimit')).toMatch(new RegExp(`r=${4 - i}; t=\\d+`));
      }
      for (let i = 0; i < 2; i++) expect((await api.call('get', '/orgs', key)).status).toBe(200);
      const limited = await ssf('/ssf/stream');
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await limited.json()) as ErrorBody).error.code).toBe('api.rate_limited');
      expect((await api.call<ErrorBody>('get', '/orgs', key)).status).toBe(429);
      for (let i = 0; i < 8; i++) expect((await fetch(`${f.daemon.url}/ssf/jwks.json`)).status).toBe(200);
      expect((await ssf('/ssf/stream', await newKey(f))).status).toBe(200);
    });

    if (kind !== 'sqlite') {
      it(`when two replicas share the ${kind} store, then they share the count of a key`, async () => {
        const second = await startTestDaemon(f.env, f.cwd);
        try {
          const other = await ApiClient.connect(second.url);
          const key = await newKey(f);
          for (let i = 0; i < 3; i++) expect((await api.call('get', '/orgs', key)).status).toBe(200);
          for (let i = 0; i < 2; i++) expect((await other.call('get', '/orgs', key)).status).toBe(200);
          const limited = await other.call<ErrorBody>('get', '/orgs', key);
          expect(limited.status).toBe(429);
          expect(limited.body.error.code).toBe('api.rate_limited');
          expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
          expect(other.violations).toEqual([]);
        } finally {
          await second.stop();
        }
      });
    }
  });

  describe('with the limit 0', () => {
    let f: Fixture;
    let api: ApiClient;

    beforeAll(async () => {
      f = await scimFixture(kind, { IDSYNC_API_RATE_LIMIT: '0' });
      api = await ApiClient.connect(f.daemon.url);
    });
    afterAll(async () => {
      await f.dispose();
    });

    it('when a key sends many requests, then none is limited and no RateLimit headers are sent', async () => {
      const key = await newKey(f);
      for (let i = 0; i < 20; i++) {
        const res = await api.call('get', '/orgs', key);
        expect(res.status).toBe(200);
        expect(res.headers.get('ratelimit')).toBeNull();
      }
    });
  });
});
