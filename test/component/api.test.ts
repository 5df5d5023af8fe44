import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Member, Organization, Team } from '../../src/domain/model.js';
import { ApiClient } from '../support/api-client.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

type Page<T> = { items: T[]; total: number };

describe.each(STORES)('admin API on %s', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;
  let orgKey: string;
  let orgA: Organization;
  let orgB: Organization;
  let owner: Member;
  let admin: Member;
  let plain: Member;

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
    orgA = (await api.call<Organization>('post', '/orgs', provider, { name: 'Alpha' })).body;
    orgB = (await api.call<Organization>('post', '/orgs', provider, { name: 'Beta' })).body;
    orgKey = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', orgA.id, '--json')).json<{ key: string }>().key;
    const add = async (email: string, role: string) => (await api.call<Member>('post', `/orgs/${orgA.id}/members`, orgKey, { email, role, givenName: email.split('@')[0] })).body;
    owner = await add('owner@alpha.example', 'owner');
    admin = await add('admin@alpha.example', 'admin');
    plain = await add('plain@alpha.example', 'member');
  });
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  const as = (m: Member) => ({ 'x-idsync-acting-member': m.id });

  it('when the OpenAPI document is fetched, then it is OpenAPI 3.1 and describes every operation', async () => {
    const doc = (await (await fetch(`${f.daemon.url}/api/v1/openapi.json`)).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/orgs', '/orgs/{org}/members', '/orgs/{org}/members/bulk-remove', '/orgs/{org}/access', '/orgs/{org}/audit/verify', '/orgs/{org}/teams/{team}/members']));
  });

  it('when members are searched, then name, email, status, role and team filters combine, paged', async () => {
    const team = (await api.call<Team>('post', `/orgs/${orgA.id}/teams`, orgKey, { displayName: 'Search Team' })).body;
    await api.call('post', `/orgs/${orgA.id}/teams/${team.id}/members`, orgKey, { memberIds: [admin.id, plain.id] });
    const q = async (query: string) => (await api.call<Page<Member>>('get', `/orgs/${orgA.id}/members?${query}`, orgKey)).body;
    expect((await q('q=PLAIN')).items.map((m) => m.id)).toEqual([plain.id]);
    expect((await q('role=owner,admin')).items.map((m) => m.id)).toEqual([owner.id, admin.id]);
    expect((await q(`team=${team.id}&role=member`)).items.map((m) => m.id)).toEqual([plain.id]);
    expect(await q('q=alpha.example&limit=2&offset=1')).toMatchObject({ total: 3, items: [{ id: admin.id }, { id: plain.id }] });
    expect((await api.call('get', `/orgs/${orgA.id}/members?status=zombie`, orgKey)).status).toBe(400);
  });

  it('when roles act through the host product, then owners, admins and members get exactly their rights', async () => {
    const target = (await api.call<Member>('post', `/orgs/${orgA.id}/members`, orgKey, { email: 'target@alpha.example' })).body;
    // A member cannot manage anyone.
    expect((await api.call('post', `/orgs/${orgA.id}/members/${target.id}/deactivate`, orgKey, {}, as(plain))).status).toBe(403);
    expect((await api.call('post', `/orgs/${orgA.id}/members`, orgKey, { email: 'x@alpha.example' }, as(plain))).status).toBe(403);
    // An admin manages members but cannot make owners or touch an owner.
    expect((await api.call('patch', `/orgs/${orgA.id}/members/${target.id}`, orgKey, { role: 'admin' }, as(admin))).status).toBe(200);
    expect((await api.call('patch', `/orgs/${orgA.id}/members/${target.id}`, orgKey, { role: 'owner' }, as(admin))).status).toBe(403);
    expect((await api.call('post', `/orgs/${orgA.id}/members/${owner.id}/deactivate`, orgKey, {}, as(admin))).status).toBe(403);
    // An owner can make another owner; the audit records on whose behalf.
    const promoted = await api.call<Member>('patch', `/orgs/${orgA.id}/members/${target.id}`, orgKey, { role: 'owner' }, as(owner));
    expect(promoted.body.role).toBe('owner');
    const events = (await api.call<{ items: { actor: { onBehalfOf?: string } }[] }>('get', `/orgs/${orgA.id}/audit?action=member.role_changed&target=${target.id}`, orgKey)).body.items;
    expect(events.map((e) => e.actor.onBehalfOf)).toEqual([admin.id, owner.id]);
    // Someone not in the org cannot act for it.
    expect((await api.call('get', `/orgs/${orgA.id}/members`, orgKey, undefined, { 'x-idsync-acting-member': 'nobody' })).status).toBe(403);
  });

  it('when members are deactivated, reactivated and removed, then the rules hold and access follows at once', async () => {
    const m = (await api.call<Member>('post', `/orgs/${orgA.id}/members`, orgKey, { email: 'Access.Me@alpha.example' })).body;
    const access = async (query: string) => (await api.call<{ allowed: boolean; status: string; memberId: string | null }>('get', `/orgs/${orgA.id}/access?${query}`, orgKey)).body;
    expect(await access('email=access.me@ALPHA.example')).toEqual({ allowed: true, memberId: m.id, status: 'active', role: 'member' });
    await api.call('post', `/orgs/${orgA.id}/members/${m.id}/deactivate`, orgKey, { reason: 'left' });
    expect(await access('email=access.me@alpha.example')).toMatchObject({ allowed: false, status: 'inactive' });
    await api.call('post', `/orgs/${orgA.id}/members/${m.id}/activate`, orgKey);
    expect((await access('email=access.me@alpha.example')).allowed).toBe(true);
    expect((await api.call('delete', `/orgs/${orgA.id}/members/${m.id}`, orgKey)).status).toBe(200);
    expect(await access('email=access.me@alpha.example')).toEqual({ allowed: false, memberId: null, status: 'unknown', role: null });
    expect((await api.call('post', `/orgs/${orgA.id}/members/${m.id}/activate`, orgKey)).body).toMatchObject({ error: { code: 'member.removed' } });
    expect(await access('email=nobody@alpha.example')).toEqual({ allowed: false, memberId: null, status: 'unknown', role: null });
    const timed = await api.call('get', `/orgs/${orgA.id}/access?email=owner@alpha.example`, orgKey);
    expect(timed.headers.get('server-timing')).toMatch(/^access;dur=\d+\.\d{3}$/);
    expect((await api.call('get', `/orgs/${orgA.id}/access`, orgKey)).body).toMatchObject({ error: { code: 'request.invalid' } });
  });

  it('when many members are removed at once, then the count comes back and each skipped one says why', async () => {
    const ms = [];
    for (const n of ['b1', 'b2', 'b3']) ms.push((await api.call<Member>('post', `/orgs/${orgA.id}/members`, orgKey, { email: `${n}@alpha.example` })).body);
    const res = await api.call<{ removed: number; removedIds: string[]; skipped: { id: string; code: string }[] }>('post', `/orgs/${orgA.id}/members/bulk-remove`, orgKey, { ids: [ms[0]!.id, owner.id, 'ghost', ms[1]!.id, ms[2]!.id] }, as(admin));
    expect(res.body.removed).toBe(3);
    expect(res.body.removedIds).toEqual([ms[0]!.id, ms[1]!.id, ms[2]!.id]);
    expect(res.body.skipped.map((s) => [s.id, s.code])).toEqual([
      [owner.id, 'auth.forbidden'],
      ['ghost', 'member.not_found'],
    ]);
  });

  it('when the last owner is targeted, then removal, deactivation and demotion are refused', async () => {
    const { body: solo } = await api.call<Organization>('post', '/orgs', provider, { name: 'Solo' });
    const o = (await api.call<Member>('post', `/orgs/${solo.id}/members`, provider, { email: 'only@solo.example', role: 'owner' })).body;
    for (const [method, path, body] of [
      ['delete', `/orgs/${solo.id}/members/${o.id}`, undefined],
      ['post', `/orgs/${solo.id}/members/${o.id}/deactivate`, {}],
      ['patch', `/orgs/${solo.id}/members/${o.id}`, { role: 'admin' }],
    ] as const) {
      const res = await api.call(method, path, provider, body);
      expect(res.status).toBe(409);
      expect(res.body).toMatchObject({ error: { code: 'member.last_owner' } });
    }
  });

  it('when SCIM tokens are managed over the API, then two may be live, secrets show once, revocation is immediate', async () => {
    const t1 = await api.call<{ id: string; token: string }>('post', `/orgs/${orgB.id}/scim-tokens`, provider, { label: 'okta' });
    const t2 = await api.call<{ id: string; token: string }>('post', `/orgs/${orgB.id}/scim-tokens`, provider, {});
    expect([t1.status, t2.status]).toEqual([201, 201]);
    expect((await api.call('post', `/orgs/${orgB.id}/scim-tokens`, provider, {})).body).toMatchObject({ error: { code: 'token.limit_reached' } });
    const list = await api.call<{ items: unknown[] }>('get', `/orgs/${orgB.id}/scim-tokens`, provider);
    expect(JSON.stringify(list.body)).not.toContain(t1.body.token);
    expect((await fetch(`${f.daemon.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${t1.body.token}` } })).status).toBe(200);
    await api.call('delete', `/orgs/${orgB.id}/scim-tokens/${t1.body.id}`, provider);
    expect((await fetch(`${f.daemon.url}/scim/v2/Users`, { headers: { authorization: `Bearer ${t1.body.token}` } })).status).toBe(401);
    expect((await api.call('get', `/orgs/${orgA.id}/scim-tokens`, orgKey, undefined, as(admin))).status).toBe(403);
  });

  it('when the audit trail is read over the API, then filters apply and the chain verifies', async () => {
    const page = await api.call<{ items: { seq: number; action: string }[]; next: number | null }>('get', `/orgs/${orgA.id}/audit?limit=2`, orgKey);
    expect(page.body.items.map((e) => e.seq)).toEqual([1, 2]);
    expect(page.body.next).toBe(2);
    const created = await api.call<{ items: { action: string }[] }>('get', `/orgs/${orgA.id}/audit?action=member.created&actor=admin&limit=1000`, orgKey);
    expect(created.body.items.length).toBeGreaterThanOrEqual(3);
    expect(created.body.items.every((e) => e.action === 'member.created')).toBe(true);
    expect((await api.call('get', `/orgs/${orgA.id}/audit/verify`, orgKey)).body).toMatchObject({ ok: true });
  });

  it('when an org-scoped key uses another org id on every endpoint, then each answers 404', async () => {
    const doc = (await (await fetch(`${f.daemon.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
    let tried = 0;
    for (const [template, ops] of Object.entries(doc.paths)) {
      if (!template.includes('{org}')) continue;
      for (const [method, op] of Object.entries(ops)) {
        const path = template.replace('{org}', orgB.id).replace(/\{\w+\}/g, 'some-id');
        const body = op.requestBody ? { displayName: 'x', email: 'x@beta.example', role: 'member', ids: ['some-id'], memberIds: ['some-id'], name: 'x', url: 'https://hooks.example/x', provider: 'microsoft', config: {}, toOrg: 'some-id', source: 'scim', group: 'x', into: 'some-id', issuer: 'https://idp.example', groups: null } : undefined;
        const res = await api.call(method, `${path}${template.endsWith('/access') ? '?email=x@beta.example' : ''}`, orgKey, body);
        expect([`${method} ${template}`, res.status]).toEqual([`${method} ${template}`, 404]);
        tried++;
      }
    }
    expect(tried).toBeGreaterThanOrEqual(18);
  });
});
