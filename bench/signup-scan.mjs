// Sign-up scan benchmark: `npm run build && node bench/signup-scan.mjs` (BENCH_ORGS=1000,10000).
// The sign-up page finds invitations and invite links for an email: through the store's cross-org
// indexes (candidate orgs, each checked), before those by walking every org. This measures what a
// sign-up decision costs as the number of orgs grows, through the service the page calls.
// BENCH_STORE=redis with IDSYNC_REDIS_URL runs on Redis (a key prefix per size), else SQLite.
import { appendFileSync, mkdtempSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDaemon } from '../dist/app/daemon.js';
import { loadConfig } from '../dist/config/load.js';
import { createLogger } from '../dist/logging/winston-logger.js';

const SIZES = (process.env.BENCH_ORGS ?? '1000,10000').split(',').map(Number);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const actor = { kind: 'system', label: 'bench' };
const rows = [];
for (const size of SIZES) {
  const dir = mkdtempSync(join(tmpdir(), 'idsync-bench-signup-'));
  const redis = process.env.BENCH_STORE === 'redis' ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: process.env.IDSYNC_REDIS_URL, IDSYNC_REDIS_KEY_PREFIX: `bench-signup-${size}-${Date.now()}`, IDSYNC_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'), IDSYNC_REDIS_COMMAND_TIMEOUT_MS: process.env.IDSYNC_REDIS_COMMAND_TIMEOUT_MS ?? '2000' } : {};
  const env = { ...redis, IDSYNC_DATA_DIR: dir, IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1', IDSYNC_LOG_LEVEL: 'error', IDSYNC_RECONCILE_SCHEDULER: 'false', IDSYNC_SIGNUP_MODE: 'open' };
  const daemon = await startDaemon(loadConfig({ env, cwd: dir }), { logger: createLogger({ level: 'error', format: 'json' }) });
  const s = daemon.services;
  // Every org has one pending invitation and one open link (neither for the person signing up).
  for (let i = 0; i < size; i++) {
    const org = await s.orgs.create({ name: `Org ${i}` }, actor);
    await s.invitations.invite(org.id, { email: `someone${i}@org${i}.example` }, actor);
    await s.links.create(org.id, { role: 'member', allowedDomains: [`org${i}.example`] }, actor);
  }
  const who = { provider: 'google', subject: 'bench', email: 'newcomer@fresh.example', emailVerified: true, directoryId: 'bench' };
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t = process.hrtime.bigint();
    const c = await s.signup.choices(who);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!c.canCreate) throw new Error('expected a new org to be offered');
  }
  await daemon.stop();
  times.sort((a, b) => a - b);
  rows.push(`| ${size.toLocaleString('en')} | ${times[Math.floor(times.length / 2)].toFixed(2)} | ${times[times.length - 1].toFixed(2)} |`);
  console.log(rows.at(-1));
}
const out = [
  `### Sign-up scan — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} cores, ${process.env.BENCH_STORE === 'redis' ? 'Redis' : 'SQLite'}`,
  '',
  `Command: \`npm run build && node bench/signup-scan.mjs\` (${ROUNDS} sign-up decisions per size for an email no org invited; each org has one pending invitation and one invite link).`,
  '',
  '| orgs | p50 ms | max ms |',
  '|---|---|---|',
  ...rows,
  '',
];
appendFileSync(new URL('./RESULTS.md', import.meta.url), `\n${out.join('\n')}`);
console.log(out.join('\n'));
