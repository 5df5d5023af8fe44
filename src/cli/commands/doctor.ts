import type { Command } from 'commander';
import { accessSync, constants, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join } from 'node:path';
import { openStore } from '../../app/open-store.js';
import { ConfigError, loadConfig } from '../../config/load.js';
import type { Config } from '../../config/schema.js';
import { decodeSecretKey, SECRET_KEY_FILE } from '../../config/secret-key.js';
import type { Logger } from '../../ports/logger.js';
import { printJson, type CliIo } from '../io.js';
import { checkConnections } from './doctor-connections.js';

/** One line of the report; `fix` says what to change when `ok` is false. */
export interface DoctorCheck {
  name: 'config' | 'data-dir' | 'secret-key' | 'store' | 'connection';
  ok: boolean;
  message: string;
  fix?: string;
}

/** How long the TCP pre-check waits for each Redis address before calling it unreachable. */
const TCP_PROBE_MS = 2000;
/**
 * How long the explicit ping may take once the store is open. Opening Redis already waited (bounded)
 * for the first connection, so a ping that still hangs adds nothing but delay to the report.
 */
const PING_DEADLINE_MS = 1500;

export function registerDoctor(program: Command, io: CliIo): void {
  program
    .command('doctor')
    .description('check the configuration, data directory, secret key, store and each directory connection, and say how to fix what fails')
    .option('--json', 'print JSON: {ok, checks: [{name, ok, message, fix?}]}')
    .action(async (o: { json?: boolean }) => {
      const checks = await runDoctor(io);
      const ok = checks.every((c) => c.ok);
      if (o.json) printJson(io, { ok, checks });
      else printReport(io, checks);
      if (!ok) io.exitCode = 1;
    });
}

/** Runs every check that can run: nothing past the configuration when it does not load. */
export async function runDoctor(io: CliIo): Promise<DoctorCheck[]> {
  let config: Config;
  try {
    config = loadConfig({ env: io.env, cwd: io.cwd });
  } catch (err) {
    return [configFailure(err)];
  }
  const checks: DoctorCheck[] = [
    { name: 'config', ok: true, message: `configuration loads (store ${config.store}, data dir ${config.dataDir}, port ${config.server.port})` },
  ];
  if (config.store === 'sqlite') checks.push(checkDataDir(config.dataDir));
  checks.push(checkSecretKey(config));
  const store = await checkStore(config);
  checks.push(store);
  // Each directory connection authenticates and lists, as `idsync connections test` does.
  if (store.ok) checks.push(...(await checkConnections(config)));
  return checks;
}

function configFailure(err: unknown): DoctorCheck {
  if (err instanceof ConfigError) {
    const lines = err.problems.map((p) => `${p.key}${p.env ? ` (${p.env})` : ''}: ${p.message}`);
    return {
      name: 'config',
      ok: false,
      message: `configuration has ${lines.length} problem${lines.length === 1 ? '' : 's'}:\n${lines.map((l) => `  - ${l}`).join('\n')}`,
      fix: 'set each variable named above (or its key in the YAML file named by IDSYNC_CONFIG); `idsync config example` documents every key',
    };
  }
  return { name: 'config', ok: false, message: `configuration cannot be loaded: ${messageOf(err)}`, fix: 'check the file named by IDSYNC_CONFIG' };
}

/** The data dir must be a writable directory, or creatable: writes a probe file and removes it. */
function checkDataDir(dir: string): DoctorCheck {
  const fixWritable =
    `make ${dir} writable by uid ${process.getuid?.() ?? '?'}: in Docker mount a volume on it (-v idsync-data:/data) or chown the host directory; ` +
    'in Kubernetes keep the chart\'s podSecurityContext.fsGroup; or point IDSYNC_DATA_DIR elsewhere';
  if (!existsSync(dir)) {
    const parent = nearestExisting(dir);
    try {
      accessSync(parent, constants.W_OK);
      return { name: 'data-dir', ok: true, message: `${dir} does not exist yet; idsync creates it (${parent} is writable)` };
    } catch {
      return { name: 'data-dir', ok: false, message: `${dir} does not exist and cannot be created: ${parent} is not writable`, fix: fixWritable };
    }
  }
  if (!statSync(dir).isDirectory()) {
    return { name: 'data-dir', ok: false, message: `${dir} is not a directory`, fix: 'point IDSYNC_DATA_DIR at a directory (the SQLite file and the secret key live there)' };
  }
  const probe = join(dir, `.idsync-doctor-${process.pid}`);
  try {
    writeFileSync(probe, 'probe', { flag: 'wx', mode: 0o600 });
    rmSync(probe, { force: true });
    return { name: 'data-dir', ok: true, message: `${dir} is writable` };
  } catch (err) {
    return { name: 'data-dir', ok: false, message: `${dir} is not writable: ${messageOf(err)}`, fix: fixWritable };
  }
}

