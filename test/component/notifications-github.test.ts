/**
 * GitHub organization webhooks acted on as hints, over HTTP from a local GitHub that signs its
 * deliveries: a removal reaches deactivation (source notification, the delivery id and the lookup
 * in the evidence); a bad or missing HMAC and a replayed delivery change nothing; a member_added
 * whose lookup says active does nothing; a burst of 50 removals against a budget of 10 applies 10
 * and holds 40 in one notification run that an approval re-plans. On both stores.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Actor, AuditEvent } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import type { RecordedAction } from '../../src/services/reconcile/service.js';
import { GithubFake } from '../fakes/github-fake.js';
import { GithubWebhookSender } from '../fakes/github-webhooks.js';
import { rsaKeys } from '../support/connectors.js';
import { startHookApp, type HookApp } from '../support/hooks.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES } from '../support/scim.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { tempDir } from '../support/harness.js';
import { join } from 'node:path';

const ACTOR: Actor = { kind: 'cli', label: 'hooks test' };
const SECRET = 'whsec-0123456789abcdef';
const MEMBERS = 70;

interface World {
  redis?: RedisTestServer;
  store: Store;
  app: HookApp;
  fake: GithubFake;
  hooks: GithubWebhookSender;
  orgId: string;
  connId: string;
  memberIds: string[];
}

/** A GitHub org of MEMBERS, an idsync org whose members the first run links by SAML email, realtime on with a budget of 10. */
async function world(storeKind: string, prefix: string): Promise<World> {
  let redis: RedisTestServer | undefined;
  let store: Store;
  if (storeKind === 'redis') {
    redis = await RedisTestServer.start();
    store = createRedisStore({ connection: { url: redis.url }, keyPrefix: prefix });
  } else store = openSqliteStore({ path: join(tempDir('idsync-hooks-'), 'idsync.db') });
  const keys = rsaKeys();
  const fake = await new GithubFake({ org: 'acme', members: MEMBERS, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, saml: true }).start();
  const app = await startHookApp(store);
  const { services } = app;
  const orgId = (await services.orgs.create({ name: 'Acme' }, ACTOR)).id;
  const memberIds: string[] = [];
  for (let i = 0; i < MEMBERS - 1; i++) memberIds.push((await services.members.create(orgId, { email: `person${i}@corp.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
  const config = { org: 'acme', appId: 4242, installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: fake.url, graphqlUrl: `${fake.url}/graphql`, webhookSecret: SECRET };
  const connId = (await services.connections.create(orgId, { provider: 'github', config, policy: { realtime: true, maxDeactivations: 10, maxDeactivationPercent: 100 } }, ACTOR)).id;
  expect(await services.reconcile.run(connId)).toMatchObject({ status: 'completed', linked: MEMBERS - 1 });
  const hooks = new GithubWebhookSender(fake, `${app.url}/hooks/github/${connId}`, SECRET);
  return { ...(redis ? { redis } : {}), store, app, fake, hooks, orgId, connId, memberIds };
}

async function dispose(w: World): Promise<void> {
  await w.app.close();
  await w.fake.stop();
  await w.store.close();
  await w.redis?.dispose();
}

const status = async (w: World, i: number) => (await w.store.getMember(w.orgId, w.memberIds[i]!))?.status;

describe.each(STORES)('GitHub organization webhooks as hints, on %s', (storeKind) => {
  let w: World;
  let store: Store;
  let app: HookApp;
  let fake: GithubFake;
  let hooks: GithubWebhookSender;
  let orgId: string;
  let memberIds: string[];

  beforeAll(async () => {
    w = await world(storeKind, 'hooks-gh');
    ({ store, app, fake, hooks, orgId, memberIds } = w);
  });
  afterAll(() => dispose(w));

  const statusOf = (i: number) => status(w, i);
  const deactivations = async (): Promise<AuditEvent[]> => (await store.listAudit(orgId, { limit: 10_000 })).filter((e) => e.action === 'member.deactivated');
  const lookups = () => fake.server.log.filter((l) => l.route === 'membership').length;

  it('when a ping arrives signed, then it is answered 200 and nothing is looked up', async () => {
    const before = lookups();
    expect(await hooks.send(hooks.ping())).toBe(200);
    await app.services.notifications.idle();
    expect(lookups()).toBe(before);
  });

  it('when a member is removed upstream and the webhook says so, then one lookup confirms it and the member is deactivated with source notification', async () => {
    fake.removeMember(5);
    const d = hooks.organization(5, 'member_removed');
    const before = lookups();
    expect(await hooks.send(d)).toBe(202);
    await app.services.notifications.idle();
    expect(await statusOf(5)).toBe('inactive');
    expect(lookups() - before).toBe(1);
    const [event] = (await deactivations()).filter((e) => e.target.id === memberIds[5]);
    expect(event).toMatchObject({ source: 'notification', evidence: { kind: 'deleted', confirmedByLookup: true, notification: { provider: 'github', ids: [d.delivery], change: 'organization.member_removed', lookup: { state: 'deleted' } } } });
    expect(await app.outcomes()).toMatchObject({ 'github/accepted': 1, 'github/applied': 1 });
    // GitHub's lookup does not date the removal: the lag runs from the message's arrival.
    expect(app.lags).toHaveLength(1);
    expect(app.lags[0]).toBeLessThan(2);
  });

  it('when a delivery is replayed, then it is acknowledged and nothing is looked up or written again', async () => {
    fake.removeMember(6);
    const d = hooks.organization(6, 'member_removed');
    expect(await hooks.send(d)).toBe(202);
    await app.services.notifications.idle();
    const before = { lookups: lookups(), events: (await store.listAudit(orgId, { limit: 10_000 })).length };
    expect(await hooks.send(d)).toBe(202);
    await app.services.notifications.idle();
    expect({ lookups: lookups(), events: (await store.listAudit(orgId, { limit: 10_000 })).length }).toEqual(before);
    expect(await app.outcomes()).toMatchObject({ 'github/replayed': 1 });
  });

  it('when the signature is wrong, missing or made with another secret, then the answer is 403 or 401 and no one is looked up or deactivated', async () => {
    fake.removeMember(7);
    const d = hooks.organization(7, 'member_removed');
    const before = lookups();
    expect(await hooks.send(d, null)).toBe(401);
    expect(await hooks.send(d, hooks.sign(d.body, 'another-secret-of-16+'))).toBe(403);
    expect(await hooks.send({ ...d, body: d.body.replace('member_removed', 'member_added') }, hooks.sign(d.body))).toBe(403);
    await app.services.notifications.idle();
    expect(lookups()).toBe(before);
    expect(await statusOf(7)).toBe('active');
    expect(await app.outcomes()).toMatchObject({ 'github/unsigned': 1, 'github/forged': 2 });
  });

  it('when a webhook names a user the lookup finds active, then nothing changes', async () => {
    const before = (await store.listAudit(orgId, { limit: 10_000 })).length;
    expect(await hooks.send(hooks.organization(8, 'member_added'))).toBe(202);
    await app.services.notifications.idle();
    expect(await statusOf(8)).toBe('active');
    expect((await store.listAudit(orgId, { limit: 10_000 })).length).toBe(before);
    expect(await app.outcomes()).toMatchObject({ 'github/unchanged': 1 });
  });

  it('when the connection id is unknown, then the answer is 404 whatever the signature', async () => {
    const res = await fetch(`${app.url}/hooks/github/00000000-0000-4000-8000-000000000000`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });
});

describe.each(STORES)('a burst of GitHub removals against the sliding-window budget, on %s', (storeKind) => {
  let w: World;
  beforeAll(async () => {
    w = await world(storeKind, 'hooks-gh-burst');
  });
  afterAll(() => dispose(w));

  it('when 50 removals arrive at once against a budget of 10, then 10 are applied and 40 are held in one notification run that an approval re-plans', async () => {
    const burst = Array.from({ length: 50 }, (_, k) => 10 + k);
    for (const i of burst) w.fake.removeMember(i);
    const codes = await Promise.all(burst.map((i) => w.hooks.send(w.hooks.organization(i, 'member_removed'))));
    expect(codes.every((c) => c === 202)).toBe(true);
    await w.app.services.notifications.idle();
    const states = await Promise.all(burst.map((i) => status(w, i)));
    expect(states.filter((s) => s === 'inactive')).toHaveLength(10);
    const runs = (await w.store.listRuns(w.connId, { limit: 10 })).items.filter((r) => r.trigger === 'notification');
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ status: 'held', summary: { held: 40 } });
    const held = runs[0]!.plan as RecordedAction[];
    expect(held.every((a) => a.kind === 'deactivate' && a.outcome.status === 'held' && a.heldBy === 'deactivation_budget')).toBe(true);

    const approval = await w.app.services.reconcile.approve(runs[0]!.id, ACTOR);
    expect(held).toHaveLength(40);
    expect(approval).toMatchObject({ deactivated: 40 });
    expect((await Promise.all(burst.map((i) => status(w, i)))).every((s) => s === 'inactive')).toBe(true);
    expect(await w.store.getRun(runs[0]!.id)).toMatchObject({ status: 'approved' });
  });
});
