import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { readdirSync, readFileSync } from 'node:fs';
import { isIdsyncError, type ErrorCode } from '../../src/domain/errors.js';
import type { Member } from '../../src/domain/model.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import { claimHeld } from '../../src/services/reconcile/held-claim.js';
import { aConnection, aMember, anOrg, aRun, aTeam, draft } from '../../src/store/conformance/fixtures.js';
import { redisKeys } from '../../src/store/redis/keys.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { expandIncludes, loadScripts, LUA_DIR, SCRIPT_NAMES } from '../../src/store/redis/scripts.js';
import { RedisTestServer, twoReplicaStores } from '../support/redis-server.js';

async function codeOf(p: Promise<unknown>): Promise<ErrorCode | 'ok' | 'other'> {
  try {
    await p;
    return 'ok';
  } catch (err) {
    return isIdsyncError(err) ? err.code : 'other';
  }
}

const bump = (m: Member, change: Partial<Member>) => ({ next: { ...m, ...change }, audit: draft(m.orgId, 'member.updated', m.id) });

describe('redis store: two processes on one keyspace', () => {
  // Two replicas: only the scripts keep their writes apart.
  const r = twoReplicaStores('p');

  it('when both update one member without ifVersion, then no update is lost and the chain stays valid', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const m = aMember(org.id, { attributes: { n: 0 } });
    await r.a.createMember(m, draft(org.id, 'member.created', m.id));

    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        (i % 2 ? r.a : r.b).updateMember(org.id, m.id, (cur) => bump(cur, { attributes: { n: (cur.attributes.n as number) + 1 } })),
      ),
    );

    const after = await r.b.getMember(org.id, m.id);
    expect(after?.attributes.n).toBe(60);
    expect(after?.version).toBe(61);
    const events = await r.a.listAudit(org.id);
    expect(events).toHaveLength(62);
    expect(verifyChain(events).ok).toBe(true);
    expect((await r.a.listOutbox(org.id)).map((o) => o.id)).toEqual(events.map((e) => e.id));
  });

  it('when both create one userName and remove the two owners, then uniqueness and the last-owner rule hold', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const created = await Promise.all(
      Array.from({ length: 20 }, (_, i) => codeOf((i % 2 ? r.a : r.b).createMember(aMember(org.id, { userName: i % 3 ? 'Same@x.io' : 'same@X.IO' }), draft(org.id, 'member.created', `m${i}`)))),
    );
    expect(created.filter((r) => r === 'ok')).toHaveLength(1);

    const [o1, o2] = [aMember(org.id, { role: 'owner' }), aMember(org.id, { role: 'owner' })];
    await r.a.createMember(o1, draft(org.id, 'member.created', o1.id));
    await r.b.createMember(o2, draft(org.id, 'member.created', o2.id));
    const removed = await Promise.all([
      codeOf(r.a.updateMember(org.id, o1.id, (cur) => bump(cur, { status: 'removed' }))),
      codeOf(r.b.updateMember(org.id, o2.id, (cur) => bump(cur, { status: 'removed' }))),
    ]);
    expect(removed.sort()).toEqual(['member.last_owner', 'ok']);
    expect((await r.a.listMembers(org.id, { roles: ['owner'], statuses: ['active'] })).total).toBe(1);
    expect(verifyChain(await r.b.listAudit(org.id)).ok).toBe(true);
  });

  it('when both add and remove team members, then the set and the reverse index agree', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const team = aTeam(org.id);
    await r.a.createTeam(team, draft(org.id, 'team.created', team.id));
    const ids = Array.from({ length: 30 }, (_, i) => `m${i}`);
    const added = await Promise.all(ids.map((id, i) => (i % 2 ? r.a : r.b).addTeamMembers(org.id, team.id, [id, 'm0'], draft(org.id, 'team.members_added', team.id))));
    expect(added.flat().sort()).toEqual([...ids].sort());
    await Promise.all(ids.slice(0, 10).map((id, i) => (i % 2 ? r.b : r.a).removeTeamMembers(org.id, team.id, [id], draft(org.id, 'team.members_removed', team.id))));
    expect((await r.a.listTeamMembers(org.id, team.id)).total).toBe(20);
    expect(await r.b.listMemberTeams(org.id, 'm5')).toEqual([]);
    expect(await r.b.listMemberTeams(org.id, 'm25')).toEqual([team.id]);
    // Only calls that changed the set were audited.
    const changing = added.filter((x) => x.length > 0).length;
    expect(verifyChain(await r.a.listAudit(org.id))).toMatchObject({ ok: true, head: { seq: 2 + changing + 10 } });
  });

  it('when both replicas claim one held run at once (approvals and rejections), then exactly one claim wins and the rest get run.not_held', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const conn = aConnection(org.id);
    await r.a.createConnection(conn, draft(org.id, 'connection.created', conn.id));
    const run = await r.a.createRun(aRun(conn, { status: 'held' }));

    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) => codeOf((i % 2 ? r.a : r.b).updateRun(org.id, run.id, claimHeld(i % 4 < 2 ? 'approved' : 'rejected', new Date().toISOString())))),
    );

    expect(claims.filter((c) => c === 'ok')).toHaveLength(1);
    expect(claims.filter((c) => c === 'run.not_held')).toHaveLength(19);
    expect(await r.b.getRun(run.id)).toMatchObject({ status: expect.stringMatching(/^(approved|rejected)$/), version: 2 });
  });
});