function nearestExisting(path: string): string {
  let p = path;
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/** Read-only: never generates the key (the daemon does that on first start). */
function checkSecretKey(config: Config): DoctorCheck {
  if (config.secretKey !== '') return { name: 'secret-key', ok: true, message: 'secret key set by IDSYNC_SECRET_KEY (or secretKey in the config file)' };
  const file = join(config.dataDir, SECRET_KEY_FILE);
  if (!existsSync(file)) {
    return { name: 'secret-key', ok: true, message: `no secret key yet; one is generated into ${file} on first start (back it up with the database)` };
  }
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { name: 'secret-key', ok: false, message: `${file} cannot be read: ${messageOf(err)}`, fix: `make ${file} readable by the user idsync runs as (mode 0600, owned by it)` };
  }
  if (!decodeSecretKey(text)) {
    return {
      name: 'secret-key',
      ok: false,
      message: `${file} does not hold a valid key (32+ bytes, base64 or hex)`,
      fix: 'restore the original file from your backup; only if nothing was ever encrypted with it, replace it with `openssl rand -base64 32`',
    };
  }
  return { name: 'secret-key', ok: true, message: `secret key read from ${file}` };
}

async function checkStore(config: Config): Promise<DoctorCheck> {
  if (config.store === 'redis') {
    const unreachable = await firstUnreachableRedis(config);
    if (unreachable) return unreachable;
  }
  const captured = captureLogger();
  let store: Awaited<ReturnType<typeof openStore>> | undefined;
  try {
    // Opens the store exactly as every CLI command does (in SQLite mode this creates a missing
    // database file and applies pending migrations, as the daemon's start would).
    store = await openStore(config, captured.logger);
    await withDeadline(store.ping(), PING_DEADLINE_MS, 'no answer to PING');
    return { name: 'store', ok: true, message: `${describeStore(config)} answers` };
  } catch (err) {
    const detail = captured.lastError && !messageOf(err).includes(captured.lastError) ? ` (${captured.lastError})` : '';
    return { name: 'store', ok: false, message: `${describeStore(config)} does not answer: ${messageOf(err)}${detail}`, fix: storeFix(config, `${messageOf(err)} ${detail}`) };
  } finally {
    await store?.close().catch(() => undefined);
  }
}

/**
 * A plain TCP connect to each configured Redis address first, so a wrong host or a closed port is
 * reported at once and by name instead of after the store's connection timeout.
 */
async function firstUnreachableRedis(config: Config): Promise<DoctorCheck | undefined> {
  const { addresses, variable } = redisAddresses(config);
  const results = await Promise.all(addresses.map(async (a) => ({ a, error: await tcpProbe(a.host, a.port, TCP_PROBE_MS) })));
  const failed = results.filter((r) => r.error !== undefined);
  // Sentinel and Cluster need only one seed to answer; a standalone URL has one address.
  if (failed.length < results.length || results.length === 0) return undefined;
  const list = failed.map((r) => `${r.a.host}:${r.a.port} (${r.error})`).join(', ');
  return {
    name: 'store',
    ok: false,
    message: `Redis cannot be reached: ${list}`,
    fix: `start Redis or correct ${variable}; from a container or pod, check that the host name resolves there and that no firewall or NetworkPolicy blocks the port`,
  };
}

function redisAddresses(config: Config): { addresses: { host: string; port: number }[]; variable: string } {
  const { redis } = config;
  if (redis.sentinels.length > 0) return { addresses: redis.sentinels.map(hostPort), variable: 'IDSYNC_REDIS_SENTINELS' };
  if (redis.clusterNodes.length > 0) return { addresses: redis.clusterNodes.map(hostPort), variable: 'IDSYNC_REDIS_CLUSTER_NODES' };
  const url = new URL(redis.url);
  return { addresses: [{ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) }], variable: 'IDSYNC_REDIS_URL' };
}

function hostPort(entry: string): { host: string; port: number } {
  const i = entry.lastIndexOf(':');
  return { host: entry.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(entry.slice(i + 1)) };
}

/** Resolves undefined when a TCP connection opens, else the reason it did not. */
function tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection({ host, port });
    const done = (error: string | undefined) => {
      socket.destroy();
      resolve(error);
    };
    socket.setTimeout(timeoutMs, () => done(`no answer within ${timeoutMs} ms`));
    socket.once('connect', () => done(undefined));
    socket.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
  });
}

