// The SCIM request log's cost on lookups alone, quicker than the whole of bench/scim.mjs:
// `npm run build && node bench/scim-log-rounds.mjs`. The same method as bench/scim.mjs's log rounds
// (bench/log-rounds.mjs: a fresh pair of daemons of this build each round, log off and on, driven
// in alternating order for BENCH_SECONDS (10) after BENCH_WARMUP (10) s each; BENCH_LOG_ROUNDS (6)
// rounds; seed from bench/scim-server.mjs, BENCH_SEED_CACHE=DIR reuses one).
// BENCH_AA=1 runs both daemons with the log off (an A/A run): the method's own noise.
// Prints each round and the median of the per-round on/off ratios (req/s and CPU per request);
// records nothing: bench/scim.mjs writes the figures of record.
import { idpLookups } from './idp-requests.mjs';
import { logRounds, median } from './log-rounds.mjs';
import { child } from './processes.mjs';

const server = child('./scim-server.mjs', { BENCH_DAEMONS: 'on,off' });
const info = await server.ready;
const headers = { authorization: `Bearer ${info.token}` };
const r = await logRounds({
  info,
  headers,
  lookup: idpLookups(info.users, headers),
  rounds: Number(process.env.BENCH_LOG_ROUNDS ?? 6),
  seconds: Number(process.env.BENCH_SECONDS ?? 10),
  warmup: Number(process.env.BENCH_WARMUP ?? 10),
  aa: process.env.BENCH_AA === '1',
  onRound: (i, side, round) => console.log(`round ${i} ${side}: ${round.rps} req/s, ${round.cpuUsPerRequest} µs CPU per request, p99 ${round.p99} ms`),
});
const side = (rs) => ({ rps: median(rs.map((x) => x.rps)), cpu: median(rs.map((x) => x.cpuUsPerRequest)) });
console.log(JSON.stringify({ off: side(r.off), on: side(r.on), ratio: r.ratios }));
server.p.kill('SIGTERM');
