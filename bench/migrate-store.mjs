// migrate-store benchmark: `npm run build && node bench/migrate-store.mjs` (BENCH_USERS, default 100,000).
// A SQLite installation of one org with BENCH_USERS members (created through the service layer, so
// each has its audit event and outbox record) is moved into a private PostgreSQL server
// (bench/postgres.mjs) by the real `migrate-store` (dist/app/migrate-store.js). Reports the time,
// the records by kind, and the migrating process's peak RSS against its RSS at the start, to show
// that the copy streams. The source is seeded in a child process so that its memory is not counted.
// BENCH_TO=sqlite or BENCH_TO=redis moves the same installation into a second SQLite file or a private
// redis-server (AOF) instead. BENCH_SEED_CACHE=DIR reuses bench/scim.mjs's seeded SQLite file of the same user count (any group size).
// Appends to bench/RESULTS.md (not with BENCH_RECORD=0).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, copyFileSync, existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const env = (dir) => ({ IDSYNC_DATA_DIR: dir, IDSYNC_LOG_LEVEL: 'error', IDSYNC_PUBLIC_URL: 'http://127.0.0.1', IDSYNC_RECONCILE_SCHEDULER: 'false' });

if (process.argv[2] === '--seed') {
  // Child: seed DIR/idsync.db through the service layer, then exit.
  const dir = process.argv[3];
  const { startDaemon } = await import('../dist/app/daemon.js');
  const { loadConfig } = await import('../dist/config/load.js');
  const { createLogger } = await import('../dist/logging/winston-logger.js');
  const daemon = await startDaemon(loadConfig({ env: { ...env(dir), IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1' }, cwd: dir }), { logger: createLogger({ level: 'error', format: 'json' }) });
  const actor = { kind: 'system', label: 'bench' };
  const org = await daemon.services.orgs.create({ name: 'Bench' }, actor);
  for (let i = 0; i < USERS; i++) {
    const userName = `user${i}@bench.example`;
    await daemon.services.provisioning.create(org.id, { userName, name: { givenName: 'U', familyName: String(i) }, emails: [{ value: userName, type: 'work', primary: true }], attributes: {} }, true, actor, { kind: 'scim' });
  }
  await daemon.stop();
  process.exit(0);
}

const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-migrate-'));
const cacheDir = process.env.BENCH_SEED_CACHE;
const cached = cacheDir && existsSync(cacheDir) ? readdirSync(cacheDir).find((d) => d.startsWith(`u${USERS}-`) && existsSync(join(cacheDir, d, 'idsync.db'))) : undefined;
let seedMs = 0;
if (cached) {
  copyFileSync(join(cacheDir, cached, 'idsync.db'), join(dir, 'idsync.db'));
  copyFileSync(join(cacheDir, cached, 'secret.key'), join(dir, 'secret.key'));
} else {
  const t = Date.now();
  const seed = spawnSync(process.execPath, [new URL(import.meta.url).pathname, '--seed', dir], { stdio: 'inherit' });
  if (seed.status !== 0) throw new Error(`seeding exited with ${seed.status}`);
  seedMs = Date.now() - t;
}

const { startPostgres } = await import('./postgres.mjs');
const { migrateStore } = await import('../dist/app/migrate-store.js');
const { loadConfig } = await import('../dist/config/load.js');
const { createLogger } = await import('../dist/logging/winston-logger.js');
const TO = ['sqlite', 'redis'].includes(process.env.BENCH_TO) ? process.env.BENCH_TO : 'postgres';
const pg = TO === 'postgres' ? await startPostgres() : undefined;
const redis = TO === 'redis' ? await startRedis() : undefined;
const target = pg ? { store: 'postgres', url: pg.url() } : redis ? { store: 'redis', url: redis.url } : { store: 'sqlite', path: join(dir, 'moved.db') };
const TARGET_LABEL = { postgres: 'PostgreSQL', sqlite: 'SQLite', redis: 'Redis' }[TO];
const config = loadConfig({ env: env(dir), cwd: dir });
const logger = createLogger({ level: 'warn', format: 'json', stream: new Writable({ write: (c, _e, cb) => (process.stderr.write(c), cb()) }) });

const mb = (kb) => (kb / 1024).toFixed(0);
const rssStart = process.resourceUsage().maxRSS;
const loadStart = loadavg();
const summary = await migrateStore(config, target, { dryRun: false, logger });
const rssPeak = process.resourceUsage().maxRSS;
await pg?.dispose();
redis?.kill('SIGTERM');

const records = Object.values(summary.source).reduce((a, b) => a + b, 0);
const kinds = Object.entries(summary.source)
  .filter(([, n]) => n > 0)
  .map(([k, n]) => `${k} ${n.toLocaleString('en')}`)
  .join(', ');
const lines = [
  `### migrate-store SQLite → ${TARGET_LABEL} — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${USERS.toLocaleString('en')} members in one org`,
  '',
  `Command: \`npm run build && node bench/migrate-store.mjs\`. Source: a SQLite file seeded through the service layer${cached ? ` (reused from BENCH_SEED_CACHE: bench/scim.mjs's ${cached}, with its group)` : ` in ${(seedMs / 1000).toFixed(0)} s`}; target: ${{ postgres: 'a private PostgreSQL server (fsync and synchronous commit off, as the test server runs)', sqlite: 'a second SQLite file', redis: 'a private redis-server with AOF' }[TO]}. Load average before ${loadStart.map((l) => l.toFixed(2)).join(' / ')}, after ${loadavg().map((l) => l.toFixed(2)).join(' / ')} (the machine is shared with other work).`,
  '',
  `- ${records.toLocaleString('en')} records (${kinds}) in **${(summary.durationMs / 1000).toFixed(1)} s** (${Math.round(records / (summary.durationMs / 1000))} records/s), including the count check and \`audit verify\` of ${summary.chains.length} chain(s) on the target: ${summary.ok ? 'ok' : 'NOT OK'}.`,
  `- Peak RSS of the migrating process: ${mb(rssPeak)} MB against ${mb(rssStart)} MB at its start (**+${mb(rssPeak - rssStart)} MB** for ${records.toLocaleString('en')} records).`,
  '',
];
console.log(lines.join('\n'));
if (!summary.ok) process.exitCode = 1;
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);

/** A private redis-server with AOF on a free port; resolves when it answers PING. */
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
