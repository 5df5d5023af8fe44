import { describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { decodeSecretKey } from '../../src/config/secret-key.js';
import { ciValues, defaultValues, getPath, mergeValues, read, TEMPLATES, type Values } from './chart-files.js';

/**
 * The environment the chart gives the pod for some values, computed from the ConfigMap template's
 * own lines. Each supported expression form is evaluated the way Helm would; an unknown form fails
 * the test, so a template change either keeps to these forms or extends them here.
 */
function podEnvironment(values: Values): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const value = (path: string) => getPath(values, path);
  for (const m of read(join(TEMPLATES, 'configmap.yaml')).matchAll(/^ {2}(IDSYNC_[A-Z0-9_]+): (.*)$/gm)) {
    const [, name, expr] = m as unknown as [string, string, string];
    let out: RegExpExecArray | null;
    if ((out = /^"([^"]*)"$/.exec(expr))) env[name] = out[1];
    else if ((out = /^\{\{ \.Values\.([\w.]+)(?: \| int(?:64)?)? \| quote \}\}$/.exec(expr))) env[name] = String(value(out[1]!));
    else if ((out = /^\{\{ join "," \.Values\.([\w.]+) \| quote \}\}$/.exec(expr))) env[name] = (value(out[1]!) as string[]).join(',');
    else if ((out = /^\{\{ or \.Values\.([\w.]+) \.Values\.([\w.]+) \| quote \}\}$/.exec(expr))) env[name] = String(Boolean(value(out[1]!)) || Boolean(value(out[2]!)));
    else if (expr === '{{ include "idsync.publicUrl" . | quote }}') env[name] = publicUrl(values);
    else throw new Error(`configmap.yaml: ${name} uses an expression this check does not evaluate: ${expr}`);
  }
  for (const [name, v] of Object.entries((values.extraEnv ?? {}) as Values)) env[name] = String(v);
  // secret.yaml, or the user's existingSecret, which the docs require to hold the key in Redis mode.
  if (values.secretKey) env.IDSYNC_SECRET_KEY = String(values.secretKey);
  else if (values.existingSecret) env.IDSYNC_SECRET_KEY = randomBytes(32).toString('base64');
  const redis = values.redis as Values;
  if (redis.password || redis.existingSecret) env.IDSYNC_REDIS_PASSWORD = String(redis.password || 'from-existing-secret');
  // deployment.yaml: postgres.existingSecret gives the whole URL (existingSecretUrlKey) or the password.
  const pg = values.postgres as Values;
  if (pg.existingSecret && pg.existingSecretUrlKey) env.IDSYNC_POSTGRES_URL = 'postgresql://app:from-existing-secret@db-rw.db.svc:5432/app';
  else if (pg.password || pg.existingSecret) env.IDSYNC_POSTGRES_PASSWORD = String(pg.password || 'from-existing-secret');
  return env;
}

/** _helpers.tpl "idsync.publicUrl". */
function publicUrl(values: Values): string {
  const explicit = String(getPath(values, 'server.publicUrl') ?? '');
  if (explicit) return explicit.replace(/\/$/, '');
  const hosts = getPath(values, 'ingress.hosts') as string[];
  if (!getPath(values, 'ingress.enabled') || hosts.length === 0) return '';
  return `${(getPath(values, 'ingress.tls') as unknown[]).length > 0 ? 'https' : 'http'}://${hosts[0]}`;
}

const cases: [string, Values][] = [['values.yaml', defaultValues()], ...ciValues().map(([f, v]): [string, Values] => [`ci/${f}`, mergeValues(defaultValues(), v)])];

describe('chart values as the application sees them', () => {
  it.each(cases)('when %s is deployed, then idsync accepts the configuration the pod gets', (_name, values) => {
    const env = podEnvironment(values);
    const config = loadConfig({ env, cwd: mkdtempSync(join(tmpdir(), 'idsync-chart-')) });

    expect(config.store).toBe(values.store);
    expect(config.dataDir).toBe('/data');
    expect(config.server.host).toBe('0.0.0.0');
    expect(config.server.port).toBe(getPath(values, 'server.port'));
    if (values.secretKey) expect(decodeSecretKey(String(values.secretKey))).toBeDefined();
    if (getPath(values, 'ingress.enabled')) {
      expect(config.server.trustProxy).toBe(true);
      expect(config.server.publicUrl).toMatch(/^https:\/\//);
    }
  });

  it('when the examples are taken together, then they cover SQLite, a Redis URL, Sentinel, Cluster with an HPA, PostgreSQL (URL from a Secret, or with an HPA) and an Ingress', () => {
    const env = cases.map(([, v]) => podEnvironment(v));
    expect(env.filter((e) => e.IDSYNC_STORE === 'sqlite').length).toBeGreaterThanOrEqual(2);
    expect(env.some((e) => e.IDSYNC_REDIS_URL)).toBe(true);
    expect(env.some((e) => e.IDSYNC_REDIS_SENTINELS)).toBe(true);
    expect(env.some((e) => e.IDSYNC_REDIS_CLUSTER_NODES)).toBe(true);
    expect(cases.some(([, v]) => getPath(v, 'autoscaling.enabled') && v.store === 'redis')).toBe(true);
    expect(cases.some(([, v]) => getPath(v, 'ingress.enabled') && getPath(v, 'metrics.serviceMonitor.enabled') && getPath(v, 'networkPolicy.enabled'))).toBe(true);
    expect(cases.some(([, v]) => v.existingSecret && getPath(v, 'redis.existingSecret'))).toBe(true);
    expect(env.filter((e) => e.IDSYNC_STORE === 'postgres').map((e) => [Boolean(e.IDSYNC_POSTGRES_URL), Boolean(e.IDSYNC_POSTGRES_PASSWORD)])).toEqual(
      expect.arrayContaining([
        [true, false],
        [true, true],
      ]),
    );
    expect(cases.some(([, v]) => getPath(v, 'autoscaling.enabled') && v.store === 'postgres')).toBe(true);
  });

  it('when a value the app would reject reaches the pod, then this check catches it', () => {
    const bad = mergeValues(defaultValues(), { store: 'redis', redis: { url: 'redis://r:6379', keyPrefix: 'no spaces allowed' }, secretKey: randomBytes(32).toString('hex') });
    expect(() => loadConfig({ env: podEnvironment(bad), cwd: tmpdir() })).toThrow(/redis\.keyPrefix \(IDSYNC_REDIS_KEY_PREFIX\)/);
  });
});
