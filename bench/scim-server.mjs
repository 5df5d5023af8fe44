// Child of bench/scim.mjs: seeds the data the daemons serve and runs the bare express baseline.
// Seeds one org of N users and a group of M members through the real idsync daemon (compiled,
// dist/) on SQLite (or, with BENCH_STORE=redis, on a private redis-server with AOF as the chart
// runs it; with BENCH_STORE=postgres, on a private PostgreSQL server from bench/postgres.mjs), reads one lookup answer, stops that daemon and, on SQLite, gives each daemon of the run
// its own copy of the seeded directory (BENCH_DAEMONS names them). The daemons themselves run in
// processes of their own (bench/scim-daemon.mjs), so each one's CPU time is its own. Here stays a
// bare express handler serving a static body of the same size as a lookup answer. Prints one JSON
// line with ports, directories and fixtures, then serves until killed.
// BENCH_SEED_CACHE=DIR keeps a copy of the seeded database there (page for page, with
// its fixtures) and reuses it on later runs of the same size: for iterating, not for recorded runs.
import Database from 'better-sqlite3';
import express from 'express';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer as createHttpServer } from 'node:http';
import { startDaemon } from '../dist/app/daemon.js';
import { serverClasses } from '../dist/http/server-classes.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';
import { startPostgres } from './postgres.mjs';

