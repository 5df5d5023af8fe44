import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member } from '../../src/domain/model.js';
import { cli } from '../support/harness.js';
import { ENTERPRISE, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; startIndex: number; itemsPerPage: number; Resources: Json[] };

const user = (userName: string, extra: Json = {}) => ({
  schemas: [USER],
  userName,
  name: { givenName: 'Test', familyName: 'User' },
  emails: [{ value: userName, type: 'work', primary: true }],
  active: true,
  ...extra,
});
const q = (filter: string) => `/Users?filter=${encodeURIComponent(filter)}`;

describe.each(STORES)('SCIM Users on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let orgId: string;

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ scim, org: { id: orgId } } = await f.newOrg('Users Inc'));
  });
  afterAll(async () => f.dispose());

  it('when a user is created, then 201 with Location, ETag, SCIM content type, and it reads back', async () => {
    const res = await scim.post('/Users', user('Create.Me@Example.com', { externalId: 'okta-1', title: 'Engineer' }));
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toMatch(/^application\/scim\+json/);
    expect(res.headers.get('location')).toBe(`https://idsync.example.com/scim/v2/Users/${res.body.id}`);
    expect(res.headers.get('etag')).toBe('W/"1"');
    expect(res.body).toMatchObject({ userName: 'Create.Me@Example.com', externalId: 'okta-1', title: 'Engineer', active: true, meta: { resourceType: 'User', version: 'W/"1"' } });
    const read = await scim.get(`/Users/${res.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).toEqual(res.body);
    expect((await scim.get(`/Users/${res.body.id}`, { 'if-none-match': 'W/"1"' })).status).toBe(304);
  });

  it('when the same userName is created in any case, then 409 uniqueness', async () => {
    await scim.post('/Users', user('dup@example.com'));
    const again = await scim.post('/Users', user('DUP@Example.COM'));
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '409', scimType: 'uniqueness', detail: expect.any(String) });
  });

  it('when 20 creates of one userName race, then exactly one is 201 and the rest 409', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => scim.post('/Users', user('race@example.com'))));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
  });

  it('when the IdPs look users up, then userName, externalId and email filters answer exactly, case-insensitively where SCIM says so', async () => {
    const u = (await scim.post('/Users', user('Lookup.Person@Example.com', { externalId: 'EXT-9', emails: [{ value: 'Lookup.Person@Example.com', type: 'work' }, { value: 'lp@home.example', type: 'home' }] }))).body;
    const one = async (filter: string) => (await scim.get<List>(q(filter))).body;
    expect((await one('userName eq "lookup.person@example.com"')).Resources.map((r) => r.id)).toEqual([u.id]);
    expect((await one('externalId eq "EXT-9"')).Resources.map((r) => r.id)).toEqual([u.id]);
    expect((await one('externalId eq "ext-9"')).totalResults).toBe(0);
    expect((await one('emails[type eq "work"].value eq "LOOKUP.person@example.com"')).Resources.map((r) => r.id)).toEqual([u.id]);
    expect((await one('emails[type eq "work"].value eq "lp@home.example"')).totalResults).toBe(0);
    expect((await one('emails.value eq "lp@home.example"')).Resources.map((r) => r.id)).toEqual([u.id]);
    expect((await one('userName eq "nobody@example.com"'))).toMatchObject({ totalResults: 0, itemsPerPage: 0, Resources: [] });
  });

  it('when other RFC 7644 filters are used, then and, or, not, co, sw, ew, pr and date comparisons answer correctly', async () => {
    const { scim: s } = await f.newOrg('Filters');
    const a = (await s.post('/Users', user('alice@f.example', { title: 'CTO' }))).body;
    const b = (await s.post('/Users', user('bob@f.example'))).body;
    const c = (await s.post('/Users', user('carol@g.example', { active: false }))).body;
    const ids = async (filter: string) => (await s.get<List>(q(filter))).body.Resources.map((r) => r.id);
    expect(await ids('userName sw "A" or userName ew "g.example"')).toEqual([a.id, c.id]);
    expect(await ids('not (userName eq "alice@f.example" or userName eq "bob@f.example")')).toEqual([c.id]);
    expect(await ids('userName co "@f." and active eq true')).toEqual([a.id, b.id]);
    expect(await ids('title pr')).toEqual([a.id]);
    expect(await ids('active eq false')).toEqual([c.id]);
    expect(await ids(`meta.lastModified ge "${String((b.meta as Json).lastModified)}"`)).toEqual([b.id, c.id]);
    expect(await ids('meta.created gt "2100-01-01T00:00:00Z"')).toEqual([]);
    expect(await ids('name.givenName eq "test" and (userName sw "b" or userName sw "c")')).toEqual([b.id, c.id]);
  });

  it('when a filter is malformed, then 400 invalidFilter names the problem', async () => {
    for (const bad of ['userName xx "a"', 'userName eq', 'userName eq "open', '(userName eq "a"', 'userName eq "a" and', 'bad..path eq 1']) {
      const res = await scim.get(q(bad));
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ status: '400', scimType: 'invalidFilter' });
    }
  });

  it('when users are paged, then startIndex and count are honoured, itemsPerPage is the real size and past the end is empty', async () => {
    const { scim: s } = await f.newOrg('Paging');
    const ids: string[] = [];
    for (let i = 0; i < 23; i++) ids.push((await s.post('/Users', user(`p${String(i).padStart(2, '0')}@page.example`))).body.id as string);
    const seen: string[] = [];
    for (let start = 1; start <= 23; start += 10) {
      const page = (await s.get<List>(`/Users?startIndex=${start}&count=10`)).body;
      expect(page).toMatchObject({ totalResults: 23, startIndex: start, itemsPerPage: Math.min(10, 24 - start) });
      seen.push(...page.Resources.map((r) => r.id as string));
    }
    expect(seen).toEqual(ids);
    expect((await s.get<List>('/Users?startIndex=50&count=10')).body).toMatchObject({ totalResults: 23, startIndex: 50, itemsPerPage: 0, Resources: [] });
    expect((await s.get<List>('/Users?count=0')).body).toMatchObject({ totalResults: 23, itemsPerPage: 0 });
    expect((await s.get<List>('/Users?count=5000')).body.itemsPerPage).toBe(23);
    const filtered = (await s.get<List>(`${q('userName sw "p1"')}&startIndex=3&count=4`)).body;
    expect(filtered).toMatchObject({ totalResults: 10, startIndex: 3, itemsPerPage: 4 });
    expect(filtered.Resources.map((r) => r.userName)).toEqual(['p12@page.example', 'p13@page.example', 'p14@page.example', 'p15@page.example']);
    const sorted = (await s.get<List>(`/Users?sortBy=userName&sortOrder=descending&count=2`)).body;
    expect(sorted.Resources.map((r) => r.userName)).toEqual(['p22@page.example', 'p21@page.example']);
    expect((await s.get('/Users?count=abc')).status).toBe(400);
  });

  it('when attributes or excludedAttributes are given, then only the asked-for attributes come back (id always)', async () => {
    const u = (await scim.post('/Users', user('proj@example.com', { [ENTERPRISE]: { department: 'R&D', employeeNumber: '7' } }))).body;
    const only = (await scim.get(`/Users/${u.id}?attributes=userName,name.familyName,${ENTERPRISE}:department`)).body;
    expect(only).toEqual({ schemas: u.schemas, id: u.id, userName: 'proj@example.com', name: { familyName: 'User' }, [ENTERPRISE]: { department: 'R&D' } });
    const without = (await scim.get(`/Users/${u.id}?excludedAttributes=emails,groups,meta`)).body;
    expect(without.emails).toBeUndefined();
    expect(without.groups).toBeUndefined();
    expect(without.meta).toBeUndefined();
    expect(without.userName).toBe('proj@example.com');
  });

  it('when a PUT leaves out active, then nobody is deactivated; other attributes are replaced', async () => {
    const u = (await scim.post('/Users', user('put@example.com', { title: 'Old', externalId: 'x1' }))).body;
    const { active: _a, ...noActive } = user('put@example.com', { name: { givenName: 'New', familyName: 'Name' } });
    const res = await scim.put(`/Users/${u.id}`, noActive);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ active: true, name: { givenName: 'New', familyName: 'Name' }, meta: { version: 'W/"2"' } });
    expect(res.body.title).toBeUndefined();
    expect(res.body.externalId).toBeUndefined();
    const off = await scim.put(`/Users/${u.id}`, { ...noActive, active: 'False' });
    expect(off.body.active).toBe(false);
  });

  it('when an If-Match is stale, then 412 and nothing changes', async () => {
    const u = (await scim.post('/Users', user('etag@example.com'))).body;
    const ok = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'One' }] }, { 'if-match': 'W/"1"' });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('etag')).toBe('W/"2"');
    const stale = await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Two' }] }, { 'if-match': 'W/"1"' });
    expect(stale.status).toBe(412);
    expect((await scim.delete(`/Users/${u.id}`, { 'if-match': 'W/"1"' })).status).toBe(412);
    expect((await scim.get(`/Users/${u.id}`)).body.displayName).toBe('One');
  });

  it('when concurrent PATCHes change different attributes, then none is lost', async () => {
    const u = (await scim.post('/Users', user('concurrent@example.com'))).body;
    const attrs = ['displayName', 'title', 'nickName', 'locale', 'timezone', 'userType', 'preferredLanguage'];
    const res = await Promise.all(attrs.map((a) => scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: a, value: `v-${a}` }] })));
    expect(res.map((r) => r.status)).toEqual(attrs.map(() => 200));
    const after = (await scim.get(`/Users/${u.id}`)).body;
    for (const a of attrs) expect(after[a]).toBe(`v-${a}`);
    expect(after.meta).toMatchObject({ version: `W/"${attrs.length + 1}"` });
  });

  it('when a user is deactivated over SCIM, then the audit trail and outbox record it with the SCIM actor', async () => {
    const u = (await scim.post('/Users', user('audit@example.com'))).body;
    await scim.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });
    const events = (await cli(f.env, f.cwd, 'audit', 'list', '--org', orgId, '--limit', '1000', '--json')).json<{ action: string; actor: { kind: string }; target: { id: string } }[]>();
    const mine = events.filter((e) => e.target.id === u.id).map((e) => [e.action, e.actor.kind]);
    expect(mine).toEqual([
      ['member.created', 'scim'],
      ['member.deactivated', 'scim'],
    ]);
    const outbox = await f.daemon.store.listOutbox(orgId, { limit: 1000 });
    expect(outbox.filter((o) => (o.payload as { target: { id: string } }).target.id === u.id).map((o) => o.type)).toEqual(['member.created', 'member.deactivated']);
  });

  it('when a user is deleted, then GET is 404 and the userName is free for a new member', async () => {
    const u = (await scim.post('/Users', user('gone@example.com'))).body;
    expect((await scim.delete(`/Users/${u.id}`)).status).toBe(204);
    expect((await scim.get(`/Users/${u.id}`)).status).toBe(404);
    expect((await scim.delete(`/Users/${u.id}`)).status).toBe(404);
    expect((await scim.get<List>(q('userName eq "gone@example.com"'))).body.totalResults).toBe(0);
    const again = await scim.post('/Users', user('gone@example.com'));
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(u.id);
    const members = (await cli(f.env, f.cwd, 'members', 'list', '--org', orgId, '--json')).json<Member[]>();
    expect(members.filter((m) => m.userName === 'gone@example.com').map((m) => m.status).sort()).toEqual(['active', 'removed']);
  });

  it('when a token of another org asks for a user, then 404, and its filters never see it', async () => {
    const u = (await scim.post('/Users', user('private@example.com'))).body;
    const { scim: other } = await f.newOrg('Other');
    expect((await other.get(`/Users/${u.id}`)).status).toBe(404);
    expect((await other.patch(`/Users/${u.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] })).status).toBe(404);
    expect((await other.delete(`/Users/${u.id}`)).status).toBe(404);
    expect((await other.get<List>(q('userName eq "private@example.com"'))).body.totalResults).toBe(0);
    expect((await other.get<List>('/Users')).body.totalResults).toBe(0);
  });

  it('when credentials are missing or wrong, then 401; every other failure is not 401', async () => {
    const noAuth = await fetch(`${f.daemon.url}/scim/v2/Users`);
    expect(noAuth.status).toBe(401);
    expect(await noAuth.json()).toMatchObject({ status: '401' });
    expect((await fetch(`${f.daemon.url}/scim/v2/Users`, { headers: { authorization: 'Bearer idsync_scim_nope' } })).status).toBe(401);
    expect((await scim.get('/Users/does-not-exist')).status).toBe(404);
    expect((await scim.get('/Nope')).status).toBe(404);
    expect((await scim.post('/Users', '{"userName": ')).body).toMatchObject({ status: '400', scimType: 'invalidSyntax' });
    expect((await scim.post('/Users', { schemas: [USER], name: {} })).body).toMatchObject({ status: '400', scimType: 'invalidValue' });
    expect((await scim.post('/Users', { schemas: [USER], userName: 'x@y.z', emails: 'nope' })).status).toBe(400);
    expect((await scim.post('/Bulk', { schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: [] })).status).toBe(200);
    expect((await scim.get('/Me')).status).toBe(501);
    const metrics = await (await fetch(`${f.daemon.url}/metrics`)).text();
    expect(metrics).toMatch(/idsync_scim_requests_total\{org="unauthenticated",method="GET",resource="Users",status="401"\} 2/);
    expect(metrics).toMatch(new RegExp(`idsync_scim_requests_total\\{org="${orgId}",method="GET",resource="Users",status="404"\\} \\d+`));
  });

  it('when a directory connection manages a member, then SCIM may read but not change it', async () => {
    const created = (await scim.post('/Users', user('dir@example.com'))).body;
    await f.daemon.store.updateMember(orgId, created.id as string, (m) => ({ next: { ...m, managedBy: { kind: 'directory', connectionId: 'conn-1' } }, audit: { orgId, actor: { kind: 'system' }, action: 'member.updated', target: { type: 'member', id: m.id } } }));
    expect((await scim.get(`/Users/${created.id}`)).status).toBe(200);
    const res = await scim.patch(`/Users/${created.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ scimType: 'mutability' });
  });

  it('when SCIM creates a userName an admin already added, then it adopts that member, but never the last owner', async () => {
    const { org, scim: s } = await f.newOrg('Adopt');
    const admin = (await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', 'existing@adopt.example', '--json')).json<Member>();
    const owner = (await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', 'owner@adopt.example', '--role', 'owner', '--json')).json<Member>();
    const adopted = await s.post('/Users', user('Existing@adopt.example', { externalId: 'okta-77' }));
    expect(adopted.status).toBe(201);
    expect(adopted.body).toMatchObject({ id: admin.id, externalId: 'okta-77' });
    const after = (await cli(f.env, f.cwd, 'members', 'get', admin.id, '--org', org.id, '--json')).json<Member>();
    expect(after.managedBy).toMatchObject({ kind: 'scim' });
    const notOwner = await s.post('/Users', user('owner@adopt.example'));
    expect(notOwner.status).toBe(409);
    expect((await cli(f.env, f.cwd, 'members', 'get', owner.id, '--org', org.id, '--json')).json<Member>().managedBy).toEqual({ kind: 'admin' });
  });
});

describe('SCIM limits', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  beforeAll(async () => {
    f = await scimFixture('sqlite', { IDSYNC_SCIM_RATE_LIMIT: '1', IDSYNC_SCIM_RATE_BURST: '3', IDSYNC_BODY_LIMIT: '2kb' });
  });
  afterAll(async () => f.dispose());

  it('when a token exceeds its rate, then 429 with Retry-After; another token is unaffected', async () => {
    const { scim } = await f.newOrg('Throttled');
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push(await scim.get('/Users?count=1'));
    expect(statuses.slice(0, 3).map((r) => r.status)).toEqual([200, 200, 200]);
    const limited = statuses.find((r) => r.status === 429)!;
    expect(limited.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(limited.body).toMatchObject({ status: '429' });
    const { scim: other } = await f.newOrg('Fresh');
    expect((await other.get('/Users?count=1')).status).toBe(200);
  });

  it('when a body is over the limit, then 413 in the SCIM error schema', async () => {
    const { scim } = await f.newOrg('Big');
    const res = await scim.post('/Users', user('big@example.com', { title: 'x'.repeat(4000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '413' });
  });
});
