import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ENTERPRISE, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

describe.each(STORES)('SCIM writes racing on one user on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let scim: ScimClient;

  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_SCIM_RATE_LIMIT: '0' });
    ({ scim } = await f.newOrg('Race'));
  }, 60_000);
  afterAll(async () => f.dispose());

  it('when 16 PUTs of one user race without If-Match, then every one answers 200 (no 412 the client did not ask for)', async () => {
    const u = (await scim.post('/Users', { schemas: [USER], userName: 'put-race@race.example' })).body;
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => scim.put(`/Users/${String(u.id)}`, { schemas: [USER], userName: 'put-race@race.example', displayName: `Put ${i}` })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(16).fill(200));
    const final = (await scim.get(`/Users/${String(u.id)}`)).body;
    expect(answers.map((a) => a.body.displayName)).toContain(final.displayName);
  });

  it('when 32 PATCHes of one user race without If-Match, then every one answers 200 and none of their changes is lost', async () => {
    const u = (await scim.post('/Users', { schemas: [USER, ENTERPRISE], userName: 'patch-race@race.example' })).body;
    const answers = await Promise.all(
      Array.from({ length: 32 }, (_, i) =>
        scim.patch(`/Users/${String(u.id)}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'emails', value: [{ value: `e${i}@race.example`, type: 'other' }] }] }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(32).fill(200));
    const emails = ((await scim.get(`/Users/${String(u.id)}`)).body.emails as { value: string }[]).map((e) => e.value).sort();
    expect(emails).toEqual(Array.from({ length: 32 }, (_, i) => `e${i}@race.example`).sort());
  }, 60_000);

  it('when a write sends an If-Match that is no longer current, then it still answers 412', async () => {
    const u = (await scim.post('/Users', { schemas: [USER], userName: 'stale@race.example' })).body;
    await scim.put(`/Users/${String(u.id)}`, { schemas: [USER], userName: 'stale@race.example', displayName: 'Moved on' });
    const put = await scim.put(`/Users/${String(u.id)}`, { schemas: [USER], userName: 'stale@race.example', displayName: 'Stale' }, { 'if-match': 'W/"1"' });
    const patch = await scim.patch(`/Users/${String(u.id)}`, { schemas: [PATCH], Operations: [{ op: 'replace', path: 'displayName', value: 'Stale' }] }, { 'if-match': 'W/"1"' });
    expect([put.status, patch.status]).toEqual([412, 412]);
  });
});
