// Where a SCIM lookup's CPU goes: `npm run build && node bench/scim-profile.mjs`.
// Seeds (bench/scim-server.mjs; BENCH_SEED_CACHE=DIR to reuse a seed), runs one daemon alone in its
// process (bench/scim-daemon.mjs, request log on unless BENCH_LOG=off), drives `GET /Users?filter=
// userName eq` at 32 connections for BENCH_SECONDS (10) after a warm-up, and prints the daemon's CPU
// µs per request beside the bare express handler's. With BENCH_PROFILE=1 the measured stretch runs
// under the V8 CPU profiler (which costs CPU itself: compare µs figures only between runs alike) and
// the profile is summed: self time by package or dist file, by function, and inclusive time by function.
// BENCH_ROUNDS=N repeats the measured stretch N times and prints each round (the median is the figure);
// BENCH_COMPARE=DIR sets an earlier build beside the current one (see below); BENCH_NODE_FLAGS are
// node options for the current build's daemon only (BENCH_COMPARE=dist with them: what a flag does).
import autocannon from 'autocannon';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { idpLookups } from './idp-requests.mjs';
import { child, cpuMs } from './processes.mjs';
import { summarize } from './cpuprofile-summary.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
// BENCH_PROFILE=1 profiles the daemon, BENCH_PROFILE=bare the baseline's process (to set beside it).
const PROFILE = process.env.BENCH_PROFILE === '1';
const PROFILE_BARE = process.env.BENCH_PROFILE === 'bare';
const CONNECTIONS = 32;


const profDir = mkdtempSync(join(tmpdir(), 'idsync-prof-'));
// BENCH_COMPARE=DIR: a second daemon runs the build in DIR (a copy of an earlier dist/ inside this
// checkout), and the rounds alternate between the two (ABBA), so load from elsewhere falls on both alike.
const COMPARE = process.env.BENCH_COMPARE;
const names = COMPARE ? ['base', 'new'] : ['new'];
const server = child('./scim-server.mjs', { BENCH_DAEMONS: names.join(',') }, PROFILE_BARE ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []);
const info = await server.ready;
const daemons = {};
for (const name of names) {
  const d = child(
    './scim-daemon.mjs',
    {
      BENCH_DATA_DIR: info.daemonDirs[name],
      ...(name === 'base' ? { BENCH_DIST: COMPARE } : {}),
      ...(info.redisUrl ? { BENCH_REDIS_URL: info.redisUrl, BENCH_SECRET_KEY: info.secretKey } : {}),
    },
    [...(PROFILE && name === 'new' ? ['--cpu-prof', '--cpu-prof-dir', profDir] : []), ...(name === 'new' && process.env.BENCH_NODE_FLAGS ? process.env.BENCH_NODE_FLAGS.split(' ') : [])],
  );
  daemons[name] = { ...d, port: (await d.ready).port, sent: 0 };
}
const headers = { authorization: `Bearer ${info.token}` };
const lookup = idpLookups(info.users, headers);
const drive = (p, seconds) => new Promise((resolve, reject) => autocannon({ url: `http://127.0.0.1:${p}`, connections: CONNECTIONS, duration: seconds, headers, ...lookup }, (err, r) => (err ? reject(err) : resolve(r))));
async function measure(p, pid) {
  const c0 = cpuMs(pid);
  const r = await drive(p, SECONDS);
  const us = ((cpuMs(pid) - c0) * 1000) / r.requests.total;
  if (r.non2xx || r.errors) throw new Error(`lookups answered ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { rps: Math.round(r.requests.average), p99: r.latency.p99, cpuUsPerRequest: Math.round(us), requests: r.requests.total };
}

for (const d of Object.values(daemons)) d.sent += (await drive(d.port, 3)).requests.total;
let sentBare = (await drive(info.bare, 2)).requests.total;
const rounds = [];
for (let i = 0; i < ROUNDS; i++) {
  const round = {};
  round.bare = await measure(info.bare, server.p.pid);
  sentBare += round.bare.requests;
  for (const name of i % 2 === 0 ? names : [...names].reverse()) {
    const d = daemons[name];
    round[name] = await measure(d.port, d.p.pid);
    d.sent += round[name].requests;
  }
  rounds.push(round);
  console.log(JSON.stringify(round));
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = Object.fromEntries(['bare', ...names].map((n) => [n, median(rounds.map((r) => r[n].cpuUsPerRequest))]));
console.log(JSON.stringify({ medianCpuUsPerLookup: medians, ...(COMPARE ? { newOverBase: median(rounds.map((r) => r.new.cpuUsPerRequest / r.base.cpuUsPerRequest)).toFixed(3) } : {}) }));

for (const d of Object.values(daemons)) {
  const exited = new Promise((r) => d.p.once('exit', r));
  d.p.kill('SIGTERM');
  await exited;
}
const serverExited = new Promise((r) => server.p.once('exit', r));
server.p.kill('SIGTERM');
await serverExited;
if (PROFILE || PROFILE_BARE) summarize(JSON.parse(readFileSync(join(profDir, readdirSync(profDir)[0]), 'utf8')), PROFILE ? daemons.new.sent : sentBare);

