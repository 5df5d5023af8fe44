// SCIM benchmark: `npm run build && node bench/scim.mjs` (BENCH_USERS, BENCH_GROUP, BENCH_SECONDS to scale).
// Runs the daemon and a bare express baseline in one child process and drives both with autocannon,
// side by side in the same run, then appends the numbers to bench/RESULTS.md (not with BENCH_RECORD=0).
// BENCH_SEED_CACHE=DIR reuses a seeded database between runs (see scim-server.mjs).
import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;

const child = spawn(process.execPath, [new URL('./scim-server.mjs', import.meta.url).pathname], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise((resolve, reject) => {
  createInterface({ input: child.stdout }).once('line', (l) => resolve(JSON.parse(l)));
  child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
});
const auth = { authorization: `Bearer ${info.token}`, 'content-type': 'application/scim+json' };

// The server process's CPU time (Linux /proc, in ms): CPU per request is far less sensitive to
// other load on the machine than req/s, so it is reported beside it.
const statPath = `/proc/${child.pid}/stat`;
const cpuMs = () => {
  if (!existsSync(statPath)) return undefined;
  const f = readFileSync(statPath, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
};

async function run(port, opts) {
  const c0 = cpuMs();
  const r = await new Promise((resolve, reject) => {
    autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: SECONDS, headers: auth, ...opts }, (err, res) => (err ? reject(err) : resolve(res)));
  });
  const c1 = cpuMs();
  return { ...r, cpuUsPerRequest: c0 === undefined || c1 === undefined ? undefined : Math.round(((c1 - c0) * 1000) / r.requests.total) };
}
const summary = (r) => ({ rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors, cpuUsPerRequest: r.cpuUsPerRequest });

let n = 0;
const lookup = {
  requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: `/scim/v2/Users?filter=${encodeURIComponent(`userName eq "user${Math.floor(Math.random() * info.users)}@bench.example"`)}` }) }],
};
const create = {
  requests: [{ method: 'POST', setupRequest: (req) => ({ ...req, path: '/scim/v2/Users', body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], userName: `new${process.pid}-${n++}@bench.example`, active: true }) }) }],
};

// A short warm-up of both servers (JIT, caches), not measured: BENCH_WARMUP seconds, 0 for none.
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
if (WARMUP > 0) for (const port of [info.bare, info.idsync]) await new Promise((resolve, reject) => autocannon({ url: `http://127.0.0.1:${port}`, connections: CONNECTIONS, duration: WARMUP, headers: auth, ...lookup }, (err) => (err ? reject(err) : resolve())));