const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const GROUP = Number(process.env.BENCH_GROUP ?? 50_000);
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-'));
const STORE = ['redis', 'postgres'].includes(process.env.BENCH_STORE) ? process.env.BENCH_STORE : 'sqlite';
const redis = STORE === 'redis' ? await startRedis() : undefined;
const postgres = STORE === 'postgres' ? await startPostgres() : undefined;
// A seed cache is a copy of the SQLite file: Redis and PostgreSQL runs always seed afresh.
const cacheDir = STORE === 'sqlite' ? process.env.BENCH_SEED_CACHE : undefined;
const cached = cacheDir ? join(cacheDir, `u${USERS}-g${GROUP}`) : undefined;
const reuse = cached !== undefined && existsSync(join(cached, 'fixtures.json'));
if (reuse) {
  copyFileSync(join(cached, 'idsync.db'), join(dir, 'idsync.db'));
  copyFileSync(join(cached, 'secret.key'), join(dir, 'secret.key'));
}
const env = {
    IDSYNC_DATA_DIR: dir,
    IDSYNC_PORT: '0',
    IDSYNC_HOST: '127.0.0.1',
    IDSYNC_SCIM_RATE_LIMIT: '0',
    IDSYNC_LOG_LEVEL: 'error',
    IDSYNC_PUBLIC_URL: 'http://127.0.0.1',
    ...(redis ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
    ...(postgres ? { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: postgres.url(), IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
    // BENCH_IDSYNC_X=v sets IDSYNC_X=v, to see what one setting costs (e.g. BENCH_IDSYNC_WEBHOOK_POLL_MS).
    ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_IDSYNC_')).map(([k, v]) => [k.slice('BENCH_'.length), v])),
};
const config = loadConfig({ env, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
async function seed() {
  const s = daemon.services;
  const actor = { kind: 'system', label: 'bench' };
  const org = await s.orgs.create({ name: 'Bench' }, actor);
  const writer = { kind: 'scim' };
  const t0 = Date.now();
  const ids = [];
  for (let i = 0; i < USERS; i++) {
    const userName = `user${i}@bench.example`;
    const m = await s.provisioning.create(org.id, { userName, name: { givenName: 'U', familyName: String(i) }, emails: [{ value: userName, type: 'work', primary: true }], attributes: {} }, true, actor, writer);
    ids.push(m.id);
  }
  const seedUsersMs = Date.now() - t0;
  const team = await s.teams.create(org.id, { displayName: 'Big Group' }, actor);
  const t1 = Date.now();
  for (let i = 0; i < GROUP; i += 1000) await s.teams.addMembers(org.id, team.id, ids.slice(i, Math.min(GROUP, i + 1000)), actor);
  const seedGroupMs = Date.now() - t1;
  const { token } = await s.credentials.createScimToken(org.id, actor, 'bench');
  return { token, groupId: team.id, outsiders: ids.slice(GROUP, Math.min(USERS, GROUP + 5000)), seedUsersMs, seedGroupMs };
}
const fixtures = reuse ? JSON.parse(readFileSync(join(cached, 'fixtures.json'), 'utf8')) : await seed();
if (cached && !reuse) {
  mkdirSync(cached, { recursive: true });
  // The backup API copies pages as they are: the copy keeps the seeded file's layout (VACUUM
  // would compact it and make later runs faster than a fresh seed).
  const copy = new Database(config.sqlite.path, { readonly: true });
  await copy.backup(join(cached, 'idsync.db'));
  copy.close();
  copyFileSync(join(dir, 'secret.key'), join(cached, 'secret.key'));
  writeFileSync(join(cached, 'fixtures.json'), JSON.stringify(fixtures));
}
const { token, groupId, outsiders, seedUsersMs, seedGroupMs } = fixtures;

// The baseline: an express handler returning a static body as large as a real lookup answer.
const sample = await (await fetch(`${daemon.url}/scim/v2/Users?filter=${encodeURIComponent('userName eq "user7@bench.example"')}`, { headers: { authorization: `Bearer ${token}` } })).text();
const created = JSON.stringify({ ...JSON.parse(sample).Resources[0], id: 'x' });
await daemon.stop();
// One copy of the seeded directory per daemon (SQLite): the same data, no file shared between
// processes. On Redis and PostgreSQL the daemons share the seeded server and the secret key.
const daemonDirs = {};
for (const name of (process.env.BENCH_DAEMONS ?? 'on,off').split(',')) {
  const d = join(dir, name);
  mkdirSync(d);
  if (STORE === 'sqlite') {
    copyFileSync(config.sqlite.path, join(d, 'idsync.db'));
    copyFileSync(join(dir, 'secret.key'), join(d, 'secret.key'));
  }
  daemonDirs[name] = d;
}
// The baseline twice: as express serves by default (app.listen), and on a server built with the
// request and response classes idsync's own server uses (src/http/server-classes.ts), which spare
// express a prototype change per request: the stricter comparison.
function bareApp() {
  const bare = express();
  bare.use(express.json());
  bare.get('/scim/v2/Users', (_req, res) => res.type('application/scim+json').send(sample));
  bare.post('/scim/v2/Users', (_req, res) => res.status(201).type('application/scim+json').send(created));
  bare.patch('/scim/v2/Groups/:id', (_req, res) => res.type('application/scim+json').send('{}'));
  return bare;
}
const bareServer = bareApp().listen(0, '127.0.0.1');
await new Promise((r) => bareServer.once('listening', r));
const bareClassesApp = bareApp();
const bareClassesServer = createHttpServer(serverClasses(bareClassesApp), bareClassesApp).listen(0, '127.0.0.1');
await new Promise((r) => bareClassesServer.once('listening', r));

process.stdout.write(
  `${JSON.stringify({
    daemonDirs,
    ...(redis ? { redisUrl: redis.url, secretKey: env.IDSYNC_SECRET_KEY } : {}),
    ...(postgres ? { postgresUrl: postgres.url(), secretKey: env.IDSYNC_SECRET_KEY } : {}),
    bare: bareServer.address().port,
    bareClasses: bareClassesServer.address().port,
    token,
    groupId,
    outsiders,
    seedCached: reuse,
    store: STORE,
    users: USERS,
    groupSize: GROUP,
    seedUsersMs,
    seedGroupMs,
    lookupBytes: sample.length,
  })}\n`,
);
// The parent stops the daemons first; their copies of the seed (hundreds of MB each) go with this one.
process.on('SIGTERM', async () => {
  bareServer.close();
  bareClassesServer.close();
  rmSync(dir, { recursive: true, force: true });
  if (redis) {
    const exited = new Promise((r) => redis.proc.once('exit', r));
    redis.proc.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    rmSync(redis.data, { recursive: true, force: true });
  }
  await postgres?.dispose();
  process.exit(0);
});

/** A private redis-server on a free port, appendonly as the chart runs it; ready when it answers. */
async function startRedis() {
  const port = await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const data = mkdtempSync(join(tmpdir(), 'idsync-bench-redis-'));
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--dir', data], { stdio: 'ignore' });
  process.once('exit', () => proc.kill('SIGKILL'));
  for (let i = 0; i < 100; i++) {
    const ok = await new Promise((resolve) => {
      const c = createConnection(port, '127.0.0.1', () => {
        c.end();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return { proc, url: `redis://127.0.0.1:${port}`, data };
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('redis-server did not start');
}
