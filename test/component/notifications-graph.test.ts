/**
 * Microsoft Graph change notifications acted on as hints, over HTTP from a local Graph that keeps
 * subscriptions and sends real notifications: the validationToken handshake on create, a disable
 * and a delete reaching deactivation (source notification), a forged clientState changing nothing,
 * a lookup that says active doing nothing, `missed` starting a run, renewal before expiry, a failed
 * renewal that recovers, subscriptionRemoved and reauthorizationRequired handled, deletion when
 * realtime is turned off. On both stores; two replicas on one Redis act once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { join } from 'node:path';
import type { Actor } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import { publicConnection } from '../../src/services/connections/service.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { GraphFake, graphId } from '../fakes/graph-fake.js';
import { tempDir } from '../support/harness.js';
import { startHookApp, type HookApp } from '../support/hooks.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';
import { adjustableClock } from '../support/services.js';

const ACTOR: Actor = { kind: 'cli', label: 'graph hooks test' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = '99999999-8888-4777-8666-555555555555';
const USERS = 20;

describe.each(STORES)('Microsoft Graph change notifications as hints, on %s', (storeKind) => {
  let redis: RedisTestServer | undefined;
  let store: Store;
  let app: HookApp;
  let fake: GraphFake;
  let orgId: string;
  let connId: string;
  const memberIds: string[] = [];
  const clock = adjustableClock(new Date().toISOString());

  beforeAll(async () => {
    if (storeKind === 'redis') {
      redis = await RedisTestServer.start();
      store = createRedisStore({ connection: { url: redis.url }, keyPrefix: 'hooks-graph' });
    } else store = openSqliteStore({ path: join(tempDir('idsync-hooks-graph-'), 'idsync.db') });
    fake = await new GraphFake({ users: USERS, tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret' }).start();
    fake.subscriptions.now = () => clock.now().getTime();
    app = await startHookApp(store, { clock });
    const { services } = app;
    orgId = (await services.orgs.create({ name: 'Contoso' }, ACTOR)).id;
    for (let i = 0; i < USERS; i++) memberIds.push((await services.members.create(orgId, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
    const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret', graphBaseUrl: fake.url, authorityHost: fake.url };
    connId = (await services.connections.create(orgId, { provider: 'microsoft', config, policy: { realtime: true, maxDeactivations: 10, maxDeactivationPercent: 100 } }, ACTOR)).id;
    expect(await services.reconcile.run(connId)).toMatchObject({ status: 'completed', linked: USERS });
  });
  afterAll(async () => {
    await app.close();
    await fake.stop();
    await store.close();
    await redis?.dispose();
  });

  const status = async (i: number) => (await store.getMember(orgId, memberIds[i]!))?.status;
  const view = async () => publicConnection((await store.getConnection(connId))!).notifications;
  const lookups = () => fake.server.log.filter((l) => l.route === 'users.get').length;

  it('when the keeper first passes, then Graph validates the notification URL and the subscription shows in the connection', async () => {
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'created' });
    expect(fake.subscriptions.validations).toEqual([{ url: `${app.url}/hooks/microsoft/${connId}`, ok: true }]);
    const sub = fake.subscriptions.only();
    expect(sub).toMatchObject({ resource: 'users', changeType: 'updated,deleted', lifecycleNotificationUrl: sub.notificationUrl });
    expect(await view()).toEqual({ subscriptionId: sub.id, expiresAt: new Date(sub.expirationDateTime).toISOString() });
    // The sealed clientState is never shown.
    expect(JSON.stringify(publicConnection((await store.getConnection(connId))!))).not.toContain(sub.clientState);
  });

  it('when a user is disabled and another deleted upstream, then each notification leads to one lookup and a deactivation with source notification', async () => {
    fake.disable(3);
    fake.remove(4, 'deleted');
    const before = lookups();
    expect(await fake.subscriptions.notify(graphId(3), 'updated')).toBe(202);
    expect(await fake.subscriptions.notify(graphId(4), 'deleted')).toBe(202);
    await app.services.notifications.idle();
    expect([await status(3), await status(4)]).toEqual(['inactive', 'inactive']);
    expect(lookups() - before).toBe(2);
    const events = (await store.listAudit(orgId, { limit: 1000 })).filter((e) => e.action === 'member.deactivated');
    const sub = fake.subscriptions.only();
    expect(events.find((e) => e.target.id === memberIds[3])).toMatchObject({ source: 'notification', evidence: { kind: 'suspended', notification: { provider: 'microsoft', change: 'updated', lookup: { state: 'suspended' }, ids: [sub.id, expect.any(String)] } } });
    expect(events.find((e) => e.target.id === memberIds[4])).toMatchObject({ source: 'notification', evidence: { kind: 'deleted', confirmedByLookup: true, notification: { lookup: { state: 'deleted' } } } });
    expect((await view())?.lastMessageAt).toEqual(expect.any(String));
  });

  it('when a notification carries a wrong clientState, then it is refused 403 and nothing is looked up; in a batch only the genuine item is worked', async () => {
    fake.disable(6);
    fake.disable(7);
    const before = lookups();
    expect(await fake.subscriptions.notify(graphId(6), 'updated', { clientState: 'guessed' })).toBe(403);
    await app.services.notifications.idle();
    expect(lookups()).toBe(before);
    expect(await status(6)).toBe('active');
    expect(await fake.subscriptions.send([fake.subscriptions.item(graphId(6), 'updated', { clientState: 'guessed' }), fake.subscriptions.item(graphId(7), 'updated')])).toBe(202);
    await app.services.notifications.idle();
    expect([await status(6), await status(7)]).toEqual(['active', 'inactive']);
    expect(await app.outcomes()).toMatchObject({ 'microsoft/forged': 2 });
  });

  it('when the lookup says the user is active, then nothing changes', async () => {
    const events = (await store.listAudit(orgId, { limit: 1000 })).length;
    expect(await fake.subscriptions.notify(graphId(8), 'updated')).toBe(202);
    await app.services.notifications.idle();
    expect(await status(8)).toBe('active');
    expect((await store.listAudit(orgId, { limit: 1000 })).length).toBe(events);
  });

  it('when Graph says notifications were missed, then a normal run of the connection happens and finds what they would have said', async () => {
    // Member 6's disable was only ever sent with a forged clientState.
    expect(await fake.subscriptions.lifecycle('missed')).toBe(202);
    await app.services.notifications.idle();
    const runs = (await store.listRuns(connId, { limit: 5 })).items;
    expect(runs[0]).toMatchObject({ trigger: 'notification', status: 'completed' });
    expect(await status(6)).toBe('inactive');
  });

  it('when the subscription nears expiry, then the keeper renews it; a failed renewal is shown and the next pass recovers', async () => {
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'kept' });
    clock.advanceHours(40);
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'renewed' });
    expect(fake.subscriptions.renewals).toBe(1);
    expect(new Date((await view())!.expiresAt!).getTime()).toBeGreaterThan(clock.now().getTime() + 60 * 3_600_000);

    clock.advanceHours(40);
    fake.server.inject('subscriptions', { status: 403, body: { error: { code: 'Authorization_RequestDenied', message: 'Insufficient privileges to complete the operation.' } } });
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'failed' });
    expect((await view())?.lastError?.message).toEqual(expect.any(String));
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'renewed' });
    expect((await view())?.lastError).toBeUndefined();
  });

  it('when Graph drops the subscription or asks for reauthorization, then a new one is made or the old one reauthorized and renewed', async () => {
    const first = fake.subscriptions.only().id;
    clock.advanceHours(40);
    fake.subscriptions.drop(first);
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'created' });
    const second = fake.subscriptions.only().id;
    expect(second).not.toBe(first);
    expect(await fake.subscriptions.lifecycle('subscriptionRemoved')).toBe(202);
    await app.services.notifications.idle();
    const third = fake.subscriptions.only().id;
    expect(third).not.toBe(second);
    expect((await view())?.subscriptionId).toBe(third);
    expect(await fake.subscriptions.lifecycle('reauthorizationRequired')).toBe(202);
    await app.services.notifications.idle();
    expect(fake.subscriptions.reauthorizations).toBe(1);
    expect(fake.subscriptions.only().id).toBe(third);
  });

  it('when realtime is turned off, then the subscription is deleted and notifications for the connection answer 404', async () => {
    const sub = fake.subscriptions.only();
    await app.services.connections.update(connId, { policy: { realtime: false } }, ACTOR);
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'deleted' });
    expect(fake.subscriptions.subs.size).toBe(0);
    expect(await view()).toBeUndefined();
    const res = await fetch(sub.notificationUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: [{ subscriptionId: sub.id, clientState: sub.clientState }] }) });
    expect(res.status).toBe(404);
  });

  it('when the connection is deleted while subscribed, then its subscription is deleted at Graph too', async () => {
    await app.services.connections.update(connId, { policy: { realtime: true } }, ACTOR);
    expect(await app.services.notifications.keeper.keepAll()).toEqual({ [connId]: 'created' });
    expect(fake.subscriptions.subs.size).toBe(1);
    await app.services.connections.delete(connId, ACTOR);
    expect(fake.subscriptions.subs.size).toBe(0);
  });
});
