import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

const BULK = 'urn:ietf:params:scim:api:messages:2.0:BulkRequest';
const BULK_RESPONSE = 'urn:ietf:params:scim:api:messages:2.0:BulkResponse';
type Op = { method?: string; bulkId?: string; location?: string; version?: string; status: string; response?: { scimType?: string; detail?: string } };
type BulkAnswer = { schemas: string[]; Operations: Op[] };

describe.each(STORES)('SCIM Bulk (RFC 7644 §3.7) on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  const bulk = (Operations: unknown[], extra: Record<string, unknown> = {}) => scim.post<BulkAnswer>('/Bulk', { schemas: [BULK], Operations, ...extra });

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0', IDSYNC_SCIM_BULK_MAX_OPERATIONS: '50' });
    ({ scim } = await f.newOrg('Bulk'));
  }, 60_000);
  afterAll(async () => f.dispose());

  it('when /ServiceProviderConfig is read, then Bulk is advertised with its limits', async () => {
    const spc = (await scim.get('/ServiceProviderConfig')).body as { bulk: { supported: boolean; maxOperations: number; maxPayloadSize: number } };
    expect(spc.bulk).toEqual({ supported: true, maxOperations: 50, maxPayloadSize: 1048576 });
  });

  it('when a group names users created later in the same request by bulkId, then every operation succeeds and the group has them', async () => {
    const res = await bulk([
      { method: 'POST', path: '/Groups', bulkId: 'g1', data: { schemas: [GROUP], displayName: 'Bulk Crew', members: [{ value: 'bulkId:u1' }, { value: 'bulkId:u2' }] } },
      { method: 'POST', path: '/Users', bulkId: 'u1', data: { schemas: [USER], userName: 'b1@bulk.example' } },
      { method: 'POST', path: '/Users', bulkId: 'u2', data: { schemas: [USER], userName: 'b2@bulk.example' } },
      { method: 'PATCH', path: '/Users/bulkId:u1', data: { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'B One' }] } },
    ]);
    expect(res.status).toBe(200);
    expect(res.body.schemas).toEqual([BULK_RESPONSE]);
    expect(res.body.Operations.map((o) => [o.method, o.bulkId, o.status])).toEqual([
      ['POST', 'g1', '201'],
      ['POST', 'u1', '201'],
      ['POST', 'u2', '201'],
      ['PATCH', undefined, '200'],
    ]);
    const [g, u1, u2, patched] = res.body.Operations;
    expect(patched!.location).toBe(u1!.location);
    expect(patched!.version).toBe('W/"2"');
    const group = (await scim.get(g!.location!.slice(g!.location!.indexOf('/Groups')))).body as { members: { value: string }[] };
    const ids = [u1, u2].map((o) => o!.location!.slice(o!.location!.lastIndexOf('/') + 1));
    expect(group.members.map((m) => m.value).sort()).toEqual([...ids].sort());
    expect((await scim.get(`/Users/${ids[0]}`)).body.displayName).toBe('B One');
  });

  it('when one operation fails, then it reports its own SCIM error and the others succeed', async () => {
    await scim.post('/Users', { schemas: [USER], userName: 'taken@bulk.example' });
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'a', data: { schemas: [USER], userName: 'ok1@bulk.example' } },
      { method: 'POST', path: '/Users', bulkId: 'b', data: { schemas: [USER], userName: 'taken@bulk.example' } },
      { method: 'DELETE', path: '/Users/no-such-user' },
      { method: 'POST', path: '/Users', bulkId: 'c', data: { schemas: [USER], userName: 'ok2@bulk.example' } },
    ]);
    expect(res.body.Operations.map((o) => [o.bulkId, o.status, o.response?.scimType])).toEqual([
      ['a', '201', undefined],
      ['b', '409', 'uniqueness'],
      [undefined, '404', undefined],
      ['c', '201', undefined],
    ]);
  });

  it('when failOnErrors is reached, then the operations after it are not performed', async () => {
    const res = await bulk(
      [
        { method: 'POST', path: '/Users', bulkId: 'x1', data: { schemas: [USER], userName: 'taken@bulk.example' } },
        { method: 'POST', path: '/Users', bulkId: 'x2', data: { schemas: [USER], userName: 'never@bulk.example' } },
      ],
      { failOnErrors: 1 },
    );
    expect(res.body.Operations.map((o) => [o.bulkId, o.status])).toEqual([['x1', '409']]);
    expect((await scim.get(`/Users?filter=${encodeURIComponent('userName eq "never@bulk.example"')}`)).body.totalResults).toBe(0);
  });

  it('when operations refer to each other in a circle, or to a bulkId nobody creates, then those are refused and nothing of them is written', async () => {
    const res = await bulk([
      { method: 'POST', path: '/Groups', bulkId: 'ga', data: { schemas: [GROUP], displayName: 'Circle A', members: [{ value: 'bulkId:gb' }] } },
      { method: 'POST', path: '/Groups', bulkId: 'gb', data: { schemas: [GROUP], displayName: 'Circle B', members: [{ value: 'bulkId:ga' }] } },
      { method: 'POST', path: '/Groups', bulkId: 'gc', data: { schemas: [GROUP], displayName: 'Dangling', members: [{ value: 'bulkId:nobody' }] } },
      { method: 'POST', path: '/Users', bulkId: 'fine', data: { schemas: [USER], userName: 'fine@bulk.example' } },
    ]);
    expect(res.body.Operations.map((o) => [o.bulkId, o.status])).toEqual([
      ['ga', '409'],
      ['gb', '409'],
      ['gc', '400'],
      ['fine', '201'],
    ]);
    expect(res.body.Operations[0]!.response?.detail).toMatch(/circular/);
    expect((await scim.get(`/Groups?filter=${encodeURIComponent('displayName co "Circle"')}`)).body.totalResults).toBe(0);
  });

  it('when an operation depends on one that failed, then it fails with 409 naming that bulkId', async () => {
    const res = await bulk([
      { method: 'POST', path: '/Users', bulkId: 'dup', data: { schemas: [USER], userName: 'taken@bulk.example' } },
      { method: 'POST', path: '/Groups', bulkId: 'needs', data: { schemas: [GROUP], displayName: 'Needs Dup', members: [{ value: 'bulkId:dup' }] } },
    ]);
    expect(res.body.Operations.map((o) => [o.bulkId, o.status])).toEqual([
      ['dup', '409'],
      ['needs', '409'],
    ]);
    expect(res.body.Operations[1]!.response?.detail).toMatch(/dup/);
  });

  it('when a request has more operations than maxOperations or is not a BulkRequest, then the whole request is refused', async () => {
    const many = Array.from({ length: 51 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `m${i}`, data: { schemas: [USER], userName: `m${i}@bulk.example` } }));
    const tooMany = await bulk(many);
    expect(tooMany.status).toBe(413);
    expect((await scim.post('/Bulk', { Operations: [] })).status).toBe(400);
    expect((await scim.post('/Bulk', { schemas: [BULK], Operations: {} })).body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    expect((await scim.get(`/Users?filter=${encodeURIComponent('userName eq "m0@bulk.example"')}`)).body.totalResults).toBe(0);
    expect((await scim.get('/Bulk')).status).toBe(405);
  });

  it('when a bulk operation has a bad method, path or missing bulkId, then that operation is refused with 400 and the rest run', async () => {
    const res = await bulk([
      { method: 'GET', path: '/Users' },
      { method: 'POST', path: '/Users', data: { schemas: [USER], userName: 'nobulkid@bulk.example' } },
      { method: 'PUT', path: '/Widgets/1', data: {} },
      { method: 'post', path: '/Users', bulkId: 'lower', data: { schemas: [USER], userName: 'lower@bulk.example' } },
    ]);
    expect(res.body.Operations.map((o) => o.status)).toEqual(['400', '400', '400', '201']);
  });

  it('when a bulk operation carries a version that is no longer current, then it answers 412', async () => {
    const u = (await scim.post('/Users', { schemas: [USER], userName: 'versioned@bulk.example' })).body;
    const res = await bulk([{ method: 'PUT', path: `/Users/${String(u.id)}`, version: 'W/"7"', data: { schemas: [USER], userName: 'versioned@bulk.example', displayName: 'x' } }]);
    expect(res.body.Operations[0]!.status).toBe('412');
  });
});
