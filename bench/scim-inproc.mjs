// A lookup's own CPU cost in the daemon's request handler, without sockets: `npm run build &&
// BENCH_SEED_CACHE=DIR node bench/scim-inproc.mjs`. For comparing builds while the machine is busy:
// the network path (HTTP parsing, the kernel's loopback writes) is the same for every build and is
// what makes req/s and process CPU noisy on a shared machine, so it is left out here.
// Seeds like bench/scim.mjs (bench/scim-server.mjs), starts the real daemon of each build in this
// process — ./dist, and with BENCH_COMPARE=DIR also an earlier build copied to DIR inside this
// checkout — takes the request listener of its HTTP server, and hands it `GET /Users?filter=userName
// eq` requests as node:http objects over a socket stand-in that swallows the bytes, 32 in flight.
// Rounds alternate between the builds (ABBA); each reports CPU µs per lookup (process.cpuUsage), its
// system part, and the garbage collector's pauses on this thread; a round ends once the request log
// has written its entries (its flush), so one build's log work is not counted in the other's round.
// BENCH_ROUNDS (8), BENCH_REQUESTS per round (5000), BENCH_LOG=off for the request log off
// (BENCH_LOG_BASE=off for the earlier build only: BENCH_COMPARE=dist with it measures the log's cost).
import { spawn } from 'node:child_process';
import { IncomingMessage, ServerResponse, Server } from 'node:http';
import { PerformanceObserver } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Duplex } from 'node:stream';
import { pathToFileURL } from 'node:url';

// Short rounds, many of them: load from elsewhere changes by the second, and alternating often
// spreads it over both builds alike. The figure is the total CPU over the total lookups per build.
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 100);
const PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 250);
const IN_FLIGHT = 32;
const COMPARE = process.env.BENCH_COMPARE;
const names = COMPARE ? ['base', 'new'] : ['new'];

