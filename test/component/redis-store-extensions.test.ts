import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { IdsyncError } from '../../src/domain/errors.js';
import type { InviteLink } from '../../src/domain/model.js';
import { verifyChain } from '../../src/ports/audit-chain.js';
import { aConnection, aDelivery, anInvitation, anInviteLink, anOrg, aRun, aWebhook, draft, hoursFrom, NOW } from '../../src/store/conformance/fixtures.js';
import { codeOf } from '../../src/store/conformance/harness.js';
import { redisKeys } from '../../src/store/redis/keys.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { RedisTestServer, twoReplicaStores } from '../support/redis-server.js';

const useLink = (cur: InviteLink) => {
  if (cur.maxUses !== undefined && cur.uses >= cur.maxUses) throw new IdsyncError('link.not_found', 'used up');
  return { next: { ...cur, uses: cur.uses + 1 }, audit: draft(cur.orgId, 'invite_link.used', cur.id) };
};

describe('redis store extensions: two processes on one keyspace', () => {
  // Two replicas: only the scripts keep their writes apart.
  const r = twoReplicaStores('x');

  it('when both create invitations against one cap and for one email, then the cap and the duplicate rule hold', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const capped = await Promise.all(
      Array.from({ length: 30 }, (_, i) => codeOf((i % 2 ? r.a : r.b).createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', `i${i}`), { pendingCap: 7, now: NOW }))),
    );
    expect(capped.filter((r) => r === 'ok')).toHaveLength(7);
    expect(capped.filter((r) => r === 'invite.cap_reached')).toHaveLength(23);

    const other = anOrg();
    await r.b.createOrg(other, draft(other.id, 'org.created', other.id));
    const same = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        codeOf((i % 2 ? r.a : r.b).createInvitation(anInvitation(other.id, { email: i % 3 ? 'Dup@X.io' : 'dup@x.IO' }), draft(other.id, 'invite.created', `d${i}`), { pendingCap: 50, now: NOW })),
      ),
    );
    expect(same.filter((r) => r === 'ok')).toHaveLength(1);
    expect(await r.a.listPendingInvitationsForEmail(other.id, 'dup@x.io')).toHaveLength(1);
    expect(verifyChain(await r.b.listAudit(org.id))).toMatchObject({ ok: true, head: { seq: 8 } });
  });

  it('when both use the last use of a link and accept one invitation, then exactly one of each wins', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const link = await r.a.createInviteLink(anInviteLink(org.id, { maxUses: 3 }), draft(org.id, 'invite_link.created', 'l'));
    const uses = await Promise.all(Array.from({ length: 20 }, (_, i) => codeOf((i % 2 ? r.a : r.b).updateInviteLink(org.id, link.id, useLink))));
    expect(uses.filter((r) => r === 'ok')).toHaveLength(3);
    expect(await r.b.getInviteLink(org.id, link.id)).toMatchObject({ uses: 3, version: 4 });

    const inv = await r.b.createInvitation(anInvitation(org.id), draft(org.id, 'invite.created', 'i'), { pendingCap: 5, now: NOW });
    const accepted = await Promise.all(
      [r.a, r.b, r.a, r.b].map((s, i) =>
        codeOf(
          s.updateInvitation(org.id, inv.id, (cur) => {
            if (cur.status !== 'pending') throw new IdsyncError('invite.not_found', 'not pending');
            return { next: { ...cur, status: 'accepted', acceptedMemberId: `m${i}` }, audit: draft(org.id, 'invite.accepted', cur.id) };
          }),
        ),
      ),
    );
    expect(accepted.filter((r) => r === 'ok')).toHaveLength(1);
    expect(await r.a.listInvitations(org.id, { statuses: ['pending'] })).toEqual({ items: [], total: 0 });
  });

  it('when one saves connection state while the other updates the connection, then neither change is lost', async () => {
    const org = anOrg();
    await r.a.createOrg(org, draft(org.id, 'org.created', org.id));
    const conn = aConnection(org.id);
    await r.a.createConnection(conn, draft(org.id, 'connection.created', conn.id));
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2
          ? r.a.saveConnectionState(org.id, conn.id, { syncState: { [`k${i}`]: i } })
          : r.b.updateConnection(org.id, conn.id, (cur) => ({ next: { ...cur, policy: { ...cur.policy, [`p${i}`]: i } }, audit: draft(org.id, 'connection.updated', cur.id) })),
      ),
    );
    const after = await r.b.getConnection(conn.id);
    expect(after?.version).toBe(11);
    expect(Object.keys(after?.policy ?? {})).toHaveLength(11);
    // saveConnectionState replaces syncState whole, so the last writer's state is what remains.
    expect(Object.keys(after?.syncState ?? {})).toHaveLength(1);
  });
});

