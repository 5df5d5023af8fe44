import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization, RoleMapping } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { GROUP, PATCH, scimFixture, STORES, USER, type ScimClient } from '../support/scim.js';

type Change = { memberId: string; userName: string; from: string; to: string; result: string; reason: string };

describe.each(STORES)('role mappings through the admin API and the CLI on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  let org: Organization;
  let scim: ScimClient;
  const users: string[] = [];
  let admins: string;

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    ({ org, scim } = await f.newOrg('Mapped Inc'));
    for (let i = 0; i < 4; i++) users.push((await scim.post('/Users', { schemas: [USER], userName: `m${i}@mapped.example` })).body.id as string);
    admins = (await scim.post('/Groups', { schemas: [GROUP], displayName: 'Engineering-Admins', members: users.slice(0, 3).map((value) => ({ value })) })).body.id as string;
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  const role = async (id: string) => (await api.call<Member>('get', `/orgs/${org.id}/members/${id}`, provider)).body;

  it('when a mapping is previewed, then it lists whose role would change and writes nothing', async () => {
    const res = await api.call<{ evaluated: number; changes: Change[] }>('post', `/orgs/${org.id}/role-mappings/preview`, provider, { source: 'scim', group: 'engineering-admins', role: 'admin' });
    expect(res.status).toBe(200);
    expect(res.body.evaluated).toBe(3);
    expect(res.body.changes.map((c) => [c.memberId, c.from, c.to, c.result]).sort()).toEqual(users.slice(0, 3).map((u) => [u, 'member', 'admin', 'change']).sort());
    expect((await api.call<{ items: RoleMapping[] }>('get', `/orgs/${org.id}/role-mappings`, provider)).body.items).toEqual([]);
    expect((await role(users[0]!)).role).toBe('member');
  });

  it('when a mapping is put, then it is listed and applied at once; the members list shows where each role comes from', async () => {
    const put = await api.call<{ mapping: RoleMapping; created: boolean; applied: Change[] }>('put', `/orgs/${org.id}/role-mappings`, provider, { source: 'scim', group: 'Engineering-Admins', role: 'admin' });
    expect(put.status).toBe(201);
    expect(put.body.applied).toHaveLength(3);
    const list = await api.call<{ items: Member[] }>('get', `/orgs/${org.id}/members?limit=10`, provider);
    const bySource = Object.fromEntries(list.body.items.map((m) => [m.id, m.roleSource]));
    expect(bySource[users[0]!]).toEqual({ kind: 'mapping', mappingId: put.body.mapping.id, source: 'scim', group: 'Engineering-Admins' });
    expect(bySource[users[3]!]).toEqual({ kind: 'default' });
    // Putting it again is an update that changes nothing.
    const again = await api.call<{ created: boolean; applied: Change[] }>('put', `/orgs/${org.id}/role-mappings`, provider, { source: 'scim', group: 'ENGINEERING-ADMINS', role: 'admin' });
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ created: false, applied: [] });
  });

  it('when an admin changes the role of a governed member, then it is refused naming the mapping; with manual overrides winning, it is kept and shown', async () => {
    const refused = await api.call<{ error: { code: string; message: string; details: { mappingId: string } } }>('patch', `/orgs/${org.id}/members/${users[0]}`, provider, { role: 'member' });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('member.role_governed');
    expect(refused.body.error.message).toContain('scim group "Engineering-Admins"');
    await api.call('patch', `/orgs/${org.id}`, provider, { settings: { manualOverridesWin: true } });
    const kept = await api.call<Member>('patch', `/orgs/${org.id}/members/${users[0]}`, provider, { role: 'member' });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ role: 'member', roleSource: { kind: 'manual', overridesMapping: expect.any(String) } });
    // The override holds through later group changes.
    await scim.patch(`/Groups/${admins}`, { schemas: [PATCH], Operations: [{ op: 'add', path: 'members', value: [{ value: users[3] }] }] });
    expect((await role(users[0]!)).role).toBe('member');
    expect((await role(users[3]!)).role).toBe('admin');
    await api.call('patch', `/orgs/${org.id}`, provider, { settings: { manualOverridesWin: false } });
  });

  it('when an admin adds a member to a mapped team through the API and removes it again, then the role follows as it does over SCIM', async () => {
    const u = (await scim.post('/Users', { schemas: [USER], userName: 'by-api@mapped.example' })).body.id as string;
    expect((await api.call('post', `/orgs/${org.id}/teams/${admins}/members`, provider, { memberIds: [u] })).status).toBe(200);
    expect(await role(u)).toMatchObject({ role: 'admin', roleSource: { kind: 'mapping', group: 'Engineering-Admins' } });
    const [event] = (await f.daemon.store.listAudit(org.id, { limit: 10_000 })).filter((e) => e.target.id === u && e.action === 'member.role_changed');
    expect(event).toMatchObject({ source: 'admin', evidence: { kind: 'roleMapping', teamId: admins } });
    await api.call('delete', `/orgs/${org.id}/teams/${admins}/members/${u}`, provider);
    expect(await role(u)).toMatchObject({ role: 'member', roleSource: { kind: 'default' } });
  });

  it('when a mapping to owner is put without the org allowing it, then 403 role_mapping.owner_not_allowed', async () => {
    const res = await api.call<{ error: { code: string } }>('put', `/orgs/${org.id}/role-mappings`, provider, { source: 'google', group: 'owners@mapped.example', role: 'owner' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('role_mapping.owner_not_allowed');
    const preview = await api.call<{ error: { code: string } }>('post', `/orgs/${org.id}/role-mappings/preview`, provider, { source: 'scim', group: 'Engineering-Admins', role: 'owner' });
    expect(preview.body.error.code).toBe('role_mapping.owner_not_allowed');
  });

  it('when the CLI sets, lists and deletes mappings, then roles follow and the members list says where they come from', async () => {
    const set = await cli(f.env, f.cwd, 'role-mappings', 'set', '--org', org.id, '--source', 'github', '--group', 'platform-team', '--role', 'admin', '--precedence', '5', '--json');
    expect(set.code).toBe(0);
    expect(set.json<{ mapping: RoleMapping }>().mapping).toMatchObject({ source: 'github', group: 'platform-team', precedence: 5 });
    const listed = (await cli(f.env, f.cwd, 'role-mappings', 'list', '--org', org.id, '--json')).json<RoleMapping[]>();
    expect(listed.map((m) => m.group)).toEqual(['Engineering-Admins', 'platform-team']);
    const table = await cli(f.env, f.cwd, 'members', 'list', '--org', org.id);
    expect(table.stdout).toContain('ROLE FROM');
    expect(table.stdout).toMatch(/m1@mapped\.example\s+admin\s+active\s+scim\s+mapping rm_\w+ \(scim group Engineering-Admins\)/);

    const del = await cli(f.env, f.cwd, 'role-mappings', 'delete', 'scim:Engineering-Admins', '--org', org.id, '--json');
    expect(del.code).toBe(0);
    expect(del.json<{ applied: Change[] }>().applied.filter((c) => c.result === 'change').map((c) => c.to)).toEqual(['member', 'member', 'member']);
    expect((await role(users[1]!))).toMatchObject({ role: 'member', roleSource: { kind: 'default' } });
    expect((await cli(f.env, f.cwd, 'role-mappings', 'delete', 'scim:Engineering-Admins', '--org', org.id)).code).not.toBe(0);
    const settings = await cli(f.env, f.cwd, 'role-mappings', 'settings', '--org', org.id, '--owner-by-mapping', 'on', '--json');
    expect(settings.json()).toEqual({ ownerByMapping: true, manualOverridesWin: false });
  });
});
