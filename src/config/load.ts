import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IdsyncError } from '../domain/errors.js';
import { KEYS, type Config, type KeySpec } from './schema.js';
import { decodeSecretKey } from './secret-key.js';

export interface ConfigProblem {
  key: string;
  env?: string;
  message: string;
}

/** Every problem found at start, reported together (fastify / dex style). */
export class ConfigError extends IdsyncError {
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  - ${p.key}${p.env ? ` (${p.env})` : ''}: ${p.message}`);
    super('config.invalid', `invalid configuration:\n${lines.join('\n')}`, { problems });
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Explicit YAML file; otherwise IDSYNC_CONFIG, otherwise config/idsync.yaml when it exists. */
  file?: string;
  cwd?: string;
}

export const DEFAULT_CONFIG_FILE = join('config', 'idsync.yaml');

/** Loads defaults < YAML file < environment, validates everything, and returns a frozen Config. */
export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];

  const file = opts.file ?? (env.IDSYNC_CONFIG || undefined) ?? (existsSync(join(cwd, DEFAULT_CONFIG_FILE)) ? DEFAULT_CONFIG_FILE : undefined);
  const fromFile = file ? readConfigFile(resolve(cwd, file), problems) : {};

  const known = new Set(KEYS.map((k) => k.path));
  for (const path of Object.keys(fromFile)) {
    if (!known.has(path)) problems.push({ key: path, message: `unknown key in ${file}` });
  }

  const values: Record<string, unknown> = {};
  for (const spec of KEYS) {
    const raw = env[spec.env] !== undefined ? env[spec.env] : fromFile[spec.path] !== undefined ? fromFile[spec.path] : spec.default;
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) values[spec.path] = parsed.data;
    else problems.push({ key: spec.path, env: spec.env, message: describeIssue(spec, parsed.error.issues[0]?.message ?? 'invalid', raw) });
  }

  checkCrossField(values, problems, cwd);
  if (problems.length > 0) throw new ConfigError(problems);

  const config = nest(values) as unknown as Config;
  config.dataDir = resolve(cwd, config.dataDir);
  if (config.server.publicUrl === '') config.server.publicUrl = `http://localhost:${config.server.port}`;
  config.server.publicUrl = config.server.publicUrl.replace(/\/+$/, '');
  config.sqlite.path = config.sqlite.path === '' ? join(config.dataDir, 'idsync.db') : resolve(cwd, config.sqlite.path);
  if (config.postgres.caFile !== '') config.postgres.caFile = resolve(cwd, config.postgres.caFile);
  return deepFreeze(config);
}

function readConfigFile(path: string, problems: ConfigProblem[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    problems.push({ key: 'IDSYNC_CONFIG', message: `cannot read config file ${path}: ${(err as Error).message}` });
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    problems.push({ key: 'IDSYNC_CONFIG', message: `config file ${path} is not valid YAML: ${(err as Error).message.split('\n')[0]}` });
    return {};
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    problems.push({ key: 'IDSYNC_CONFIG', message: `config file ${path} must hold a mapping of keys` });
    return {};
  }
  return flatten(doc as Record<string, unknown>);
}

/** Leaves of a YAML mapping as dotted paths; lists are leaves (e.g. redis.sentinels). */
function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    const path = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, path));
    else out[path] = v;
  }
  return out;
}

function nest(flat: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [path, v] of Object.entries(flat)) {
    const parts = path.split('.');
    let node = out;
    for (const p of parts.slice(0, -1)) node = (node[p] ??= {}) as Record<string, unknown>;
    node[parts[parts.length - 1]!] = v;
  }
  return out;
}

function describeIssue(spec: KeySpec, message: string, raw: unknown): string {
  if (spec.secret) return message;
  return `${message} (got ${JSON.stringify(raw)})`;
}

function checkCrossField(v: Record<string, unknown>, problems: ConfigProblem[], cwd: string): void {
  const secret = v.secretKey as string | undefined;
  if (typeof secret === 'string' && secret !== '' && !decodeSecretKey(secret)) {
    problems.push({ key: 'secretKey', env: 'IDSYNC_SECRET_KEY', message: 'must be at least 32 bytes, hex or base64 encoded' });
  }
  if (v.store === 'postgres') return checkPostgres(v, problems, cwd);
  if (v.store !== 'redis') return;
  const sentinels = v['redis.sentinels'] as string[] | undefined;
  const cluster = v['redis.clusterNodes'] as string[] | undefined;
  const sources = [v['redis.url'] ? 'url' : '', sentinels?.length ? 'sentinels' : '', cluster?.length ? 'clusterNodes' : ''].filter(Boolean);
  if (sources.length === 0) {
    problems.push({ key: 'redis.url', env: 'IDSYNC_REDIS_URL', message: 'store is redis: set redis.url, redis.sentinels or redis.clusterNodes' });
  } else if (sources.length > 1) {
    problems.push({ key: 'redis.url', env: 'IDSYNC_REDIS_URL', message: `set only one of redis.url, redis.sentinels, redis.clusterNodes (got ${sources.join(', ')})` });
  }
  if (secret === '') {
    problems.push({ key: 'secretKey', env: 'IDSYNC_SECRET_KEY', message: 'required when store is redis (every replica must share it); generate one with: openssl rand -base64 32' });
  }
}

function checkPostgres(v: Record<string, unknown>, problems: ConfigProblem[], cwd: string): void {
  const url = v['postgres.url'] as string | undefined;
  if (url === '') problems.push({ key: 'postgres.url', env: 'IDSYNC_POSTGRES_URL', message: 'required when store is postgres: postgres://user@host:5432/database' });
  const ssl = v['postgres.ssl'] as string | undefined;
  if (url && ssl && new URL(url).searchParams.has('sslmode')) {
    problems.push({ key: 'postgres.ssl', env: 'IDSYNC_POSTGRES_SSL', message: 'the URL already has an sslmode: set TLS in one place' });
  }
  const caFile = v['postgres.caFile'] as string | undefined;
  if (caFile && !isReadableFile(resolve(cwd, caFile))) problems.push({ key: 'postgres.caFile', env: 'IDSYNC_POSTGRES_CA_FILE', message: `cannot read ${caFile}` });
  if (v.secretKey === '') {
    problems.push({ key: 'secretKey', env: 'IDSYNC_SECRET_KEY', message: 'required when store is postgres (every replica must share it); generate one with: openssl rand -base64 32' });
  }
}

function isReadableFile(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function deepFreeze<T>(obj: T): T {
  if (obj && typeof obj === 'object') {
    for (const v of Object.values(obj)) deepFreeze(v);
    Object.freeze(obj);
  }
  return obj;
}
