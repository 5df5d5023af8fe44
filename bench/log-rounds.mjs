// The SCIM request log's cost on lookups, as bench/scim.mjs and bench/scim-log-rounds.mjs measure
// it: two daemons of one build (bench/scim-daemon.mjs), each on its own copy of the seed, the log
// off (`scim.requestLogDays: 0`) on one and on (default) on the other, driven by the IdPs' lookups
// at 32 connections in alternating order. Each round starts both daemons afresh and stops them
// after: one process measures a few percent faster or slower than another of the same build for
// as long as it lives (an A/A run, both off, showed 3%), so fresh processes each round average
// that out instead of carrying one pair's luck through every round. A fresh process needs its
// warm-up: with the log on it settles seconds later than with it off (this build, 2 s of warm-up:
// 0.90 and 0.94 on/off; 8 s: 0.97; 10 s: 0.96), so the callers warm each for 10 s. Each round's CPU
// is that daemon's process's own (every thread: the log's writer thread included).
import autocannon from 'autocannon';
import { child, cpuMs } from './processes.mjs';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function stop({ p }) {
  if (p.exitCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGTERM');
  await exited;
}

/**
 * `info` is bench/scim-server.mjs's line (daemonDirs on and off); `lookup` the autocannon request
 * options; `aa` runs both with the log off. Returns each side's rounds and the medians of the
 * per-round on/off ratios.
 */
export async function logRounds({ info, lookup, headers, rounds, seconds, warmup, aa = false, onRound = () => {} }) {
  const daemonEnv = (name) => ({ BENCH_DATA_DIR: info.daemonDirs[name], BENCH_LOG: aa ? 'off' : name, ...(info.redisUrl ? { BENCH_REDIS_URL: info.redisUrl, BENCH_SECRET_KEY: info.secretKey } : {}), ...(info.postgresUrl ? { BENCH_POSTGRES_URL: info.postgresUrl, BENCH_SECRET_KEY: info.secretKey } : {}) });
  const drive = (port, duration) => new Promise((resolve, reject) => autocannon({ url: `http://127.0.0.1:${port}`, connections: 32, duration, headers, ...lookup }, (err, res) => (err ? reject(err) : resolve(res))));
  const out = { off: [], on: [] };
  for (let i = 0; i < rounds; i++) {
    const order = i % 2 === 0 ? ['off', 'on'] : ['on', 'off'];
    const daemons = {};
    // Started in the round's order too, so neither side is always the first process up.
    for (const side of order) daemons[side] = child('./scim-daemon.mjs', daemonEnv(side));
    const ports = {};
    for (const side of order) ports[side] = (await daemons[side].ready).port;
    for (const side of order) if (warmup > 0) await drive(ports[side], warmup);
    for (const side of order) {
      const c0 = cpuMs(daemons[side].p.pid);
      const r = await drive(ports[side], seconds);
      const c1 = cpuMs(daemons[side].p.pid);
      if (r.non2xx || r.errors) throw new Error(`log ${side}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      const round = { rps: Math.round(r.requests.average), p99: r.latency.p99, cpuUsPerRequest: c0 === undefined || c1 === undefined ? undefined : Math.round(((c1 - c0) * 1000) / r.requests.total) };
      out[side].push(round);
      onRound(i + 1, side, round);
    }
    for (const side of order) await stop(daemons[side]);
  }
  const cpuKnown = out.on.every((r, i) => r.cpuUsPerRequest && out.off[i].cpuUsPerRequest);
  return {
    ...out,
    ratios: {
      rps: +median(out.on.map((r, i) => r.rps / out.off[i].rps)).toFixed(3),
      cpu: cpuKnown ? +median(out.on.map((r, i) => r.cpuUsPerRequest / out.off[i].cpuUsPerRequest)).toFixed(3) : undefined,
    },
  };
}