describe('redis store extensions: global index entries without a record', () => {
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('when a process died between writing a global entry and the org record, then lookups, lists and due deliveries ignore it', async () => {
    // Arrange: what a crash after each first (global) step leaves behind.
    const raw = new Redis(server.url);
    const store = createRedisStore({ connection: { url: server.url }, keyPrefix: 'crash' });
    try {
      const k = redisKeys('crash');
      const org = anOrg();
      await store.createOrg(org, draft(org.id, 'org.created', org.id));
      const conn = aConnection(org.id);
      await store.createConnection(conn, draft(org.id, 'connection.created', conn.id));
      const ghostRef = JSON.stringify({ orgId: org.id, id: 'ghost' });
      await raw.hset(k.invites.invitationByHash, 'ghost-hash', ghostRef);
      await raw.hset(k.invites.linkByHash, 'ghost-hash', ghostRef);
      await raw.hset(k.connections.byId, 'ghost-conn', org.id);
      await raw.zadd(k.connections.all, 99, 'ghost-conn');
      await raw.hset(k.runs.byId, 'ghost-run', org.id);
      await raw.zadd(k.webhooks.due, Date.parse(NOW) - 1000, JSON.stringify([org.id, 'ghost-delivery']));
      await raw.sadd(k.outbox.scopes, 'ghost-org');

      // Act and assert
      expect(await store.findInvitationByTokenHash('ghost-hash')).toBeUndefined();
      expect(await store.findInviteLinkByTokenHash('ghost-hash')).toBeUndefined();
      expect(await store.getConnection('ghost-conn')).toBeUndefined();
      expect((await store.listConnections()).map((c) => c.id)).toEqual([conn.id]);
      expect(await store.getRun('ghost-run')).toBeUndefined();
      expect(await store.listDueDeliveries(NOW, 10)).toEqual([]);
      expect(await store.listOrgsWithOutboxBacklog('webhooks')).toEqual([org.id]);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });

  it('when refused or replaced, then global entries are released and delivered ones leave the due index', async () => {
    const raw = new Redis(server.url);
    const store = createRedisStore({ connection: { url: server.url }, keyPrefix: 'tidy' });
    try {
      const k = redisKeys('tidy');
      const org = anOrg();
      await store.createOrg(org, draft(org.id, 'org.created', org.id));
      await store.createInvitation(anInvitation(org.id, { tokenHash: 'first' }), draft(org.id, 'invite.created', 'i1'), { pendingCap: 1, now: NOW });
      expect(await codeOf(store.createInvitation(anInvitation(org.id, { tokenHash: 'refused' }), draft(org.id, 'invite.created', 'i2'), { pendingCap: 1, now: NOW }))).toBe(
        'invite.cap_reached',
      );
      const [inv] = (await store.listInvitations(org.id)).items;
      await store.updateInvitation(org.id, inv!.id, (cur) => ({ next: { ...cur, tokenHash: 'second' }, audit: draft(org.id, 'invite.resent', cur.id) }));
      expect((await raw.hkeys(k.invites.invitationByHash)).sort()).toEqual(['second']);
      expect(await codeOf(store.createConnection(aConnection('no-such-org'), draft('no-such-org', 'connection.created', 'c')))).toBe('org.not_found');
      expect(await raw.hlen(k.connections.byId)).toBe(0);
      expect(await codeOf(store.createRun(aRun(aConnection(org.id))))).toBe('connection.not_found');
      expect(await raw.hlen(k.runs.byId)).toBe(0);

      const ep = aWebhook(org.id);
      await store.createWebhook(ep, draft(org.id, 'webhook.created', ep.id));
      const d = aDelivery(org.id, ep.id, { nextAttemptAt: hoursFrom(NOW, -1) });
      await store.saveDelivery(d);
      expect(await raw.zcard(k.webhooks.due)).toBe(1);
      await store.saveDelivery({ ...d, status: 'delivered', attempts: 1 });
      expect(await store.listDueDeliveries(NOW, 10)).toEqual([]);
      expect(await raw.zcard(k.webhooks.due)).toBe(0);
      expect(await codeOf(store.saveDelivery(aDelivery('no-such-org', ep.id)))).toBe('org.not_found');
      expect(await raw.zcard(k.webhooks.due)).toBe(0);
    } finally {
      await store.close();
      raw.disconnect();
    }
  });
});

describe('redis extension keys', () => {
  it('when extension keys are built for an org, then they share its hash tag and an identity provider cannot shift the subject', () => {
    const k = redisKeys('app').forOrg('a}b');
    const names = [
      k.invitation('i'),
      k.pendingInvitations,
      k.pendingInvitationsByEmail('x@y.z'),
      k.inviteLink('l'),
      k.connection('c'),
      k.runsOf('c'),
      k.webhook('w'),
      k.deliveriesOfByStatus('w', 'pending'),
      k.outboxCursors,
      k.byIdentity('google', 's'),
    ];
    for (const name of names) expect(/^app:\{([^}]*)\}/.exec(name)?.[1]).toBe('o:a%7Db');
    expect(k.byIdentity('a:b', 'c')).not.toBe(k.byIdentity('a', 'b:c'));
  });
});

