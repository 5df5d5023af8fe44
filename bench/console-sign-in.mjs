// Console sign-in cost: `npm run build && node bench/console-sign-in.mjs`.
// Signing in finds a person's organizations through the store's cross-organization indexes (orgs
// with a member linked to the identity or with the email), each candidate then checked; before
// those indexes it walked every organization (two indexed lookups each). This seeds BENCH_ORGS organizations (2,000)
// of BENCH_PER_ORG members each (5), the person an admin of three of them (linked identity), and
// times, through the real services: the sign-in walk (ConsoleSignInService.adminMemberships), and
// the per-request check a signed-in person's every console page pays (forOrg: the org and the
// person's member there, read again). BENCH_STORE=redis with IDSYNC_REDIS_URL runs on Redis.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../dist/logging/winston-logger.js';
import { createBuiltinRegistry } from '../dist/connectors/index.js';
import { createServices } from '../dist/services/index.js';
import { openSqliteStore } from '../dist/store/sqlite/store.js';
import { load, machine, record } from './compile.mjs';

const ORGS = Number(process.env.BENCH_ORGS ?? 2_000);
const PER_ORG = Number(process.env.BENCH_PER_ORG ?? 5);
const WALKS = 10;
const CHECKS = 1_000;

const dir = mkdtempSync(join(tmpdir(), 'idsync-signin-'));
let store;
if (process.env.BENCH_STORE === 'redis') {
  const { createRedisStore } = await import('../dist/store/redis/store.js');
  store = createRedisStore({ connection: { url: process.env.IDSYNC_REDIS_URL }, keyPrefix: `bench-${randomUUID().slice(0, 8)}` });
} else store = openSqliteStore({ path: join(dir, 'idsync.db') });
const services = createServices({ store, clock: { now: () => new Date() }, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 7) });
const actor = { kind: 'system', label: 'bench' };
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p95: s[Math.min(s.length - 1, Math.floor(s.length * 0.95))] };
};

const tSeed = process.hrtime.bigint();
const at = new Date().toISOString();
const person = { kind: 'person', provider: 'google', subject: 'bench-sub', email: 'boss@bench.example', emailVerified: true };
const adminOf = new Set([Math.floor(ORGS * 0.1), Math.floor(ORGS * 0.5), ORGS - 1]);
const orgIds = [];
for (let o = 0; o < ORGS; o++) {
  const org = await services.orgs.create({ name: `Bench org ${o}` }, actor);
  orgIds.push(org.id);
  for (let i = 0; i < PER_ORG; i++) {
    const id = randomUUID();
    const mine = i === 0 && adminOf.has(o);
    const userName = mine ? person.email : `u${i}@org${o}.bench`;
    await store.createMember(
      { id, orgId: org.id, userName, name: {}, emails: [{ value: userName, primary: true }], role: mine ? 'admin' : 'member', status: 'active', managedBy: { kind: 'admin' }, identities: mine ? [{ provider: 'google', subject: person.subject, email: person.email }] : [], attributes: {}, createdAt: at, updatedAt: at, version: 1 },
      { orgId: org.id, actor, action: 'member.created', target: { type: 'member', id } },
    );
  }
}
const seedSeconds = ms(tSeed) / 1000;

const walks = [];
let found = 0;
for (let r = 0; r < WALKS; r++) {
  const t0 = process.hrtime.bigint();
  found = (await services.consoleSignIn.adminMemberships(person)).admin.length;
  walks.push(ms(t0));
}
if (found !== adminOf.size) throw new Error(`expected ${adminOf.size} organizations, found ${found}`);

const { signIn } = await services.consoleSignIn.signIn(person);
const target = orgIds[ORGS - 1];
const checks = [];
for (let r = 0; r < CHECKS; r++) {
  const t0 = process.hrtime.bigint();
  await services.consoleSignIn.forOrg(signIn, target);
  checks.push(ms(t0));
}
const w = stats(walks);
const c = stats(checks);
const kind = process.env.BENCH_STORE === 'redis' ? 'Redis' : 'SQLite file';
console.log(JSON.stringify({ store: kind, orgs: ORGS, perOrg: PER_ORG, seedSeconds, walk: w, check: c }));

record(`
## Console sign-in: finding a person's organizations (${kind}, ${new Date().toISOString().slice(0, 10)})

Command: \`npm run build && node bench/console-sign-in.mjs\` (${ORGS.toLocaleString('en')} organizations of ${PER_ORG} members, the person an admin of ${adminOf.size}; ${WALKS} sign-in walks, ${CHECKS.toLocaleString('en')} per-request checks, in process through the services; seeding took ${seedSeconds.toFixed(0)} s).

| what | median | p95 |
|---|---|---|
| sign-in walk over ${ORGS.toLocaleString('en')} organizations (adminMemberships) | ${w.median.toFixed(1)} ms | ${w.p95.toFixed(1)} ms |
| per-request check of a signed-in person (forOrg: org + member lookup) | ${c.median.toFixed(3)} ms | ${c.p95.toFixed(3)} ms |

- Machine: ${machine()} (load average ${load()} at the end: shared with other work)
- Sign-in asks the store's cross-organization indexes for candidate orgs and checks each (two indexed lookups per candidate), so it follows the person's organizations, not the number of organizations.
`);
await store.close?.();
rmSync(dir, { recursive: true, force: true });
