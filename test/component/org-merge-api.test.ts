import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Member, Organization } from '../../src/domain/model.js';
import type { MergeReport } from '../../src/services/merge/report.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES, USER } from '../support/scim.js';

/** A webhook receiver on 127.0.0.1 that records the event types it is sent. */
async function receiver() {
  const types: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      types.push((JSON.parse(body) as { type: string }).type);
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { types, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

async function until(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

type MovePerson = { member: Member; source: { orgId: string; outcome: 'closed' | 'kept' }; merge?: MergeReport };

describe.each(STORES)('organization merge and move-person through the CLI and the admin API on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  beforeAll(async () => {
    f = await scimFixture(kind, { IDSYNC_WEBHOOK_POLL_MS: '50' });
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  const addMember = async (orgId: string, email: string, role = 'member') => (await api.call<Member>('post', `/orgs/${orgId}/members`, provider, { email, role })).body;

  it('when an org is merged by the API after a CLI dry run, then both agree, only a provider key may, and the source answers where it went', async () => {
    const src = await f.newOrg('Globex (duplicate)');
    const dst = await f.newOrg('Globex');
    await addMember(src.org.id, 'hank@globex.test', 'owner');
    await addMember(src.org.id, 'iris@globex.test', 'admin');
    await addMember(dst.org.id, 'iris@globex.test', 'owner');
    expect((await src.scim.get('/Users')).status).toBe(200);

    const orgKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', src.org.id, '--json')).json<{ key: string }>().key;
    const dry = await cli(f.env, f.cwd, 'orgs', 'merge', src.org.id, '--into', dst.org.id, '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const plan = dry.json<MergeReport>().plan;
    expect(plan.members.map((m) => [m.userName, m.kind, m.role])).toEqual([
      ['hank@globex.test', 'copy', 'owner'],
      ['iris@globex.test', 'fold', 'owner'],
    ]);
    const text = await cli(f.env, f.cwd, 'orgs', 'merge', src.org.id, '--into', dst.org.id, '--dry-run');
    expect(text.stdout).toContain('would merge');
    expect(text.stdout).toMatch(/iris@globex\.test\s+fold \(same email\)/);

    const rx = await receiver();
    for (const org of [src.org.id, dst.org.id]) expect((await api.call('post', `/orgs/${org}/webhooks`, provider, { url: rx.url, events: ['org.merged'] })).status).toBe(201);
    expect((await api.call('post', `/orgs/${src.org.id}/merge`, orgKey, { into: dst.org.id })).status).toBe(403);

    const applied = await api.call<MergeReport>('post', `/orgs/${src.org.id}/merge`, provider, { into: dst.org.id });
    expect(applied.status).toBe(200);
    expect(applied.body.status).toBe('completed');
    expect(applied.body.plan.members.map((m) => [m.userName, m.kind, m.role])).toEqual(plan.members.map((m) => [m.userName, m.kind, m.role]));
    expect(applied.body.auditCounts).toEqual(dry.json<MergeReport>().auditCounts);

    const gone = await api.call<Organization>('get', `/orgs/${src.org.id}`, provider);
    expect(gone.body).toMatchObject({ state: 'merged', mergedInto: dst.org.id });
    const members = await api.call<{ error: { code: string; details: { mergedInto: string } } }>('get', `/orgs/${src.org.id}/members`, provider);
    expect(members.status).toBe(410);
    expect(members.body.error).toMatchObject({ code: 'org.merged', details: { mergedInto: dst.org.id } });
    expect((await src.scim.get('/Users')).status).toBe(401);
    // The host's sign-in check on the old org id is told where the person's membership went.
    const access = await api.call<{ error: { code: string; details: { mergedInto: string } } }>('get', `/orgs/${src.org.id}/access?email=hank@globex.test`, provider);
    expect([access.status, access.body.error.details.mergedInto]).toEqual([410, dst.org.id]);
    expect((await api.call('get', `/orgs/${dst.org.id}/access?email=hank@globex.test`, provider)).body).toMatchObject({ allowed: true, role: 'owner' });
    expect((await dst.scim.post('/Users', { schemas: [USER], userName: 'jo@globex.test' })).status).toBe(201);
    for (const org of [src.org.id, dst.org.id]) expect((await cli(f.env, f.cwd, 'audit', 'verify', '--org', org)).code).toBe(0);
    // Each org's webhook gets its org.merged event.
    await until('two org.merged deliveries', () => rx.types.length >= 2);
    expect(rx.types).toEqual(['org.merged', 'org.merged']);
    await rx.close();
  });

  it('when a person signed up by mistake is moved, then they join the org they meant with the role given and the empty org is closed; with others left, only they move', async () => {
    const meant = await f.newOrg('Initech');
    await addMember(meant.org.id, 'boss@initech.test', 'owner');
    const mistake = await f.newOrg('Initech (mistake)');
    const pete = await addMember(mistake.org.id, 'pete@initech.test', 'owner');

    const moved = await cli(f.env, f.cwd, 'orgs', 'move-person', '--member', pete.id, '--to', meant.org.id, '--role', 'admin', '--json');
    expect(moved.code).toBe(0);
    const r = moved.json<MovePerson>();
    expect(r.member).toMatchObject({ orgId: meant.org.id, userName: 'pete@initech.test', role: 'admin', status: 'active' });
    expect(r.source).toEqual({ orgId: mistake.org.id, outcome: 'closed' });
    expect((await api.call<Organization>('get', `/orgs/${mistake.org.id}`, provider)).body).toMatchObject({ state: 'merged', mergedInto: meant.org.id });
    expect((await mistake.scim.get('/Users')).status).toBe(401);

    const shared = await f.newOrg('Shared by mistake');
    const quinn = await addMember(shared.org.id, 'quinn@initech.test', 'owner');
    const rita = await addMember(shared.org.id, 'rita@initech.test', 'owner');
    const viaApi = await api.call<MovePerson>('post', `/orgs/${shared.org.id}/members/${quinn.id}/move-person`, provider, { toOrg: meant.org.id });
    expect(viaApi.status).toBe(200);
    expect(viaApi.body.member).toMatchObject({ orgId: meant.org.id, role: 'member' });
    expect(viaApi.body.source).toEqual({ orgId: shared.org.id, outcome: 'kept' });
    const left = (await api.call<{ items: Member[] }>('get', `/orgs/${shared.org.id}/members?status=active`, provider)).body.items;
    expect(left.map((m) => m.id)).toEqual([rita.id]);
    expect((await api.call<Organization>('get', `/orgs/${shared.org.id}`, provider)).body.state).toBeUndefined();
  });
});