/** Names the store without credentials (a Redis URL may carry a password). */
function describeStore(config: Config): string {
  if (config.store === 'sqlite') return `SQLite ${config.sqlite.path}`;
  if (config.store === 'postgres') {
    const url = new URL(config.postgres.url);
    return `PostgreSQL ${url.host}${url.pathname}`;
  }
  const { redis } = config;
  if (redis.sentinels.length > 0) return `Redis via Sentinel (${redis.sentinels.join(', ')}, master ${redis.sentinelName})`;
  if (redis.clusterNodes.length > 0) return `Redis Cluster (${redis.clusterNodes.join(', ')})`;
  const url = new URL(redis.url);
  return `Redis ${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
}

function storeFix(config: Config, message: string): string {
  if (config.store === 'sqlite') {
    if (/newer than this idsync/.test(message)) return 'run the idsync version that wrote this database (or newer); downgrading needs the backup taken before the upgrade';
    if (/locked|busy/i.test(message)) return 'another process holds a long write lock on the file; retry, or raise IDSYNC_SQLITE_BUSY_TIMEOUT_MS';
    if (/corrupt|not a database|malformed/i.test(message)) return `restore ${config.sqlite.path} from a backup (the file is damaged or not an idsync database)`;
    return `check that ${dirname(config.sqlite.path)} is a writable directory on a local disk (not NFS), or set IDSYNC_SQLITE_PATH`;
  }
  if (config.store === 'postgres') {
    if (/newer than this idsync/.test(message)) return 'run the idsync version that migrated this database (or newer); downgrading needs the backup taken before the upgrade';
    if (/password|authentication|28P01|28000/i.test(message)) return 'check the user and password (IDSYNC_POSTGRES_URL, IDSYNC_POSTGRES_PASSWORD) and pg_hba.conf';
    if (/SSL|TLS|certificate/i.test(message)) return 'check TLS: IDSYNC_POSTGRES_SSL (or the URL sslmode) must match the server, and verify-ca/verify-full need IDSYNC_POSTGRES_CA_FILE for a private CA';
    if (/3D000/.test(message)) return 'create the database named in IDSYNC_POSTGRES_URL (idsync creates its tables, not the database)';
    return 'check that PostgreSQL runs and accepts connections from here, and the IDSYNC_POSTGRES_* settings (`idsync config check` prints them)';
  }
  if (/WRONGPASS|NOAUTH|auth/i.test(message)) return 'check IDSYNC_REDIS_PASSWORD (and IDSYNC_REDIS_USERNAME for an ACL user)';
  if (/LOADING/.test(message)) return 'Redis is loading its data set; retry in a moment';
  if (/READONLY|MASTERDOWN/.test(message)) return 'idsync reached a read-only replica or a master that is down; check IDSYNC_REDIS_SENTINEL_NAME and the Sentinel setup';
  if (/CLUSTERDOWN/.test(message)) return 'the Redis Cluster reports itself down; check `redis-cli cluster info` on its nodes';
  if (/TLS|SSL|certificate|ECONNRESET/i.test(message)) return 'check TLS: a rediss:// URL or IDSYNC_REDIS_TLS=true must match the server, and a private CA needs NODE_EXTRA_CA_CERTS';
  return 'check that Redis runs and answers PING, and the IDSYNC_REDIS_* settings (`idsync config check` prints them)';
}

/** The store reports connection trouble through its logger; keep the last error for the report. */
function captureLogger(): { logger: Logger; readonly lastError: string | undefined } {
  let lastError: string | undefined;
  const keep = (_message: string, fields?: Record<string, unknown>) => {
    if (typeof fields?.error === 'string') lastError = fields.error;
  };
  const logger: Logger = { error: keep, warn: keep, info: () => undefined, debug: () => undefined, child: () => logger };
  return {
    logger,
    get lastError() {
      return lastError;
    },
  };
}

function printReport(io: CliIo, checks: DoctorCheck[]): void {
  const width = Math.max(...checks.map((c) => c.name.length));
  const lines: string[] = [];
  for (const c of checks) {
    lines.push(`${c.ok ? '✓' : '✗'} ${c.name.padEnd(width)}  ${c.message}`);
    if (!c.ok && c.fix) lines.push(`  ${' '.repeat(width)}  fix: ${c.fix}`);
  }
  const failed = checks.filter((c) => !c.ok).length;
  lines.push(failed === 0 ? `all ${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
  io.out(lines.join('\n'));
}

function withDeadline<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