const server = spawn(process.execPath, [new URL('./scim-server.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, BENCH_DAEMONS: names.join(',') } });
const info = await new Promise((resolve, reject) => {
  createInterface({ input: server.stdout }).once('line', (l) => resolve(JSON.parse(l)));
  server.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});

/** The daemon of one build, started here; its HTTP server's request listener is what gets called. */
async function start(name) {
  const dist = name === 'base' ? pathToFileURL(`${COMPARE.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
  const { startDaemon } = await import(new URL('app/daemon.js', dist));
  const { loadConfig } = await import(new URL('config/load.js', dist));
  const { createLogger } = await import(new URL('logging/winston-logger.js', dist));
  const dir = info.daemonDirs[name];
  const env = {
    IDSYNC_DATA_DIR: dir,
    IDSYNC_PORT: '0',
    IDSYNC_HOST: '127.0.0.1',
    IDSYNC_SCIM_RATE_LIMIT: '0',
    IDSYNC_LOG_LEVEL: 'error',
    IDSYNC_PUBLIC_URL: 'http://127.0.0.1',
    ...((name === 'base' ? process.env.BENCH_LOG_BASE ?? process.env.BENCH_LOG : process.env.BENCH_LOG) === 'off' ? { IDSYNC_SCIM_REQUEST_LOG_DAYS: '0' } : {}),
    ...(info.redisUrl ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: info.redisUrl, IDSYNC_SECRET_KEY: info.secretKey } : {}),
  };
  // The listener is the one given to http.createServer: caught as the daemon's server starts listening.
  const listen = Server.prototype.listen;
  let handler;
  let classes;
  // And the classes the server builds requests and responses from (http.createServer's options).
  const option = (server, name) => server[Object.getOwnPropertySymbols(server).find((s) => s.description === name)];
  Server.prototype.listen = function (...args) {
    handler ??= this.listeners('request')[0];
    classes ??= { Request: option(this, 'IncomingMessage') ?? IncomingMessage, Response: option(this, 'ServerResponse') ?? ServerResponse };
    return listen.apply(this, args);
  };
  const daemon = await startDaemon(loadConfig({ env, cwd: dir }), { logger: createLogger({ level: 'error', format: 'json' }) });
  Server.prototype.listen = listen;
  return { daemon, handler, classes };
}

/** One request through the handler; resolves when the response has finished. */
function request({ handler, classes }, path) {
  const socket = new Duplex({ read() {}, write: (_c, _e, cb) => cb(), writev: (_c, cb) => cb() });
  const req = new classes.Request(socket);
  req.method = 'GET';
  req.url = path;
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  req.httpVersion = '1.1';
  req.headers = { host: '127.0.0.1', authorization: `Bearer ${info.token}`, 'user-agent': 'bench', accept: '*/*' };
  req.rawHeaders = Object.entries(req.headers).flat();
  req.push(null);
  const res = new classes.Response(req);
  res.assignSocket(socket);
  return new Promise((resolve, reject) => {
    res.once('finish', () => (res.statusCode === 200 ? resolve() : reject(new Error(`lookup answered ${res.statusCode}`))));
    handler(req, res);
  });
}
const lookupPath = () => `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${Math.floor(Math.random() * info.users)}@bench.example"`)}`;

// Garbage collection pauses on this thread, summed (the request log's buffered entries outlive young collections).
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) gcMs += e.duration;
}).observe({ entryTypes: ['gc'] });

async function round(build, n) {
  let left = n;
  // Each request starts from the event loop, as one read off a socket would: timers and
  // setImmediate work (the request log's flushes) get their turns as they do in the daemon.
  const worker = async () => {
    while (left-- > 0) {
      await new Promise(setImmediate);
      await request(build, lookupPath());
    }
  };
  const c0 = process.cpuUsage();
  const g0 = gcMs;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  // The round's log entries written within it: its log work is not counted in the other build's round.
  await build.daemon.scimLog?.flush();
  const c = process.cpuUsage(c0);
  return { cpuUs: (c.user + c.system) / n, sysUs: c.system / n, gcUs: ((gcMs - g0) * 1000) / n, wallUs: ((performance.now() - t0) * 1000) / n, n };
}

const builds = {};
for (const name of names) builds[name] = await start(name);
for (const b of Object.values(builds)) await round(b, PER_ROUND);
// BENCH_ALLOC=1: where the measured rounds allocate (V8's sampling heap profiler, collected
// objects included), summed by function: what the garbage collector's share comes from.
const session = process.env.BENCH_ALLOC === '1' ? new (await import('node:inspector')).Session() : undefined;
const post = (method, params) => new Promise((resolve, reject) => session.post(method, params, (err, r) => (err ? reject(err) : resolve(r))));
if (session) {
  session.connect();
  await post('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
}
const results = Object.fromEntries(names.map((n) => [n, []]));
for (let i = 0; i < ROUNDS; i++) {
  for (const name of i % 2 === 0 ? names : [...names].reverse()) results[name].push(await round(builds[name], PER_ROUND));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mean = (rs) => rs.reduce((a, r) => a + r.cpuUs * r.n, 0) / rs.reduce((a, r) => a + r.n, 0);
const meanOf = (key) => (rs) => rs.reduce((a, r) => a + r[key] * r.n, 0) / rs.reduce((a, r) => a + r.n, 0);
const sysMean = meanOf('sysUs');
const gcMean = meanOf('gcUs');
const out = Object.fromEntries(names.map((n) => [n, { cpuUsPerLookup: +mean(results[n]).toFixed(1), sysUsPerLookup: +sysMean(results[n]).toFixed(1), gcUsPerLookup: +gcMean(results[n]).toFixed(1), medianRound: +median(results[n].map((r) => r.cpuUs)).toFixed(1), lookups: ROUNDS * PER_ROUND }]));
if (COMPARE) {
  out.newOverBase = +(out.new.cpuUsPerLookup / out.base.cpuUsPerLookup).toFixed(3);
  out.newOverBaseMedianRound = +median(results.new.map((r, i) => r.cpuUs / results.base[i].cpuUs)).toFixed(3);
}
console.log(JSON.stringify(out));
if (session) {
  const { profile } = await post('HeapProfiler.stopSampling');
  const bytes = new Map();
  let total = 0;
  const walk = (node) => {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
    total += node.selfSize;
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const lookups = ROUNDS * PER_ROUND * names.length;
  console.log(`allocated ${(total / lookups).toFixed(0)} bytes per lookup (sampled); by function:`);
  for (const [k, v] of [...bytes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`${(v / lookups).toFixed(0).padStart(7)} B  ${k}`);
}
for (const b of Object.values(builds)) await b.daemon.stop();
server.kill('SIGTERM');
