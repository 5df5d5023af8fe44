// The SCIM request log's cost on lookups alone, quicker than the whole of bench/scim.mjs:
// `npm run build && node bench/scim-log-rounds.mjs`. The same method as bench/scim.mjs's log rounds:
// two daemons of this build (bench/scim-daemon.mjs), each alone in its process on its own copy of
// the seed (bench/scim-server.mjs; BENCH_SEED_CACHE=DIR reuses one), the request log off
// (`scim.requestLogDays: 0`) on one and on (default) on the other, driven in alternating rounds
// (off/on, on/off, …) of BENCH_SECONDS (10) at 32 connections after BENCH_WARMUP (2) s on each.
// Prints each round and the median of the per-round on/off ratios (req/s and CPU per request);
// records nothing: bench/scim.mjs writes the figures of record.
import autocannon from 'autocannon';
import { idpLookups } from './idp-requests.mjs';
import { child, cpuMs } from './processes.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 2);
const ROUNDS = Number(process.env.BENCH_LOG_ROUNDS ?? 6);
const CONNECTIONS = 32;
// BENCH_AA=1: both daemons with the log off (an A/A run): how far apart two processes of one build
// measure by themselves, the method's own noise.
const AA = process.env.BENCH_AA === '1';

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const server = child('./scim-server.mjs', { BENCH_DAEMONS: 'on,off' });
const info = await server.ready;
const daemons = Object.fromEntries(['on', 'off'].map((name) => [name, child('./scim-daemon.mjs', { BENCH_DATA_DIR: info.daemonDirs[name], BENCH_LOG: AA ? 'off' : name })]));
const ports = { on: (await daemons.on.ready).port, off: (await daemons.off.ready).port };
const headers = { authorization: `Bearer ${info.token}` };
const lookup = idpLookups(info.users, headers);
const drive = (side, duration) =>
  new Promise((resolve, reject) => autocannon({ url: `http://127.0.0.1:${ports[side]}`, connections: CONNECTIONS, duration, headers, ...lookup }, (err, res) => (err ? reject(err) : resolve(res))));

for (const side of ['off', 'on']) if (WARMUP > 0) await drive(side, WARMUP);
const rounds = { off: [], on: [] };
for (let i = 0; i < ROUNDS; i++) {
  for (const side of i % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    const c0 = cpuMs(daemons[side].p.pid);
    const r = await drive(side, SECONDS);
    const cpu = ((cpuMs(daemons[side].p.pid) - c0) * 1000) / r.requests.total;
    if (r.non2xx || r.errors) throw new Error(`${side}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    rounds[side].push({ rps: Math.round(r.requests.average), cpu: Math.round(cpu), p99: r.latency.p99 });
    console.log(`round ${i + 1} ${side}: ${Math.round(r.requests.average)} req/s, ${Math.round(cpu)} µs CPU per request, p99 ${r.latency.p99} ms`);
  }
}
const ratio = (k) => median(rounds.on.map((r, i) => r[k] / rounds.off[i][k]));
console.log(JSON.stringify({ off: { rps: median(rounds.off.map((r) => r.rps)), cpu: median(rounds.off.map((r) => r.cpu)) }, on: { rps: median(rounds.on.map((r) => r.rps)), cpu: median(rounds.on.map((r) => r.cpu)) }, ratio: { rps: +ratio('rps').toFixed(3), cpu: +ratio('cpu').toFixed(3) } }));
for (const c of [...Object.values(daemons), server]) c.p.kill('SIGTERM');