describe('redis store: global index entries without a record', () => {
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('when a process died between writing a global index entry and the org record, then lookups and lists ignore the entry', async () => {
    // Arrange: what a crash after the first (global) step leaves behind.
    const raw = new Redis(server.url);
    const store = createRedisStore({ connection: { url: server.url }, keyPrefix: 'crash' });
    try {
      const k = redisKeys('crash');
      const org = anOrg();
      await store.createOrg(org, draft(org.id, 'org.created', org.id));
      await raw.zadd(k.orgs.all, 99, 'ghost-org');
      await raw.hset(k.scim.byHash, 'ghost-hash', JSON.stringify({ orgId: org.id, id: 'ghost-token' }));
      await raw.hset(k.admin.byHash, 'ghost-key-hash', JSON.stringify({ scope: org.id, id: 'ghost-key' }));
      await raw.hset(k.admin.byId, 'ghost-key', org.id);
      await raw.zadd(k.admin.all, 99, 'ghost-key');

      // Act and assert
      expect(await store.listOrgs()).toEqual({ items: [org], total: 1 });
      expect(await store.findScimTokenByHash('ghost-hash')).toBeUndefined();
      expect(await store.findAdminKeyByHash('ghost-key-hash')).toBeUndefined();
      expect(await store.listAdminKeys()).toEqual([]);
      expect(await codeOf(store.revokeAdminKey('ghost-key', '2026-01-05T00:00:00.000Z', draft(org.id, 'admin_key.revoked', 'ghost-key')))).toBe('token.not_found');
    } finally {
      await store.close();
      raw.disconnect();
    }
  });
});

describe('redis keys and scripts', () => {
  it('when keys are built for an org, then they all share its hash tag and braces in ids cannot break it', () => {
    const keys = redisKeys('app');
    const k = keys.forOrg('a}b{c');
    const names = [k.org, k.member('x}y'), k.members, k.membersBy('active', 'owner'), k.userNames, k.auditHead, k.teamMembers('t'), k.scimToken('s')];
    for (const name of names) expect(/^app:\{([^}]*)\}/.exec(name)?.[1]).toBe('o:a%7Db%7Bc');
    expect(k.member('1')).toBe('app:{o:a%7Db%7Bc}:member:1');
    expect(() => redisKeys('bad{prefix}')).toThrow(/braces/);
  });

  it('when the Lua files are loaded, then each has a KEYS/ARGV/Returns header and every include is expanded', () => {
    const files = readdirSync(LUA_DIR).filter((f) => f.endsWith('.lua'));
    expect(files.map((f) => f.replace(/-\d+\.lua$/, '')).sort()).toEqual([...SCRIPT_NAMES].sort());
    for (const f of files) {
      const text = readFileSync(new URL(f, LUA_DIR), 'utf8');
      expect(text.startsWith('--[[')).toBe(true);
      const header = text.slice(0, text.indexOf(']]'));
      expect(header).toMatch(/KEYS\[1/);
      expect(header).toMatch(/ARGV\[1/);
      expect(header).toMatch(/Returns /);
    }
    for (const s of loadScripts().values()) expect(s.lua).not.toMatch(/^--@include/m);
    expect(() => expandIncludes('--@include a', (name) => (name === 'a' ? '--@include b' : '--@include a'))).toThrow(/cycle/);
  });
});
