// Child of bench/scim.mjs (and bench/scim-profile.mjs): one idsync daemon (compiled, dist/) alone in
// its process, on a data directory seeded by bench/scim-server.mjs, so that the parent can read
// this process's CPU time as the daemon's own. Both daemons of a log on/off comparison run this
// same file with the same settings but one: BENCH_LOG=off sets scim.requestLogDays to 0.
// Environment: BENCH_DATA_DIR (the seeded directory, SQLite file and secret key), BENCH_LOG (on|off),
// BENCH_REDIS_URL (or BENCH_POSTGRES_URL) and BENCH_SECRET_KEY for the Redis (PostgreSQL) store, BENCH_IDSYNC_X=v to set IDSYNC_X=v.
// Prints one JSON line {port}, serves until SIGTERM, then stops the daemon gracefully.
import { pathToFileURL } from 'node:url';

// BENCH_DIST=DIR runs another build (a copy of dist/ inside this checkout, so that it finds
// node_modules): bench/scim-profile.mjs compares two builds that way.
const dist = process.env.BENCH_DIST ? pathToFileURL(`${process.env.BENCH_DIST.replace(/\/$/, '')}/`) : new URL('../dist/', import.meta.url);
const { startDaemon } = await import(new URL('app/daemon.js', dist));
const { loadConfig } = await import(new URL('config/load.js', dist));
const { createLogger } = await import(new URL('logging/winston-logger.js', dist));

const dir = process.env.BENCH_DATA_DIR;
if (!dir) throw new Error('BENCH_DATA_DIR is required');
const env = {
  IDSYNC_DATA_DIR: dir,
  IDSYNC_PORT: '0',
  IDSYNC_HOST: '127.0.0.1',
  IDSYNC_SCIM_RATE_LIMIT: '0',
  IDSYNC_LOG_LEVEL: 'error',
  IDSYNC_PUBLIC_URL: 'http://127.0.0.1',
  ...(process.env.BENCH_LOG === 'off' ? { IDSYNC_SCIM_REQUEST_LOG_DAYS: '0' } : {}),
  ...(process.env.BENCH_REDIS_URL ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: process.env.BENCH_REDIS_URL, IDSYNC_SECRET_KEY: process.env.BENCH_SECRET_KEY } : {}),
  ...(process.env.BENCH_POSTGRES_URL ? { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: process.env.BENCH_POSTGRES_URL, IDSYNC_SECRET_KEY: process.env.BENCH_SECRET_KEY } : {}),
  // BENCH_IDSYNC_X=v sets IDSYNC_X=v, to see what one setting costs (e.g. BENCH_IDSYNC_WEBHOOK_POLL_MS).
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_IDSYNC_')).map(([k, v]) => [k.slice('BENCH_'.length), v])),
};
const daemon = await startDaemon(loadConfig({ env, cwd: dir }), { logger: createLogger({ level: 'error', format: 'json' }) });
process.stdout.write(`${JSON.stringify({ port: daemon.port })}\n`);
process.on('SIGTERM', async () => {
  await daemon.stop();
  process.exit(0);
});
