// Audit chain verification benchmark: `npm run build && node bench/audit-verify.mjs`
// (BENCH_STORE=sqlite|redis|postgres, BENCH_EVENTS to scale, BENCH_ROUNDS, BENCH_COMPARE=<dist dir>
// to time an older build in alternating rounds on the same data, BENCH_PROFILE=1 for a CPU profile).
// One org's chain of BENCH_EVENTS events (one action in a thousand `member.removed` by SCIM, the
// rest `team.updated` by an admin key with a small `after`), built with the store's own chain code
// and written through the store's `migrate-store` importer (appending them one by one through the
// service layer takes minutes). Then times `AuditService.verify` (what the CLI's `audit verify`,
// the admin API's GET /audit/verify and the console's job run) over the whole chain.
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Session } from 'node:inspector/promises';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';
import { nextAuditRecords } from '../dist/store/shared/audit-records.js';
import { startPostgres } from './postgres.mjs';

const EVENTS = Number(process.env.BENCH_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const STORE = ['redis', 'postgres'].includes(process.env.BENCH_STORE) ? process.env.BENCH_STORE : 'sqlite';
const COMPARE = process.env.BENCH_COMPARE ? resolve(process.env.BENCH_COMPARE) : undefined;
const LABEL = { sqlite: 'SQLite (file, WAL)', redis: 'Redis (private redis-server, AOF)', postgres: 'PostgreSQL (private server, fsync and synchronous commit off)' };

const redis = STORE === 'redis' ? await startRedis() : undefined;
const postgres = STORE === 'postgres' ? await startPostgres() : undefined;
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-verify-'));
const secret = randomBytes(32).toString('base64');
const env = {
  IDSYNC_DATA_DIR: dir,
  IDSYNC_PORT: '0',
  IDSYNC_HOST: '127.0.0.1',
  IDSYNC_LOG_LEVEL: 'error',
  IDSYNC_RECONCILE_SCHEDULER: 'false',
  ...(redis ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: secret } : {}),
  ...(postgres ? { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: postgres.url(), IDSYNC_SECRET_KEY: secret } : {}),
};
const config = loadConfig({ env, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
const org = await daemon.services.orgs.create({ name: 'Verify bench' }, { kind: 'system', label: 'bench' });

const seedStart = Date.now();
const importer = await openImporter();
let [head] = await daemon.store.listAudit(org.id, { limit: 1 });
const admin = { kind: 'admin', id: 'key-1', label: 'bench key' };
const scim = { kind: 'scim', id: 'tok-1', label: 'okta' };
let batch = [];
const t0 = Date.parse(head.at);
for (let i = 2; i <= EVENTS; i++) {
  const rare = i % 1000 === 0;
  const draft = { orgId: org.id, actor: rare ? scim : admin, action: rare ? 'member.removed' : 'team.updated', target: { type: rare ? 'member' : 'team', id: `t${i}` }, after: { n: i, name: `Team ${i}` } };
  const { event, outbox } = nextAuditRecords(draft, head, new Date(t0 + i).toISOString());
  batch.push({ kind: 'audit', record: event }, { kind: 'outbox', record: outbox });
  head = event;
  if (batch.length >= 10_000) {
    await importer.importBatch(batch);
    batch = [];
  }
}
if (batch.length) await importer.importBatch(batch);
await importer.counts();
await importer.close();
const seedSeconds = (Date.now() - seedStart) / 1000;

const builds = [['current', daemon.services.audit]];
if (COMPARE) {
  const { AuditService } = await import(join(COMPARE, 'services/audit.js'));
  builds.unshift(['before', new AuditService({ store: daemon.store })]);
}
const times = Object.fromEntries(builds.map(([name]) => [name, []]));
const cpuTimes = Object.fromEntries(builds.map(([name]) => [name, []]));
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, audit] of builds) {
    const profile = process.env.BENCH_PROFILE === '1' && r === ROUNDS - 1 ? await startProfile() : undefined;
    const t = process.hrtime.bigint();
    const c = process.cpuUsage();
    const result = await audit.verify(org.id);
    const ms = Number(process.hrtime.bigint() - t) / 1e6;
    const used = process.cpuUsage(c);
    cpuTimes[name].push((used.user + used.system) / 1000);
    if (profile) writeFileSync(join(dir, `verify-${name}.cpuprofile`), JSON.stringify(await profile()));
    if (!result.ok || result.events !== EVENTS) throw new Error(`${name}: ${JSON.stringify(result)}`);
    times[name].push(ms);
    console.error(`${name} round ${r + 1}: ${ms.toFixed(0)} ms, CPU ${cpuTimes[name].at(-1).toFixed(0)} ms`);
  }
}
await daemon.stop();
await postgres?.stop();
redis?.stop();
if (process.env.BENCH_PROFILE === '1') console.error(`profiles in ${dir}`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const perEvent = (ms) => ((ms * 1000) / EVENTS).toFixed(1);
const rows = builds.map(([name]) => `| ${LABEL[STORE]} | ${name === 'before' ? `before (${process.env.BENCH_COMPARE})` : 'current'} | ${median(times[name]).toFixed(0)} | ${perEvent(median(times[name]))} | ${median(cpuTimes[name]).toFixed(0)} | ${times[name].map((t) => t.toFixed(0)).join(', ')} |`);
const ratio = COMPARE
  ? `\nRatio current / before (medians): wall **${(median(times.current) / median(times.before)).toFixed(2)}** (${(median(times.before) / median(times.current)).toFixed(1)}× faster), daemon CPU ${(median(cpuTimes.current) / median(cpuTimes.before)).toFixed(2)}.\n`
  : '';
const lines = [
  `#### Audit verify — ${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} cores, ${LABEL[STORE]}, ${EVENTS.toLocaleString('en')} events; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`,
  '',
  `Command: \`npm run build && ${STORE !== 'sqlite' ? `BENCH_STORE=${STORE} ` : ''}${COMPARE ? `BENCH_COMPARE=${process.env.BENCH_COMPARE} ` : ''}node bench/audit-verify.mjs\` (${ROUNDS} rounds${COMPARE ? ', builds alternating' : ''}; seeding through the importer took ${seedSeconds.toFixed(1)} s).`,
  '',
  '| store | build | median ms | µs per event | median CPU ms (this process) | rounds ms |',
  '|---|---|---|---|---|---|',
  ...rows,
  ratio,
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
process.exit(0);

async function openImporter() {
  if (STORE === 'redis') return (await import('../dist/store/redis/import.js')).openRedisImporter({ url: redis.url });
  if (STORE === 'postgres') return (await import('../dist/store/postgres/import.js')).openPostgresImporter({ url: postgres.url(), schema: 'public' });
  return (await import('../dist/store/sqlite/import.js')).openSqliteImporter({ path: join(dir, 'idsync.db') });
}

async function startProfile() {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    session.disconnect();
    return profile;
  };
}

async function startRedis() {
  const port = await new Promise((ok) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => ok(p));
    });
  });
  const data = mkdtempSync(join(tmpdir(), 'idsync-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', data], { stdio: 'ignore' });
  process.once('exit', () => proc.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const up = await new Promise((ok) => {
      const c = createConnection(port, '127.0.0.1', () => {
        c.end();
        ok(true);
      }).on('error', () => ok(false));
    });
    if (up) break;
    await new Promise((ok) => setTimeout(ok, 50));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => proc.kill('SIGTERM') };
}
