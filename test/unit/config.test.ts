import { describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { KEYS } from '../../src/config/schema.js';
import { configTable, exampleYaml } from '../../src/config/docs.js';
import { resolveSecretKey } from '../../src/config/secret-key.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'idsync-config-'));

function problemsOf(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('configuration', () => {
  it('when nothing is set, then the embedded SQLite defaults apply and the result is frozen', () => {
    const cwd = tmp();
    const c = loadConfig({ env: {}, cwd });
    expect(c.store).toBe('sqlite');
    expect(c.server.port).toBe(8080);
    expect(c.server.publicUrl).toBe('http://localhost:8080');
    expect(c.dataDir).toBe(join(cwd, 'data'));
    expect(c.sqlite.path).toBe(join(cwd, 'data', 'idsync.db'));
    expect(c.log).toEqual({ level: 'info', format: 'json' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  it('when several keys are wrong, then one error lists every one of them with its environment name', () => {
    const err = problemsOf(() =>
      loadConfig({ env: { IDSYNC_PORT: 'eighty', IDSYNC_STORE: 'mongo', IDSYNC_LOG_LEVEL: 'loud', IDSYNC_PUBLIC_URL: 'ftp://x' }, cwd: tmp() }),
    );
    expect(err.code).toBe('config.invalid');
    expect(err.problems.map((p) => p.key).sort()).toEqual(['log.level', 'server.port', 'server.publicUrl', 'store']);
    expect(err.message).toContain('server.port (IDSYNC_PORT)');
    expect(err.message).toContain('store (IDSYNC_STORE)');
  });

  it('when the store is redis, then a Redis address and a secret key are required', () => {
    const err = problemsOf(() => loadConfig({ env: { IDSYNC_STORE: 'redis' }, cwd: tmp() }));
    expect(err.problems.map((p) => p.key).sort()).toEqual(['redis.url', 'secretKey']);
    const ok = loadConfig({
      env: { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: 'redis://127.0.0.1:6379/0', IDSYNC_SECRET_KEY: Buffer.alloc(32, 7).toString('base64') },
      cwd: tmp(),
    });
    expect(ok.redis.url).toBe('redis://127.0.0.1:6379/0');
  });

  it('when the store is postgres, then a PostgreSQL URL and a secret key are required, and a bad URL, a doubled TLS setting or an unreadable CA file are named', () => {
    const err = problemsOf(() => loadConfig({ env: { IDSYNC_STORE: 'postgres' }, cwd: tmp() }));
    expect(err.problems.map((p) => p.key).sort()).toEqual(['postgres.url', 'secretKey']);
    expect(err.message).toContain('postgres.url (IDSYNC_POSTGRES_URL)');
    const key = Buffer.alloc(32, 7).toString('base64');
    const bad = problemsOf(() =>
      loadConfig({ env: { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: 'mysql://db/idsync', IDSYNC_POSTGRES_SSL: 'maybe', IDSYNC_SECRET_KEY: key }, cwd: tmp() }),
    );
    expect(bad.problems.map((p) => p.key).sort()).toEqual(['postgres.ssl', 'postgres.url']);
    // The URL may hold a password: it is never echoed back.
    expect(bad.message).not.toContain('mysql://db');
    const twice = problemsOf(() =>
      loadConfig({
        env: { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: 'postgres://u@db/idsync?sslmode=require', IDSYNC_POSTGRES_SSL: 'verify-full', IDSYNC_POSTGRES_CA_FILE: 'missing.pem', IDSYNC_SECRET_KEY: key },
        cwd: tmp(),
      }),
    );
    expect(twice.problems.map((p) => p.key).sort()).toEqual(['postgres.caFile', 'postgres.ssl']);
    const cwd = tmp();
    writeFileSync(join(cwd, 'ca.pem'), '-----BEGIN CERTIFICATE-----\n');
    const ok = loadConfig({
      env: { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: 'postgresql://idsync@db:5432/idsync', IDSYNC_POSTGRES_PASSWORD: 'pw', IDSYNC_POSTGRES_SSL: 'verify-ca', IDSYNC_POSTGRES_CA_FILE: 'ca.pem', IDSYNC_POSTGRES_POOL_SIZE: '4', IDSYNC_SECRET_KEY: key },
      cwd,
    });
    expect(ok.postgres).toEqual({ url: 'postgresql://idsync@db:5432/idsync', password: 'pw', ssl: 'verify-ca', caFile: join(cwd, 'ca.pem'), poolSize: 4, statementTimeoutMs: 5000, startupWaitSeconds: 60, schema: 'public' });
  });

  it('when Sentinel or Cluster addresses are given, then they are parsed, and two sources at once are refused', () => {
    const key = Buffer.alloc(32, 1).toString('hex');
    const s = loadConfig({ env: { IDSYNC_STORE: 'redis', IDSYNC_REDIS_SENTINELS: 'a:26379, b:26379', IDSYNC_SECRET_KEY: key }, cwd: tmp() });
    expect(s.redis.sentinels).toEqual(['a:26379', 'b:26379']);
    const err = problemsOf(() =>
      loadConfig({ env: { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: 'redis://x:6379', IDSYNC_REDIS_CLUSTER_NODES: 'n1:7000', IDSYNC_SECRET_KEY: key }, cwd: tmp() }),
    );
    expect(err.problems[0]?.message).toMatch(/only one of/);
    const bad = problemsOf(() => loadConfig({ env: { IDSYNC_REDIS_SENTINELS: 'no-port' }, cwd: tmp() }));
    expect(bad.problems[0]).toMatchObject({ key: 'redis.sentinels', env: 'IDSYNC_REDIS_SENTINELS' });
  });

  it('when a YAML file is present, then it is read, the environment wins over it, and unknown keys are errors', () => {
    const cwd = tmp();
    mkdirSync(join(cwd, 'config'));
    writeFileSync(join(cwd, 'config', 'idsync.yaml'), 'server:\n  port: 9090\n  host: 127.0.0.1\nlog:\n  format: pretty\n');
    const c = loadConfig({ env: { IDSYNC_PORT: '9191' }, cwd });
    expect(c.server).toMatchObject({ port: 9191, host: '127.0.0.1' });
    expect(c.log.format).toBe('pretty');
    writeFileSync(join(cwd, 'other.yaml'), 'server:\n  prot: 1\nstore: sqlite\n');
    const err = problemsOf(() => loadConfig({ env: { IDSYNC_CONFIG: 'other.yaml' }, cwd }));
    expect(err.problems).toEqual([{ key: 'server.prot', message: 'unknown key in other.yaml' }]);
    writeFileSync(join(cwd, 'broken.yaml'), 'server: [unclosed\n');
    expect(problemsOf(() => loadConfig({ file: 'broken.yaml', env: {}, cwd })).message).toMatch(/broken\.yaml is not valid YAML/);
  });

  it('when a secret value is invalid, then the error names the key but never echoes the value', () => {
    const err = problemsOf(() => loadConfig({ env: { IDSYNC_SECRET_KEY: 'short-secret-value' }, cwd: tmp() }));
    expect(err.problems[0]).toMatchObject({ key: 'secretKey', env: 'IDSYNC_SECRET_KEY' });
    expect(err.message).not.toContain('short-secret-value');
  });

  it('when SQLite mode starts without a secret key, then one is generated with mode 0600 and reused', () => {
    const cwd = tmp();
    const c = loadConfig({ env: {}, cwd });
    const first = resolveSecretKey(c);
    expect(first.source).toBe('generated');
    expect(first.key.length).toBe(32);
    const file = join(c.dataDir, 'secret.key');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = resolveSecretKey(c);
    expect(second.source).toBe('file');
    expect(second.key.equals(first.key)).toBe(true);
    expect(readFileSync(file, 'utf8').trim()).toBe(first.key.toString('base64'));
  });

  it('when the SCIM OAuth token lifetime is set, then 1 to 6 hours are accepted and anything outside is refused', () => {
    expect(loadConfig({ env: {}, cwd: tmp() }).scim.oauthTokenTtlSeconds).toBe(3600);
    expect(loadConfig({ env: { IDSYNC_SCIM_OAUTH_TOKEN_TTL: '21600' }, cwd: tmp() }).scim.oauthTokenTtlSeconds).toBe(21600);
    for (const bad of ['3599', '21601', 'hour']) {
      expect(problemsOf(() => loadConfig({ env: { IDSYNC_SCIM_OAUTH_TOKEN_TTL: bad }, cwd: tmp() })).message).toContain('IDSYNC_SCIM_OAUTH_TOKEN_TTL');
    }
  });

  it('when the example file and README are read, then they equal what the schema generates', () => {
    const example = readFileSync(new URL('../../config/idsync.example.yaml', import.meta.url), 'utf8');
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(example).toBe(exampleYaml());
    expect(readme).toContain(configTable());
    for (const k of KEYS) expect(example).toContain(k.env);
  });
});
