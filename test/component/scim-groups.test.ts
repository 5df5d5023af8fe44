import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

type Json = Record<string, unknown>;
type List = { totalResults: number; itemsPerPage: number; Resources: Json[] };
const memberIds = (g: Json) => ((g.members ?? []) as { value: string }[]).map((m) => m.value).sort();

describe.each(STORES)('SCIM Groups on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  const users: string[] = [];

  beforeAll(async () => {
    f = await scimFixture(kind);
    ({ scim } = await f.newOrg('Groups Inc'));
    for (let i = 0; i < 40; i++) users.push((await scim.post('/Users', { schemas: [USER], userName: `g${i}@groups.example` })).body.id as string);
  });
  afterAll(async () => f.dispose());

  const group = (displayName: string, members: string[] = []) => scim.post('/Groups', { schemas: [GROUP], displayName, members: members.map((value) => ({ value })) });
  const patch = (id: unknown, Operations: unknown[]) => scim.patch(`/Groups/${String(id)}`, { schemas: [PATCH], Operations });

  it('when a group is created with members, then 201 with Location and its members; a duplicate name in any case is 409', async () => {
    const res = await group('Engineering', users.slice(0, 3));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe(`https://idsync.example.com/scim/v2/Groups/${res.body.id}`);
    expect(memberIds(res.body)).toEqual(users.slice(0, 3).sort());
    const dup = await group('ENGINEERING');
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ scimType: 'uniqueness' });
  });

  it('when Entra looks a group up by displayName without members, then it is found and members are not loaded', async () => {
    const g = (await group('Lookup Team', users.slice(0, 2))).body;
    const res = await scim.get<List>(`/Groups?filter=${encodeURIComponent('displayName eq "lookup team"')}&excludedAttributes=members`);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0]).toMatchObject({ id: g.id, displayName: 'Lookup Team' });
    expect(res.body.Resources[0]!.members).toBeUndefined();
    const one = (await scim.get(`/Groups/${g.id}?excludedAttributes=members`)).body;
    expect(one.members).toBeUndefined();
  });

  it('when members are added and removed in the documented styles, then the set is exact', async () => {
    const g = (await group('Styles')).body;
    expect((await patch(g.id, [{ op: 'add', path: 'members', value: users.slice(0, 5).map((value) => ({ value, display: 'x' })) }])).status).toBe(204);
    // Okta: remove with a filtered path.
    await patch(g.id, [{ op: 'remove', path: `members[value eq "${users[0]}"]` }]);
    // Entra without aadOptscim062020: capitalised op, value-style removal.
    await patch(g.id, [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: users[1] }] }]);
    // Several at once joined by or.
    await patch(g.id, [{ op: 'remove', path: `members[value eq "${users[2]}" or value eq "${users[3]}"]` }]);
    const after = (await scim.get(`/Groups/${g.id}`)).body;
    expect(memberIds(after)).toEqual([users[4]]);
    // Replace sets the membership exactly; a bare remove empties it.
    await patch(g.id, [{ op: 'replace', path: 'members', value: users.slice(10, 13).map((value) => ({ value })) }]);
    expect(memberIds((await scim.get(`/Groups/${g.id}`)).body)).toEqual(users.slice(10, 13).sort());
    await patch(g.id, [{ op: 'remove', path: 'members' }]);
    expect(memberIds((await scim.get(`/Groups/${g.id}`)).body)).toEqual([]);
  });

  it('when Okta renames a group with a path-less replace, then displayName changes and members stay', async () => {
    const g = (await group('Old Name', users.slice(0, 2))).body;
    const res = await patch(g.id, [{ op: 'replace', value: { id: g.id, displayName: 'New Name' } }]);
    expect(res.status).toBe(204);
    const after = (await scim.get(`/Groups/${g.id}`)).body;
    expect(after).toMatchObject({ displayName: 'New Name' });
    expect(memberIds(after)).toEqual(users.slice(0, 2).sort());
  });

  it('when a group PATCH comes as Okta and Entra send it (no query), then it answers 204 with the new ETag and no body; asking for attributes gets 200 with them', async () => {
    const g = (await group('Answers', users.slice(0, 1))).body;
    const plain = await scim.call('PATCH', `/Groups/${g.id}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: users[1] }] }] });
    expect(plain.status).toBe(204);
    expect(plain.body).toBeUndefined();
    expect(plain.headers.get('etag')).toBe((await scim.get(`/Groups/${g.id}`)).headers.get('etag'));
    const lean = await scim.patch(`/Groups/${g.id}?excludedAttributes=members`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: users[2] }] }] });
    expect(lean.status).toBe(200);
    expect(lean.body).toMatchObject({ id: g.id, displayName: 'Answers' });
    expect(lean.body.members).toBeUndefined();
    const full = await scim.patch(`/Groups/${g.id}?attributes=members,displayName`, { schemas: [PATCH], Operations: [{ op: 'remove', path: `members[value eq "${users[0]}"]` }] });
    expect(full.status).toBe(200);
    expect(memberIds(full.body)).toEqual([users[1], users[2]].sort());
  });

  it('when 40 PATCHes each add a different member concurrently, then all 40 are members', async () => {
    const g = (await group('Concurrent')).body;
    const res = await Promise.all(users.map((value) => patch(g.id, [{ op: 'add', path: 'members', value: [{ value }] }])));
    expect(res.every((r) => r.status === 204)).toBe(true);
    expect(memberIds((await scim.get(`/Groups/${g.id}`)).body)).toEqual([...users].sort());
  });

  it('when a member id is unknown, then 400 invalidValue and the group is unchanged', async () => {
    const g = (await group('Strict', users.slice(0, 1))).body;
    const res = await patch(g.id, [{ op: 'add', path: 'members', value: [{ value: 'not-a-user' }] }]);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ scimType: 'invalidValue' });
    expect(memberIds((await scim.get(`/Groups/${g.id}`)).body)).toEqual([users[0]]);
    expect((await patch(g.id, [{ op: 'add', path: 'nonsense', value: 1 }])).body).toMatchObject({ status: '400', scimType: 'invalidPath' });
  });

  it('when a group is replaced with PUT, then its name and membership are exactly the body', async () => {
    const g = (await group('Put Me', users.slice(0, 3))).body;
    const res = await scim.put(`/Groups/${g.id}`, { schemas: [GROUP], displayName: 'Put Done', members: [{ value: users[2] }, { value: users[5] }] });
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe('Put Done');
    expect(memberIds(res.body)).toEqual([users[2], users[5]].sort());
  });

  it('when a user is deleted, then it leaves its groups; when a group is deleted, then it is gone', async () => {
    const u = (await scim.post('/Users', { schemas: [USER], userName: 'leaver@groups.example' })).body.id as string;
    const g = (await group('Leavers', [u, users[0]!])).body;
    expect(((await scim.get(`/Users/${u}`)).body.groups as Json[]).map((x) => x.value)).toEqual([g.id]);
    await scim.delete(`/Users/${u}`);
    expect(memberIds((await scim.get(`/Groups/${g.id}`)).body)).toEqual([users[0]]);
    expect((await scim.delete(`/Groups/${g.id}`)).status).toBe(204);
    expect((await scim.get(`/Groups/${g.id}`)).status).toBe(404);
  });

  it('when groups are listed, then paging is stable and another org sees none of them', async () => {
    const all = (await scim.get<List>('/Groups?excludedAttributes=members&count=1000')).body;
    const paged: Json[] = [];
    for (let start = 1; start <= all.totalResults; start += 2) paged.push(...(await scim.get<List>(`/Groups?excludedAttributes=members&startIndex=${start}&count=2`)).body.Resources);
    expect(paged.map((g) => g.id)).toEqual(all.Resources.map((g) => g.id));
    const { scim: other } = await f.newOrg('Outsider');
    expect((await other.get<List>('/Groups')).body.totalResults).toBe(0);
    expect((await other.get(`/Groups/${String(all.Resources[0]!.id)}`)).status).toBe(404);
  });

  it("when a group's members are paged with filter groups.value eq, then pages follow the order they were added, with exact totals", async () => {
    const g = (await group('Paged Members')).body;
    const order = [...users.slice(20, 32)].reverse();
    for (const value of order) expect((await patch(g.id, [{ op: 'add', path: 'members', value: [{ value }] }])).status).toBe(204);
    const q = (filter: string, extra = '') => scim.get<List & { startIndex: number }>(`/Users?filter=${encodeURIComponent(filter)}${extra}`);
    const paged: Json[] = [];
    for (let start = 1; start <= order.length; start += 5) {
      const page = (await q(`groups.value eq "${String(g.id)}"`, `&startIndex=${start}&count=5&attributes=userName`)).body;
      expect(page).toMatchObject({ totalResults: order.length, startIndex: start, itemsPerPage: Math.min(5, order.length - start + 1) });
      paged.push(...page.Resources);
    }
    expect(paged.map((u) => u.id)).toEqual(order);
    expect(paged[0]).toEqual({ schemas: [USER], id: order[0], userName: 'g31@groups.example' });
    // The bracket form and an upper-cased id name the same group; past the end is an empty page.
    expect((await q(`groups[value eq "${String(g.id).toUpperCase()}"]`, '&count=1000')).body.Resources.map((u) => u.id)).toEqual(order);
    expect((await q(`groups.value eq "${String(g.id)}"`, '&startIndex=13&count=5')).body).toMatchObject({ totalResults: 12, itemsPerPage: 0, Resources: [] });
    expect((await q(`groups.value eq "${String(g.id)}"`, '&count=0')).body).toMatchObject({ totalResults: 12, itemsPerPage: 0 });
    // Without attributes each user carries its groups, as on any other list.
    expect(((await q(`groups.value eq "${String(g.id)}"`, '&count=1')).body.Resources[0]!.groups as Json[]).map((x) => x.value)).toContain(g.id);
    expect((await q('groups.value eq "no-such-group"')).body).toMatchObject({ totalResults: 0, Resources: [] });
    const { scim: other } = await f.newOrg('Group Peeker');
    expect((await other.get<List>(`/Users?filter=${encodeURIComponent(`groups.value eq "${String(g.id)}"`)}`)).body.totalResults).toBe(0);
  });

  it("when groups.value eq is combined with other conditions, then they are evaluated on the group's members only", async () => {
    const a = (await group('Combo A', users.slice(33, 39))).body;
    const b = (await group('Combo B', users.slice(36, 40))).body;
    for (const id of users.slice(33, 35)) await scim.patch(`/Users/${id}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'active', value: false }] });
    const ids = async (filter: string, extra = '') => (await scim.get<List>(`/Users?filter=${encodeURIComponent(filter)}${extra}`)).body;
    const active = await ids(`groups.value eq "${String(a.id)}" and active eq true`, '&count=2');
    expect(active.totalResults).toBe(4);
    expect(active.Resources.map((u) => u.id)).toEqual(users.slice(35, 37));
    expect((await ids(`active eq false and groups.value eq "${String(a.id)}"`)).Resources.map((u) => u.id)).toEqual(users.slice(33, 35));
    expect((await ids(`groups.value eq "${String(a.id)}" and groups.value eq "${String(b.id)}"`)).Resources.map((u) => u.id)).toEqual(users.slice(36, 39));
    expect((await ids(`groups.value eq "${String(a.id)}" and userName sw "g3"`, '&sortBy=userName&sortOrder=descending')).Resources.map((u) => u.userName)).toEqual(
      ['g38', 'g37', 'g36', 'g35', 'g34', 'g33'].map((n) => `${n}@groups.example`),
    );
    // A removed user leaves the group, its count and its pages.
    await scim.delete(`/Users/${users[38]!}`);
    expect((await ids(`groups.value eq "${String(b.id)}"`)).Resources.map((u) => u.id)).toEqual([users[36], users[37], users[39]]);
    expect((await ids(`groups.value eq "${String(b.id)}"`)).totalResults).toBe(3);
  });
});
