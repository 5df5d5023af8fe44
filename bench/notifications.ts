/**
 * bench/notifications: time from a directory change to the local deactivation when the directory
 * notifies (issue 15), over the local fakes and the real HTTP app, services and SQLite file store.
 * N members are linked by a first run; then N changes are made upstream one by one (Graph: account
 * disabled; GitHub: member removed; Google: user suspended), each followed by the notification the
 * directory sends (Graph POST with clientState; GitHub signed delivery; Google message on the
 * connection's `update` channel with its token), CONCURRENCY in flight, offered at RATE changes a
 * second (0: a burst, as fast as the daemon answers). The lag is from just
 * before the upstream change to the member.deactivated audit event. Prints one JSON line.
 * Usage (through bench/notifications-run.mjs): node notifications.js <microsoft|github|google> [N] [CONCURRENCY] [RATE]
 */
import { join } from 'node:path';
import type { Actor } from '../src/domain/model.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';
import { GithubFake } from '../test/fakes/github-fake.js';
import { GithubWebhookSender } from '../test/fakes/github-webhooks.js';
import { GraphFake, graphId } from '../test/fakes/graph-fake.js';
import { googleConfig, googleUserRef, startGoogleFake } from '../test/support/google-hooks.js';
import { rsaKeys } from '../test/support/connectors.js';
import { tempDir } from '../test/support/harness.js';
import { startHookApp } from '../test/support/hooks.js';

const provider = process.argv[2] === 'github' || process.argv[2] === 'google' ? process.argv[2] : 'microsoft';
const N = Number(process.argv[3] ?? 1000);
const CONCURRENCY = Number(process.argv[4] ?? 10);
/** Changes per second offered (0: as fast as the daemon answers, a burst). */
const RATE = Number(process.argv[5] ?? 0);
const ACTOR: Actor = { kind: 'cli', label: 'bench' };
const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = '99999999-8888-4777-8666-555555555555';
const SECRET = 'bench-webhook-secret-0123';

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

async function main() {
  const store = openSqliteStore({ path: join(tempDir('idsync-bench-hooks-'), 'idsync.db') });
  const app = await startHookApp(store);
  const { services } = app;
  const orgId = (await services.orgs.create({ name: 'Bench' }, ACTOR)).id;
  const policy = { realtime: true, maxDeactivations: 1_000_000, maxDeactivationPercent: 100 };
  // Member 0 is the owner (protected); members 1..N are changed upstream.
  const members: string[] = [];
  let connId: string;
  let change: (i: number) => Promise<number>;
  let calls: () => Record<string, number>;
  /** Directory API calls of the setup that notifications need (Google: opening the channels). */
  let upkeep: Record<string, number> = {};
  if (provider === 'google') {
    const fake = await startGoogleFake(N + 1);
    for (let i = 0; i <= N; i++) members.push((await services.members.create(orgId, { email: `user${i}@${fake.domain}`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
    connId = (await services.connections.create(orgId, { provider: 'google', config: googleConfig(fake), policy }, ACTOR)).id;
    await services.reconcile.run(connId);
    const opened = fake.server.log.length;
    await services.notifications.channels.keepAll();
    upkeep = count(fake.server.log.slice(opened).map((l) => l.route));
    const start = fake.server.log.length;
    change = async (i) => {
      fake.suspend(i);
      const codes = await fake.channels.notify('update', googleUserRef(fake, i));
      return codes.length === 1 ? codes[0]! : -codes.length;
    };
    calls = () => count(fake.server.log.slice(start).map((l) => l.route));
  } else if (provider === 'microsoft') {
    const fake = await new GraphFake({ users: N + 1, tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret' }).start();
    for (let i = 0; i <= N; i++) members.push((await services.members.create(orgId, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
    connId = (await services.connections.create(orgId, { provider: 'microsoft', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 's3cret', graphBaseUrl: fake.url, authorityHost: fake.url }, policy }, ACTOR)).id;
    await services.reconcile.run(connId);
    const opened = fake.server.log.length;
    await services.notifications.keeper.keepAll();
    upkeep = count(fake.server.log.slice(opened).map((l) => l.route));
    const start = fake.server.log.length;
    change = async (i) => {
      fake.disable(i);
      return fake.subscriptions.notify(graphId(i), 'updated');
    };
    calls = () => count(fake.server.log.slice(start).map((l) => l.route));
  } else {
    const keys = rsaKeys();
    const fake = await new GithubFake({ org: 'acme', members: N + 2, appId: '4242', installationId: '77', publicKeyPem: keys.publicPem, saml: true }).start();
    for (let i = 0; i <= N; i++) members.push((await services.members.create(orgId, { email: `person${i}@corp.example`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
    connId = (await services.connections.create(orgId, { provider: 'github', config: { org: 'acme', appId: 4242, installationId: '77', privateKey: keys.pkcs1, apiBaseUrl: fake.url, graphqlUrl: `${fake.url}/graphql`, webhookSecret: SECRET }, policy }, ACTOR)).id;
    await services.reconcile.run(connId);
    const sender = new GithubWebhookSender(fake, `${app.url}/hooks/github/${connId}`, SECRET);
    const start = fake.server.log.length;
    change = async (i) => {
      fake.removeMember(i);
      return sender.send(sender.organization(i, 'member_removed'));
    };
    calls = () => count(fake.server.log.slice(start).map((l) => l.route));
  }

  const changedAt = new Map<string, number>();
  const t0 = Date.now();
  let next = 1;
  const worker = async () => {
    while (next <= N) {
      const i = next++;
      const due = RATE > 0 ? t0 + ((i - 1) * 1000) / RATE : 0;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      changedAt.set(members[i]!, Date.now());
      const status = await change(i);
      if (status !== 202) throw new Error(`notification ${i} answered ${status}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await services.notifications.idle();
  const wallMs = Date.now() - t0;
  const events = (await store.listAudit(orgId, { limit: 100_000 })).filter((e) => e.action === 'member.deactivated' && e.source === 'notification');
  const lags = events.map((e) => Date.parse(e.at) - changedAt.get(e.target.id)!).sort((a, b) => a - b);
  const result = { provider, changes: N, concurrency: CONCURRENCY, rate: RATE, deactivated: events.length, p50Ms: pct(lags, 50), p99Ms: pct(lags, 99), maxMs: lags.at(-1), wallMs, apiCalls: calls(), upkeepCalls: upkeep };
  await app.close();
  await store.close();
  console.log(JSON.stringify(result));
  process.exit(0);
}

function count(routes: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of routes) out[r] = (out[r] ?? 0) + 1;
  return out;
}

void main();