const results = {};
results.lookupBare = summary(await run(info.bare, lookup));
results.lookupIdsync = summary(await run(info.idsync, lookup));
// The SCIM request log's cost on lookups: the same daemon build with the log off and on (two
// daemons on one database), in alternating rounds so that load from other processes on a shared
// machine falls on both sides alike. Reported as medians over the rounds and as CPU per request.
const LOG_ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 4);
const logRounds = { off: [], on: [] };
for (let i = 0; i < LOG_ROUNDS; i++) {
  const order = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
  for (const side of order) logRounds[side].push(summary(await run(side === 'on' ? info.idsync : info.idsyncNoLog, lookup)));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
for (const side of ['off', 'on']) {
  const rs = logRounds[side];
  results[`lookupLog_${side}`] = { rounds: rs.map((r) => r.rps), rps: Math.round(median(rs.map((r) => r.rps))), p99: median(rs.map((r) => r.p99)), cpuUsPerRequest: rs.every((r) => r.cpuUsPerRequest !== undefined) ? Math.round(median(rs.map((r) => r.cpuUsPerRequest))) : undefined, non2xx: rs.reduce((a, r) => a + r.non2xx, 0) };
}
results.createBare = summary(await run(info.bare, create));
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

child.kill('SIGTERM');
const ratio = (a, b) => (a / b).toFixed(2);
const lines = [
  `### SCIM — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, SQLite, ${info.users.toLocaleString('en')} users in one org`,
  '',
  `Command: \`npm run build && node bench/scim.mjs\` (${SECONDS} s per run after a ${WARMUP} s warm-up of lookups on both, ${CONNECTIONS} connections, daemon and baseline in one child process, autocannon in the parent). Seeding took ${(info.seedUsersMs / 1000).toFixed(1)} s for the users (${Math.round(info.users / (info.seedUsersMs / 1000))}/s through the service layer) and ${(info.seedGroupMs / 1000).toFixed(1)} s for ${info.groupSize.toLocaleString('en')} group members${info.seedCached ? ' (that seed reused from BENCH_SEED_CACHE)' : ''}. Lookup answers are ${info.lookupBytes} bytes; the baseline serves a static body of that size.`,
  '',
  '| workload | bare express req/s | idsync req/s | ratio | idsync p50 ms | idsync p99 ms | target |',
  '|---|---|---|---|---|---|---|',
  `| \`GET /Users?filter=userName eq\` (random user) | ${results.lookupBare.rps} | ${results.lookupIdsync.rps} | ${ratio(results.lookupIdsync.rps, results.lookupBare.rps)} | ${results.lookupIdsync.p50} | ${results.lookupIdsync.p99} | ratio ≥ 0.50, p99 < 25 ms |`,
  `| \`POST /Users\` (new user) | ${results.createBare.rps} | ${results.createIdsync.rps} | ${ratio(results.createIdsync.rps, results.createBare.rps)} | ${results.createIdsync.p50} | ${results.createIdsync.p99} | — |`,
  '',
  `Group member add as the IdPs send it (\`PATCH /Groups/{id}\`, no query parameters, one member at a time, group at ${info.groupSize.toLocaleString('en')}+ members): Okta's request median ${results.groupAdd_okta.median} ms, p99 ${results.groupAdd_okta.p99} ms, ${results.groupAdd_okta.bytesPerAnswer} bytes per answer over ${results.groupAdd_okta.samples} adds; Entra's request median ${results.groupAdd_entra.median} ms, p99 ${results.groupAdd_entra.p99} ms, ${results.groupAdd_entra.bytesPerAnswer} bytes per answer over ${results.groupAdd_entra.samples} adds (target: median < 2 ms each).`,
  '',
  `SCIM request log on lookups (two daemons on the same database, log off (\`scim.requestLogDays: 0\`) and on (default), ${LOG_ROUNDS} alternating rounds of ${SECONDS} s each, medians): off ${results.lookupLog_off.rps} req/s (p99 ${results.lookupLog_off.p99} ms, ${results.lookupLog_off.cpuUsPerRequest ?? '–'} µs CPU per request), on ${results.lookupLog_on.rps} req/s (p99 ${results.lookupLog_on.p99} ms, ${results.lookupLog_on.cpuUsPerRequest ?? '–'} µs CPU per request): throughput cost ${((1 - results.lookupLog_on.rps / results.lookupLog_off.rps) * 100).toFixed(1)}%, CPU cost ${results.lookupLog_on.cpuUsPerRequest && results.lookupLog_off.cpuUsPerRequest ? `${((results.lookupLog_on.cpuUsPerRequest / results.lookupLog_off.cpuUsPerRequest - 1) * 100).toFixed(1)}%` : '–'} (target < 5%). Rounds off: ${results.lookupLog_off.rounds.join(', ')}; on: ${results.lookupLog_on.rounds.join(', ')} req/s. The idsync lookup row above runs with the log on.`,
  '',
  `Server CPU per request (µs, bare / idsync): lookups ${results.lookupBare.cpuUsPerRequest ?? '–'} / ${results.lookupIdsync.cpuUsPerRequest ?? '–'}, creates ${results.createBare.cpuUsPerRequest ?? '–'} / ${results.createIdsync.cpuUsPerRequest ?? '–'}.`,
  '',
  `Non-2xx / errors: lookups ${results.lookupIdsync.non2xx}/${results.lookupIdsync.errors}, creates ${results.createIdsync.non2xx}/${results.createIdsync.errors}.`,
  '',
];
console.log(lines.join('\n'));
console.log(JSON.stringify(results, null, 2));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
