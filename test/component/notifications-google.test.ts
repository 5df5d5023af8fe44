/**
 * Google Workspace push notifications acted on as hints, over HTTP from a local Google that opens
 * channels (users.watch), stops them (channels.stop) and sends real messages with the X-Goog-*
 * headers: channels opened per event with their sync acknowledged, a suspension and a deletion
 * reaching deactivation (source notification), a forged token, an unknown channel, a wrong
 * connection and a replayed message number changing nothing, a lookup that says active doing
 * nothing, renewal before expiry, a failed renewal that backs off and recovers, a restart that
 * reopens the channels at the new address (the old ones stopped), channels stopped when the
 * connection is disabled or deleted, and a burst over the budget held. On both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { Actor, AuditEvent } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import { publicConnection } from '../../src/services/connections/service.js';
import type { RecordedAction } from '../../src/services/reconcile/service.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { FakeChannel } from '../fakes/google-channels.js';
import { ApiClient } from '../support/api-client.js';
import type { GoogleFake } from '../fakes/google-fake.js';
import { googleConfig, googleUserRef, googleWorld, startGoogleFake, type GoogleHookWorld } from '../support/google-hooks.js';
import { tempDir } from '../support/harness.js';
import { startHookApp, type HookApp } from '../support/hooks.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';
import { adjustableClock } from '../support/services.js';

const ACTOR: Actor = { kind: 'cli', label: 'google hooks test' };
const USERS = 20;
const EVENTS = ['update', 'delete', 'makeAdmin', 'undelete'];

async function openStore(kind: string, prefix: string): Promise<{ store: Store; redis?: RedisTestServer }> {
  if (kind !== 'redis') return { store: openSqliteStore({ path: join(tempDir('idsync-hooks-google-'), 'idsync.db') }) };
  const redis = await RedisTestServer.start();
  return { redis, store: createRedisStore({ connection: { url: redis.url }, keyPrefix: prefix }) };
}

describe.each(STORES)('Google Workspace push notifications as hints, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let app: HookApp;
  let fake: GoogleFake;
  let w: GoogleHookWorld;
  const clock = adjustableClock(new Date().toISOString());

  beforeAll(async () => {
    ({ store, redis } = await openStore(storeKind, 'hooks-google'));
    fake = await startGoogleFake(USERS);
    fake.channels.now = () => clock.now().getTime();
    app = await startHookApp(store, { clock });
    w = await googleWorld(app.services, fake, { members: USERS, maxDeactivations: 10 });
    expect(await app.services.reconcile.run(w.connId)).toMatchObject({ status: 'completed', linked: USERS });
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
    await store.close();
    await redis?.dispose();
  });

  const status = async (i: number) => (await store.getMember(w.orgId, w.memberIds[i]!))?.status;
  const conn = async () => (await store.getConnection(w.connId))!;
  const view = async () => publicConnection(await conn()).notifications;
  const keep = async () => app.services.notifications.channels.keep(await conn());
  const lookups = () => fake.server.calls('users.get');
  const ours = () => fake.channels.open().filter((c) => c.address.endsWith(`/hooks/google/${w.connId}`));
  const channelOf = (event: string): FakeChannel => ours().find((c) => c.event === event)!;
  const send = (ch: FakeChannel, state: string, i?: number) => fake.channels.deliver(fake.channels.message(ch, state, i === undefined ? undefined : googleUserRef(fake, i)), ch.address);
  const deactivations = async (): Promise<AuditEvent[]> => (await store.listAudit(w.orgId, { limit: 1000 })).filter((e) => e.action === 'member.deactivated');
  const settle = async () => {
    await app.services.notifications.idle();
    await new Promise((r) => setTimeout(r, 50));
  };

  it('when the keeper first passes, then one channel per event is opened at the hook URL, each sync is acknowledged 200 and the channels show in the connection and the admin API', async () => {
    expect(await keep()).toBe('created');
    await settle();
    const open = ours();
    expect(open.map((c) => c.event).sort()).toEqual([...EVENTS].sort());
    expect(new Set(open.map((c) => c.address))).toEqual(new Set([`${app.url}/hooks/google/${w.connId}`]));
    expect(fake.channels.syncs).toHaveLength(4);
    expect(fake.channels.syncs.every((s) => s.status === 200)).toBe(true);
    expect((await app.outcomes())['google/sync']).toBe(4);
    const shown = (await view())?.channels ?? [];
    expect(shown.map((c) => c.id).sort()).toEqual(open.map((c) => c.id).sort());
    expect(shown.every((c) => typeof c.expiresAt === 'string')).toBe(true);
    // The admin API shows them as documented, and the tokens, sealed at rest, are never shown.
    const api = await ApiClient.connect(app.url);
    const { key } = await app.services.credentials.createAdminKey(ACTOR);
    const res = await api.call<{ notifications?: { channels?: { id: string }[] } }>('get', `/orgs/${w.orgId}/connections/${w.connId}`, key);
    expect(res.status).toBe(200);
    expect((res.body.notifications?.channels ?? []).map((c) => c.id).sort()).toEqual(open.map((c) => c.id).sort());
    expect(api.violations).toEqual([]);
    const json = JSON.stringify(publicConnection(await conn())) + JSON.stringify(res.body);
    for (const c of open) expect(json).not.toContain(c.token!);
  });

  it('when a user is suspended and another deleted, then each message leads to one lookup and a deactivation with source notification', async () => {
    fake.suspend(3);
    fake.remove(4);
    const before = lookups();
    expect(await fake.channels.notify('update', googleUserRef(fake, 3))).toEqual([202]);
    expect(await fake.channels.notify('delete', { id: fake.userAt(4).id, primaryEmail: fake.userAt(4).primaryEmail })).toEqual([202]);
    await settle();
    expect([await status(3), await status(4)]).toEqual(['inactive', 'inactive']);
    expect(lookups() - before).toBe(2);
    const events = await deactivations();
    expect(events.find((e) => e.target.id === w.memberIds[3])).toMatchObject({
      source: 'notification',
      evidence: { kind: 'suspended', notification: { provider: 'google', change: 'update', ids: [channelOf('update').id, expect.any(String)], lookup: { state: 'suspended' } } },
    });
    expect(events.find((e) => e.target.id === w.memberIds[4])).toMatchObject({ source: 'notification', evidence: { kind: 'deleted', confirmedByLookup: true, notification: { change: 'delete', lookup: { state: 'deleted' } } } });
    expect((await view())?.lastMessageAt).toEqual(expect.any(String));
    expect(app.lags).toHaveLength(2);
  });

  it('when a message carries a forged token, no token, an unknown channel id or comes again, then nothing is looked up and each is counted', async () => {
    fake.suspend(6);
    const ch = channelOf('update');
    const before = lookups();
    const forged = fake.channels.message(ch, 'update', googleUserRef(fake, 6));
    expect(await fake.channels.deliver({ ...forged, headers: { ...forged.headers, 'x-goog-channel-token': 'guessed-token' } }, ch.address)).toBe(403);
    const { 'x-goog-channel-token': _t, ...unsigned } = fake.channels.message(ch, 'update', googleUserRef(fake, 6)).headers;
    expect(await fake.channels.deliver({ headers: unsigned, body: forged.body }, ch.address)).toBe(401);
    const stranger = fake.channels.message(ch, 'update', googleUserRef(fake, 6));
    expect(await fake.channels.deliver({ ...stranger, headers: { ...stranger.headers, 'x-goog-channel-id': '6f1c2c55-0000-4000-8000-000000000000' } }, ch.address)).toBe(404);
    const otherResource = fake.channels.message(ch, 'update', googleUserRef(fake, 6));
    expect(await fake.channels.deliver({ ...otherResource, headers: { ...otherResource.headers, 'x-goog-resource-id': 'r-someone-else' } }, ch.address)).toBe(403);
    await settle();
    expect(lookups()).toBe(before);
    expect(await status(6)).toBe('active');

    const genuine = fake.channels.message(ch, 'update', googleUserRef(fake, 6));
    expect(await fake.channels.deliver(genuine, ch.address)).toBe(202);
    expect(await fake.channels.deliver(genuine, ch.address)).toBe(200);
    await settle();
    expect(await status(6)).toBe('inactive');
    expect(lookups() - before).toBe(1);
    expect(await app.outcomes()).toMatchObject({ 'google/forged': 2, 'google/unsigned': 1, 'google/unknown_channel': 1, 'google/replayed': 1 });
  });

  it('when a genuine message is posted to another realtime Google connection, then that connection has no such channel: 404 and nothing happens', async () => {
    const other = await app.services.connections.create(w.orgId, { provider: 'google', name: 'second', config: googleConfig(fake), policy: { realtime: true } }, ACTOR);
    fake.suspend(9);
    const ch = channelOf('update');
    const before = lookups();
    expect(await fake.channels.deliver(fake.channels.message(ch, 'update', googleUserRef(fake, 9)), `${app.url}/hooks/google/${other.id}`)).toBe(404);
    await settle();
    expect(lookups()).toBe(before);
    expect(await status(9)).toBe('active');
    expect((await app.outcomes())['google/unknown_channel']).toBe(2);
    await app.services.connections.delete(other.id, ACTOR);
  });

  it('when sync comes again or a message names a user the lookup finds active, then it is acknowledged and nothing changes', async () => {
    const audit = (await store.listAudit(w.orgId, { limit: 1000 })).length;
    const before = lookups();
    expect(await send(channelOf('makeAdmin'), 'sync')).toBe(200);
    expect(lookups()).toBe(before);
    expect(await fake.channels.notify('makeAdmin', googleUserRef(fake, 8))).toEqual([202]);
    await settle();
    expect(lookups() - before).toBe(1);
    expect(await status(8)).toBe('active');
    expect((await store.listAudit(w.orgId, { limit: 1000 })).length).toBe(audit);
    expect(await app.outcomes()).toMatchObject({ 'google/unchanged': 1 });
  });

  it('when the channels near expiry, then new ones are opened and the old ones stopped; a failed renewal is shown, backs off and recovers', async () => {
    expect(await keep()).toBe('kept');
    const first = ours().map((c) => c.id);
    clock.advanceHours(4.5);
    const stops = fake.channels.stops;
    expect(await keep()).toBe('renewed');
    expect(fake.channels.stops - stops).toBe(4);
    const second = ours();
    expect(second).toHaveLength(4);
    expect(second.some((c) => first.includes(c.id))).toBe(false);
    expect(((await view())?.channels ?? []).map((c) => c.id).sort()).toEqual(second.map((c) => c.id).sort());

    clock.advanceHours(4.5);
    fake.server.inject('users.watch', { status: 403, body: { error: { code: 403, message: 'Not Authorized to access this resource/api', errors: [{ message: 'Not Authorized to access this resource/api', domain: 'global', reason: 'forbidden' }] } } });
    expect(await keep()).toBe('failed');
    expect((await view())?.lastError?.message).toEqual(expect.any(String));
    // The old channels stay until a new one is open: a failed renewal loses nothing while they last.
    expect(ours().map((c) => c.id).sort()).toEqual(second.map((c) => c.id).sort());
    expect(await keep()).toBe('backoff');
    clock.advanceHours(0.05);
    expect(await keep()).toBe('renewed');
    expect((await view())?.lastError).toBeUndefined();
    expect(ours()).toHaveLength(4);
    expect(ours().some((c) => second.some((s) => s.id === c.id))).toBe(false);
  });

  it('when Google grants shorter channels than asked for, then they are kept for two thirds of their life, not replaced every pass', async () => {
    fake.channels.maxTtlS = 3600;
    clock.advanceHours(4.5);
    expect(await keep()).toBe('renewed');
    const short = ours().map((c) => c.id);
    expect(await keep()).toBe('kept');
    clock.advanceHours(0.5);
    expect(await keep()).toBe('kept');
    clock.advanceHours(0.25);
    expect(await keep()).toBe('renewed');
    expect(ours().some((c) => short.includes(c.id))).toBe(false);
    fake.channels.maxTtlS = 6 * 3600;
  });

  it('when stopping a replaced channel fails, then it stays verifiable until the next pass stops it', async () => {
    // The one-hour channels of the case before, with a quarter of an hour left.
    clock.advanceHours(0.75);
    const old = ours();
    const forbidden = { status: 403, body: { error: { code: 403, message: 'Not Authorized to access this resource/api', errors: [{ message: 'Not Authorized to access this resource/api', domain: 'global', reason: 'forbidden' }] } } };
    fake.server.inject('channels.stop', forbidden, 4);
    expect(await keep()).toBe('renewed');
    expect(ours()).toHaveLength(8);
    // Shown: only the new ones. Still genuine: a message on an old one is worked.
    expect(((await view())?.channels ?? []).map((c) => c.id).some((id) => old.some((o) => o.id === id))).toBe(false);
    fake.suspend(12);
    const oldUpdate = old.find((c) => c.event === 'update')!;
    expect(await send(oldUpdate, 'update', 12)).toBe(202);
    await settle();
    expect(await status(12)).toBe('inactive');
    expect(await keep()).toBe('kept');
    expect(ours()).toHaveLength(4);
    expect(ours().some((c) => old.some((o) => o.id === c.id))).toBe(false);
  });

  it('when the daemon restarts at another address, then its first pass opens channels there and stops the old ones', async () => {
    const old = ours();
    await app.close();
    app = await startHookApp(store, { clock });
    const stops = fake.channels.stops;
    expect(await keep()).toBe('renewed');
    await settle();
    expect(fake.channels.stops - stops).toBe(4);
    const now = fake.channels.open().filter((c) => c.address === `${app.url}/hooks/google/${w.connId}`);
    expect(now).toHaveLength(4);
    expect(fake.channels.open().filter((c) => old.some((o) => o.id === c.id))).toHaveLength(0);
    fake.suspend(10);
    expect(await fake.channels.notify('update', googleUserRef(fake, 10))).toEqual([202]);
    await settle();
    expect(await status(10)).toBe('inactive');
  });

  it('when the connection is disabled, then its channels are stopped and its hook answers 404; when deleted, they are stopped too', async () => {
    const ch = channelOf('update');
    await app.services.connections.update(w.connId, { enabled: false }, ACTOR);
    expect(await keep()).toBe('deleted');
    expect(ours()).toHaveLength(0);
    expect(await view()).toBeUndefined();
    expect(await fake.channels.deliver(fake.channels.message(ch, 'update', googleUserRef(fake, 11)), ch.address)).toBe(404);

    await app.services.connections.update(w.connId, { enabled: true }, ACTOR);
    expect(await keep()).toBe('created');
    expect(ours()).toHaveLength(4);
    await app.services.connections.delete(w.connId, ACTOR);
    expect(ours()).toHaveLength(0);
  });
});

describe.each(STORES)('a burst of Google suspensions against the sliding-window budget, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let app: HookApp;
  let fake: GoogleFake;
  let w: GoogleHookWorld;

  beforeAll(async () => {
    ({ store, redis } = await openStore(storeKind, 'hooks-google-burst'));
    fake = await startGoogleFake(40);
    app = await startHookApp(store);
    w = await googleWorld(app.services, fake, { members: 40, maxDeactivations: 5 });
    expect(await app.services.reconcile.run(w.connId)).toMatchObject({ status: 'completed', linked: 40 });
    expect(await app.services.notifications.channels.keepAll()).toEqual({ [w.connId]: 'created' });
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
    await store.close();
    await redis?.dispose();
  });

  it('when 20 suspensions arrive at once against a budget of 5, then 5 are applied and 15 held in one notification run', async () => {
    const burst = Array.from({ length: 20 }, (_, k) => 10 + k);
    for (const i of burst) fake.suspend(i);
    const codes = (await Promise.all(burst.map((i) => fake.channels.notify('update', googleUserRef(fake, i))))).flat();
    expect(codes).toEqual(burst.map(() => 202));
    await app.services.notifications.idle();
    const states = await Promise.all(burst.map((i) => store.getMember(w.orgId, w.memberIds[i]!).then((m) => m?.status)));
    expect(states.filter((s) => s === 'inactive')).toHaveLength(5);
    const runs = (await store.listRuns(w.connId, { limit: 10 })).items.filter((r) => r.trigger === 'notification');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'held', summary: { held: 15 } });
    expect((runs[0]!.plan as RecordedAction[]).every((a) => a.kind === 'deactivate' && a.heldBy === 'deactivation_budget' && JSON.stringify(a).includes('"provider":"google"'))).toBe(true);
    expect(await app.outcomes()).toMatchObject({ 'google/applied': 5, 'google/held': 15 });
  });
});