describe('redis store: the SCIM request log is trimmed as it is written', () => {
  let server: RedisTestServer;
  let raw: Redis;
  beforeAll(async () => {
    server = await RedisTestServer.start();
    raw = new Redis(server.url);
  });
  afterAll(async () => {
    raw.disconnect();
    await server.dispose();
  });

  it('when an org logs more than maxPerOrg entries between prunes, then its stream stays within a stream node of the bound and keeps the newest', async () => {
    const store = createRedisStore({ connection: { url: server.url }, keyPrefix: 'trim' });
    const org = anOrg();
    await store.createOrg(org, draft(org.id, 'org.created', org.id));
    const entry = (i: number) => ({ orgId: org.id, at: NOW, method: 'GET', path: `/Users/${i}`, status: 200, latencyMs: 1, idp: 'okta' as const });
    for (let i = 0; i < 2000; i += 500) await store.appendScimLog(Array.from({ length: 500 }, (_, j) => entry(i + j)), { maxPerOrg: 300 });
    // XADD MAXLEN ~ drops whole stream nodes only: never below the bound, under one node above it.
    const node = Number(((await raw.config('GET', 'stream-node-max-entries')) as string[])[1]);
    const length = await raw.xlen(redisKeys('trim').forOrg(org.id).scimLog);
    expect(length).toBeGreaterThanOrEqual(300);
    expect(length).toBeLessThan(300 + node);
    const newest = await store.listScimLog(org.id, { limit: 300 });
    expect(newest.items.map((e) => e.path)).toEqual(Array.from({ length: 300 }, (_, i) => `/Users/${1999 - i}`));
    // Without a bound nothing is trimmed on write (the prune's job); the prune then holds it exactly.
    await store.appendScimLog(Array.from({ length: 500 }, (_, j) => entry(2000 + j)));
    expect(await raw.xlen(redisKeys('trim').forOrg(org.id).scimLog)).toBe(length + 500);
    await store.pruneScimLog({ before: new Date(hoursFrom(NOW, -1)), maxPerOrg: 300 });
    expect(await raw.xlen(redisKeys('trim').forOrg(org.id).scimLog)).toBe(300);
    await store.close();
  });
});
