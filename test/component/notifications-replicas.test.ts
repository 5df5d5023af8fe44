/**
 * Two replicas on one Redis receive the same notification (a load balancer retried it, or Graph
 * redelivered it to the other): the lookup-and-act happens once, so one deactivation and one audit
 * event. Likewise one GitHub delivery and one Google message sent to both; and the Google channels
 * are opened by one replica when both run the upkeep job at once.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Actor } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { GraphFake, graphId } from '../fakes/graph-fake.js';
import { GithubFake } from '../fakes/github-fake.js';
import { GithubWebhookSender } from '../fakes/github-webhooks.js';
import type { GoogleFake } from '../fakes/google-fake.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { PeriodicJob } from '../../src/runtime/periodic-job.js';
import { googleConfig, googleUserRef, startGoogleFake } from '../support/google-hooks.js';
import { rsaKeys } from '../support/connectors.js';
import { startHookApp, type HookApp } from '../support/hooks.js';
import { RedisTestServer } from '../support/redis-server.js';

const ACTOR: Actor = { kind: 'cli', label: 'replicas test' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = '99999999-8888-4777-8666-555555555555';
const SECRET = 'whsec-0123456789abcdef';

describe('two replicas on one Redis receive the same notification', () => {
  let redis: RedisTestServer;
  let stores: Store[];
  let apps: HookApp[];
  let graph: GraphFake;
  let github: GithubFake;
  let google: GoogleFake;
  let googleConn: string;
  let orgId: string;
  let graphConn: string;
  let githubConn: string;
  const members: Record<string, string> = {};

  beforeAll(async () => {
    redis = await RedisTestServer.start();
    stores = [createRedisStore({ connection: { url: redis.url }, keyPrefix: 'hooks-replicas' }), createRedisStore({ connection: { url: redis.url }, keyPrefix: 'hooks-replicas' })];
    apps = [await startHookApp(stores[0]!, { holder: 'replica-a' }), await startHookApp(stores[1]!, { holder: 'replica-b' })];
    const keys = rsaKeys();
    graph = await new GraphFake({ users: 5, tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret' }).start();
    github = await new GithubFake({ org: 'acme', members: 6, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, saml: true }).start();
    const { services } = apps[0]!;
    orgId = (await services.orgs.create({ name: 'Both' }, ACTOR)).id;
    for (let i = 0; i < 5; i++) {
      members[`g${i}`] = (await services.members.create(orgId, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id;
      members[`h${i}`] = (await services.members.create(orgId, { email: `person${i}@corp.example` }, ACTOR)).id;
    }
    const policy = { realtime: true, maxDeactivations: 10, maxDeactivationPercent: 100 };
    graphConn = (await services.connections.create(orgId, { provider: 'microsoft', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret', graphBaseUrl: graph.url, authorityHost: graph.url }, policy }, ACTOR)).id;
    githubConn = (await services.connections.create(orgId, { provider: 'github', config: { org: 'acme', appId: 4242, installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: github.url, graphqlUrl: `${github.url}/graphql`, webhookSecret: SECRET }, policy }, ACTOR)).id;
    expect(await services.reconcile.run(graphConn)).toMatchObject({ status: 'completed', linked: 5 });
    expect(await services.reconcile.run(githubConn)).toMatchObject({ status: 'completed', linked: 5 });
    google = await startGoogleFake(5);
    for (let i = 0; i < 5; i++) members[`w${i}`] = (await services.members.create(orgId, { email: `user${i}@${google.domain}`, role: 'member' }, ACTOR)).id;
    googleConn = (await services.connections.create(orgId, { provider: 'google', config: googleConfig(google), policy }, ACTOR)).id;
    expect(await services.reconcile.run(googleConn)).toMatchObject({ status: 'completed', linked: 5 });
    expect(await services.notifications.keeper.keepAll()).toMatchObject({ [graphConn]: 'created' });
  });
  afterAll(async () => {
    for (const a of apps) await a.close();
    await graph.stop();
    await github.stop();
    await google.stop();
    for (const s of stores) await s.close();
    await redis.dispose();
  });

  const deactivations = async (memberId: string) => (await stores[0]!.listAudit(orgId, { limit: 1000 })).filter((e) => e.action === 'member.deactivated' && e.target.id === memberId);

  it('when one Graph notification reaches both replicas at once, then one lookup, one deactivation, one audit event', async () => {
    graph.disable(2);
    const item = graph.subscriptions.item(graphId(2), 'updated');
    const before = graph.server.log.filter((l) => l.route === 'users.get').length;
    const codes = await Promise.all(apps.map((a) => graph.subscriptions.send([item], `${a.url}/hooks/microsoft/${graphConn}`)));
    expect(codes).toEqual([202, 202]);
    await Promise.all(apps.map((a) => a.services.notifications.idle()));
    expect(await deactivations(members.g2!)).toHaveLength(1);
    expect(graph.server.log.filter((l) => l.route === 'users.get').length - before).toBe(1);
    const outcomes = [await apps[0]!.outcomes(), await apps[1]!.outcomes()];
    expect([outcomes[0]!['microsoft/applied'] ?? 0, outcomes[1]!['microsoft/applied'] ?? 0].sort()).toEqual([0, 1]);
    expect([outcomes[0]!['microsoft/duplicate'] ?? 0, outcomes[1]!['microsoft/duplicate'] ?? 0].sort()).toEqual([0, 1]);
  });

  it('when one GitHub delivery reaches both replicas, then the second is a replay and one deactivation is written', async () => {
    github.removeMember(3);
    const senders = apps.map((a) => new GithubWebhookSender(github, `${a.url}/hooks/github/${githubConn}`, SECRET));
    const d = senders[0]!.organization(3, 'member_removed');
    expect(await Promise.all(senders.map((s) => s.send(d)))).toEqual([202, 202]);
    await Promise.all(apps.map((a) => a.services.notifications.idle()));
    expect(await deactivations(members.h3!)).toHaveLength(1);
    const replayed = (await apps[0]!.outcomes())['github/replayed'] ?? 0;
    expect(replayed + ((await apps[1]!.outcomes())['github/replayed'] ?? 0)).toBe(1);
  });

  it('when both replicas run the Google channel upkeep at once, then one opens the channels (one per event)', async () => {
    const jobs = apps.map((a, i) => new PeriodicJob('google-channels', 60_000, () => a.services.notifications.channels.keepAll(), { store: stores[i]!, logger: silentLogger, holder: `replica-${i}` }));
    await Promise.all(jobs.map((j) => j.tick()));
    expect(google.channels.watches).toBe(4);
    expect(google.channels.open()).toHaveLength(4);
  });

  it('when one Google message reaches both replicas, then the second is a replay and one deactivation is written', async () => {
    google.suspend(3);
    const ch = google.channels.open('update')[0]!;
    const msg = google.channels.message(ch, 'update', googleUserRef(google, 3));
    const before = google.server.calls('users.get');
    const codes = await Promise.all(apps.map((a) => google.channels.deliver(msg, `${a.url}/hooks/google/${googleConn}`)));
    expect([...codes].sort()).toEqual([200, 202]);
    await Promise.all(apps.map((a) => a.services.notifications.idle()));
    expect(await deactivations(members.w3!)).toHaveLength(1);
    expect(google.server.calls('users.get') - before).toBe(1);
    const replayed = ((await apps[0]!.outcomes())['google/replayed'] ?? 0) + ((await apps[1]!.outcomes())['google/replayed'] ?? 0);
    expect(replayed).toBe(1);
  });
});
