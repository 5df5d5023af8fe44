import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUP, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

type Page = { totalResults?: number; itemsPerPage: number; nextCursor?: string; startIndex?: number; Resources: { id: string; userName?: string; displayName?: string }[] };
const enc = encodeURIComponent;

describe.each(STORES)('SCIM cursor paging (RFC 9865) on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  const ids: string[] = [];

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    ({ scim } = await f.newOrg('Cursor'));
    for (let i = 0; i < 23; i++) {
      const res = await scim.post('/Users', { schemas: [USER], userName: `c${String(i).padStart(2, '0')}@${i % 2 ? 'odd' : 'even'}.example`, ...(i === 7 ? { active: false } : {}) });
      ids.push(res.body.id as string);
    }
  }, 60_000);
  afterAll(async () => f.dispose());

  it('when /ServiceProviderConfig is read, then it advertises both pagination methods with their limits', async () => {
    expect((await scim.get('/ServiceProviderConfig')).body.pagination).toEqual({ cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: 100, maxPageSize: 1000, cursorTimeout: 3600 });
  });

  it('when users are walked by cursor while others are created and deleted, then each live user comes once, in creation order, and the last page has no nextCursor', async () => {
    const seen: string[] = [];
    let res = await scim.get<Page>('/Users?cursor&count=5&attributes=userName');
    expect(res.body.totalResults).toBe(23);
    expect(res.body.startIndex).toBeUndefined();
    const created: string[] = [];
    for (let page = 0; ; page++) {
      expect(res.status).toBe(200);
      expect(res.body.itemsPerPage).toBe(res.body.Resources.length);
      seen.push(...res.body.Resources.map((r) => r.id));
      if (page === 0) {
        // During the walk: one user not reached yet is deleted, one already seen is deleted, one is created.
        expect((await scim.delete(`/Users/${ids[12]}`)).status).toBe(204);
        expect((await scim.delete(`/Users/${ids[1]}`)).status).toBe(204);
        created.push((await scim.post('/Users', { schemas: [USER], userName: 'late@odd.example' })).body.id as string);
      }
      if (!res.body.nextCursor) break;
      res = await scim.get<Page>(`/Users?cursor=${enc(res.body.nextCursor)}&count=5&attributes=userName`);
    }
    expect(seen).toEqual([...ids.filter((_, i) => i !== 12), ...created]);
    // POST /.search takes the same parameters in its body.
    const search = await scim.post<Page>('/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:SearchRequest'], cursor: '', count: 3 });
    expect(search.body.Resources).toHaveLength(3);
    expect(search.body.nextCursor).toEqual(expect.any(String));
  });

  it('when a filter is walked by cursor, then only matches come, every one once, and the cursor belongs to that filter', async () => {
    const filter = enc('userName ew "@odd.example"');
    const seen: string[] = [];
    let res = await scim.get<Page>(`/Users?filter=${filter}&cursor=&count=4`);
    let other: string | undefined;
    for (;;) {
      seen.push(...res.body.Resources.map((r) => r.userName!));
      other ??= res.body.nextCursor;
      if (!res.body.nextCursor) break;
      res = await scim.get<Page>(`/Users?filter=${filter}&cursor=${enc(res.body.nextCursor)}&count=4`);
    }
    expect(seen.every((u) => u.endsWith('@odd.example'))).toBe(true);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toContain('late@odd.example');
    // The same cursor on another filter is refused.
    const wrong = await scim.get(`/Users?filter=${enc('userName ew "@even.example"')}&cursor=${enc(other!)}&count=4`);
    expect(wrong.body).toMatchObject({ status: '400', scimType: 'invalidCursor' });
  });

  it('when the cursor, count or combination is wrong, then 400 with the RFC 9865 scimType', async () => {
    expect((await scim.get('/Users?cursor=not-a-cursor&count=5')).body).toMatchObject({ status: '400', scimType: 'invalidCursor' });
    expect((await scim.get('/Users?cursor&count=0')).body).toMatchObject({ status: '400', scimType: 'invalidCount' });
    expect((await scim.get('/Users?cursor&count=1001')).body).toMatchObject({ status: '400', scimType: 'invalidCount' });
    expect((await scim.get('/Users?cursor&startIndex=2')).body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    // A cursor this server issued, two hours old (past cursorTimeout).
    const real = JSON.parse(Buffer.from((await scim.get<Page>('/Users?cursor&count=1')).body.nextCursor!, 'base64url').toString()) as { t: number };
    const stale = Buffer.from(JSON.stringify({ ...real, t: real.t - 7200 })).toString('base64url');
    expect((await scim.get(`/Users?cursor=${stale}&count=5`)).body).toMatchObject({ status: '400', scimType: 'expiredCursor' });
  });

  it('when groups are walked by cursor, then each comes once in creation order', async () => {
    const gids: string[] = [];
    for (let i = 0; i < 7; i++) gids.push((await scim.post('/Groups', { schemas: [GROUP], displayName: `G${i}` })).body.id as string);
    const seen: string[] = [];
    let res = await scim.get<Page>('/Groups?cursor&count=3&excludedAttributes=members');
    for (;;) {
      seen.push(...res.body.Resources.map((r) => r.id));
      if (!res.body.nextCursor) break;
      res = await scim.get<Page>(`/Groups?cursor=${enc(res.body.nextCursor)}&count=3&excludedAttributes=members`);
    }
    expect(seen).toEqual(gids);
  });
});
