// Access-check benchmark: `npm run build && node bench/access.mjs` (BENCH_MEMBERS to scale).
// Seeds one org through the service layer, then asks GET /api/v1/orgs/{org}/access?email=… for
// random members (and unknown people) and reads the server time from the Server-Timing header.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 20_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 5_000);
const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-access-'));
const config = loadConfig({ env: { IDSYNC_DATA_DIR: dir, IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1', IDSYNC_LOG_LEVEL: 'error', IDSYNC_API_RATE_LIMIT: '0', IDSYNC_RECONCILE_SCHEDULER: 'false' }, cwd: dir });
const daemon = await startDaemon(config, { logger: createLogger({ level: 'error', format: 'json' }) });
const s = daemon.services;
const actor = { kind: 'system', label: 'bench' };
const org = await s.orgs.create({ name: 'Access' }, actor);
for (let i = 0; i < MEMBERS; i++) await s.members.create(org.id, { email: `p${i}@access.example` }, actor);
const { key } = await s.credentials.createAdminKey(actor, { orgId: org.id });

const server = [];
const client = [];
for (let i = 0; i < REQUESTS; i++) {
  const who = i % 10 === 0 ? `stranger${i}@elsewhere.example` : `p${Math.floor(Math.random() * MEMBERS)}@access.example`;
  const t = process.hrtime.bigint();
  const res = await fetch(`${daemon.url}/api/v1/orgs/${org.id}/access?email=${encodeURIComponent(who)}`, { headers: { authorization: `Bearer ${key}` } });
  await res.arrayBuffer();
  client.push(Number(process.hrtime.bigint() - t) / 1e6);
  server.push(Number(/dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '')?.[1] ?? NaN));
}
await daemon.stop();
const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))].toFixed(3);
const lines = [
  `### Access check — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, SQLite, ${MEMBERS.toLocaleString('en')} members in one org`,
  '',
  `Command: \`npm run build && node bench/access.mjs\` (${REQUESTS} sequential requests, 1 in 10 for an unknown person; server time from the Server-Timing header, round trip measured by the client on loopback).`,
  '',
  '| measure | p50 ms | p99 ms |',
  '|---|---|---|',
  `| server time (lookup + verdict) | ${q(server, 0.5)} | ${q(server, 0.99)} |`,
  `| client round trip (auth, routing, JSON) | ${q(client, 0.5)} | ${q(client, 0.99)} |`,
  '',
];
console.log(lines.join('\n'));
if (process.env.BENCH_RECORD !== '0') appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${lines.join('\n')}\n`);
