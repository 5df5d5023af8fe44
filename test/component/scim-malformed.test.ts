import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient, type ScimResponse } from '../support/scim.js';

const ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';

/** A JSON text nested `depth` levels deep (built as text: JSON.stringify of such a value overflows too). */
function deepJson(depth: number, leaf = '1'): string {
  return '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);
}

function expectScimError(res: ScimResponse, status: number, scimType?: string) {
  expect(res.status).toBe(status);
  expect((res.body as { schemas?: string[] }).schemas).toEqual([ERROR]);
  if (scimType) expect((res.body as { scimType?: string }).scimType).toBe(scimType);
}

describe.each(STORES)('SCIM malformed input on %s: a precise 4xx, never a 500', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;
  let userId: string;
  let groupId: string;

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    ({ scim } = await f.newOrg('Malformed'));
    userId = (await scim.post('/Users', { schemas: [USER], userName: 'ann@malformed.example', name: { givenName: 'Ann', familyName: 'Lee' } })).body.id as string;
    groupId = (await scim.post('/Groups', { schemas: [GROUP], displayName: 'Crew' })).body.id as string;
  }, 60_000);
  afterAll(async () => f.dispose());

  it('when a body is nested thousands of levels deep, then it answers 400 invalidSyntax on every write', async () => {
    const deep = `{"schemas":["${USER}"],"userName":"deep@malformed.example","x":${deepJson(7000)}}`;
    expectScimError(await scim.call('POST', '/Users', deep), 400, 'invalidSyntax');
    expectScimError(await scim.call('PUT', `/Users/${userId}`, deep), 400, 'invalidSyntax');
    const deepPatch = `{"schemas":["${PATCH}"],"Operations":[{"op":"replace","value":${deepJson(7000)}}]}`;
    expectScimError(await scim.call('PATCH', `/Users/${userId}`, deepPatch), 400, 'invalidSyntax');
    expectScimError(await scim.call('PATCH', `/Groups/${groupId}`, deepPatch), 400, 'invalidSyntax');
    // The user is untouched.
    expect((await scim.get(`/Users/${userId}`)).body.userName).toBe('ann@malformed.example');
  });

  it('when a body nests at a depth real clients use, then it is accepted', async () => {
    const res = await scim.patch(`/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department', value: 'R&D' }] });
    expect(res.status).toBe(200);
  });

  it.each(['9223372036854775807', '1e20', '99999999999999999999999'])('when startIndex is %s, then the list answers an empty page or a 400, never a 500', async (startIndex) => {
    for (const path of ['/Users', '/Groups', `/Users?filter=${encodeURIComponent('userName eq "ann@malformed.example"')}&`]) {
      const sep = path.endsWith('&') ? '' : '?';
      const res = await scim.get(`${path}${sep}startIndex=${startIndex}&count=10`);
      if (res.status === 200) {
        expect(res.body.Resources ?? []).toEqual([]);
        expect(res.body.itemsPerPage).toBe(0);
      } else expectScimError(res, 400, 'invalidValue');
    }
  });

  it('when a PATCH has no body or a body that is not JSON, then it answers 400 invalidSyntax', async () => {
    expectScimError(await scim.call('PATCH', `/Users/${userId}`, undefined), 400, 'invalidSyntax');
    expectScimError(await scim.call('PATCH', `/Groups/${groupId}`, undefined), 400, 'invalidSyntax');
    expectScimError(await scim.call('PATCH', `/Users/${userId}`, 'op=replace', { 'content-type': 'text/plain' }), 400, 'invalidSyntax');
    expectScimError(await scim.call('PATCH', `/Users/${userId}`, 'active=false', { 'content-type': 'application/x-www-form-urlencoded' }), 400, 'invalidSyntax');
    expect((await scim.get(`/Users/${userId}`)).body.active).toBe(true);
  });

  it('when a PATCH says schemas null, then null reads as unassigned: with Operations it applies, without them it is 400 invalidSyntax', async () => {
    const res = await scim.patch(`/Users/${userId}`, { schemas: null, Operations: [{ op: 'replace', path: 'displayName', value: 'Ann L.' }] });
    expect(res.status).toBe(200);
    expect(res.body.displayName).toBe('Ann L.');
    expectScimError(await scim.patch(`/Users/${userId}`, { schemas: null }), 400, 'invalidSyntax');
    expectScimError(await scim.patch(`/Groups/${groupId}`, { schemas: null }), 400, 'invalidSyntax');
  });

  it('when a path-less replace carries null, then it answers 400 invalidValue and changes nothing', async () => {
    expectScimError(await scim.patch(`/Users/${userId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: null }] }), 400, 'invalidValue');
    expectScimError(await scim.patch(`/Groups/${groupId}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: null }] }), 400, 'invalidValue');
    const user = (await scim.get(`/Users/${userId}`)).body as { name?: { familyName?: string } };
    expect(user.name?.familyName).toBe('Lee');
  });
});
