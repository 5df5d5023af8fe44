// Org purge benchmark: `npm run build && node bench/org-purge.mjs` (BENCH_USERS, default 20,000;
// BENCH_STORE=sqlite|redis|postgres, default sqlite). Two orgs of BENCH_USERS members each (written
// through the store, each with its audit event and outbox record), plus one team holding every
// member; the first org is purged (dist's Store.purgeOrg) and the time, the keys/rows before and
// after and the second org's member count are reported. Appends to bench/RESULTS.md (not with BENCH_RECORD=0).
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const USERS = Number(process.env.BENCH_USERS ?? 20_000);
const STORE = ['redis', 'postgres'].includes(process.env.BENCH_STORE) ? process.env.BENCH_STORE : 'sqlite';
const at = '2026-01-01T00:00:00.000Z';
const draft = (orgId, action, id) => ({ orgId, actor: { kind: 'system', label: 'bench' }, action, target: { type: 'x', id } });

let store;
let stop = async () => {};
if (STORE === 'sqlite') {
  const { openSqliteStore } = await import('../dist/store/sqlite/store.js');
  store = openSqliteStore({ path: join(mkdtempSync(join(tmpdir(), 'idsync-bench-purge-')), 'idsync.db') });
} else if (STORE === 'redis') {
  const redis = await startRedis();
  const { createRedisStore } = await import('../dist/store/redis/store.js');
  store = createRedisStore({ connection: { url: redis.url } });
  stop = async () => redis.kill('SIGTERM');
} else {
  const { startPostgres } = await import('./postgres.mjs');
  const pg = await startPostgres();
  const { openPostgresStore } = await import('../dist/store/postgres/store.js');
  store = await openPostgresStore({ url: pg.url() });
  stop = async () => pg.stop?.();
}

const orgs = [];
const seedStart = Date.now();
for (const name of ['Purged', 'Kept']) {
  const org = { id: `${name.toLowerCase()}-${Date.now()}`, name, settings: { inviteTtlHours: 72, pendingInviteCap: 50, allowedDomains: [], scimAdoption: true }, createdAt: at, updatedAt: at, version: 1 };
  await store.createOrg(org, draft(org.id, 'org.created', org.id));
  const team = { id: `t-${org.id}`, orgId: org.id, displayName: 'Everyone', createdAt: at, updatedAt: at, version: 1 };
  await store.createTeam(team, draft(org.id, 'team.created', team.id));
  const ids = [];
  for (let i = 0; i < USERS; i++) {
    const id = `${org.id}-m${i}`;
    const userName = `user${i}@${name.toLowerCase()}.example`;
    await store.createMember({ id, orgId: org.id, userName, name: {}, emails: [{ value: userName, primary: true }], role: i === 0 ? 'owner' : 'member', status: 'active', managedBy: { kind: 'admin' }, identities: [], attributes: {}, createdAt: at, updatedAt: at, version: 1 }, draft(org.id, 'member.created', id));
    ids.push(id);
  }
  for (let i = 0; i < ids.length; i += 1000) await store.addTeamMembers(org.id, team.id, ids.slice(i, i + 1000), draft(org.id, 'team.members_added', team.id));
  orgs.push(org);
}
const seedMs = Date.now() - seedStart;
const [purged, kept] = orgs;
const chain = (await store.listAudit(purged.id, { afterSeq: USERS, limit: 1000 })).length + USERS;

const t = process.hrtime.bigint();
const r = await store.purgeOrg({ orgId: purged.id, name: purged.name, deletionRequestedAt: at, purgeAt: at, purgedAt: new Date().toISOString() }, draft('provider', 'org.purged', purged.id));
const purgeMs = Number(process.hrtime.bigint() - t) / 1e6;
const left = (await store.listMembers(purged.id)).total;
const keptMembers = (await store.listMembers(kept.id)).total;
await store.close();
await stop();

const line = `| ${STORE} | ${USERS.toLocaleString('en')} | ${chain.toLocaleString('en')} | ${purgeMs.toFixed(0)} | ${left} | ${keptMembers.toLocaleString('en')} | ${r.receipt.auditCount.toLocaleString('en')} |`;
console.log(`seeded in ${(seedMs / 1000).toFixed(1)} s`);
console.log('| store | members purged | audit events in the chain | purge ms | members left | other org\'s members | receipt auditCount |');
console.log(line);
if (process.env.BENCH_RECORD !== '0') {
  appendFileSync(
    new URL('./RESULTS.md', import.meta.url),
    `\n### Org purge — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${STORE}; load average ${loadavg().map((x) => x.toFixed(2)).join(' / ')}\n\nCommand: \`npm run build && BENCH_STORE=${STORE} BENCH_USERS=${USERS} node bench/org-purge.mjs\`. Two orgs of ${USERS.toLocaleString('en')} members and a team of all of them each; the first is purged with \`Store.purgeOrg\` (seeding took ${(seedMs / 1000).toFixed(1)} s).\n\n| store | members purged | audit events in the chain | purge ms | members left | other org's members | receipt auditCount |\n|---|---|---|---|---|---|---|\n${line}\n`,
  );
}

async function startRedis() {
  const { createServer, createConnection } = await import('node:net');
  const port = await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', mkdtempSync(join(tmpdir(), 'idsync-bench-redis-'))], { stdio: 'ignore' });
  process.once('exit', () => proc.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const c = createConnection(port, '127.0.0.1', () => (c.end(), resolve(true)));
      c.once('error', () => resolve(false));
    });
    if (ok) return { url: `redis://127.0.0.1:${port}`, kill: (s) => proc.kill(s) };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}
