/** Helpers of the console tests: a console started from a portal link, with its cookie and CSRF token. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Clock } from '../../src/ports/clock.js';
import { captureLogger } from './connectors.js';
import { tempDir, testEnv } from './harness.js';
import { freePort } from './join.js';
import { PostgresTestServer } from './postgres-server.js';
import { RedisTestServer } from './redis-server.js';

/** A clock the test moves forward (the daemon's; the CLI keeps real time). */
export class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

export interface ConsoleInstall {
  daemon: Daemon;
  env: NodeJS.ProcessEnv;
  cwd: string;
  clock: ShiftedClock;
  /** The Redis server of a redis install (tests stop and restart it). */
  redis?: RedisTestServer;
  postgres?: PostgresTestServer;
  dispose(): Promise<void>;
}

/** The real daemon on a known port (its public URL is what console links carry), on SQLite, its own Redis or its own PostgreSQL. */
export async function startConsoleInstall(store: 'sqlite' | 'redis' | 'postgres'): Promise<ConsoleInstall> {
  const cwd = tempDir('idsync-console-');
  const port = await freePort();
  const redis = store === 'redis' ? await RedisTestServer.start() : undefined;
  const postgres = store === 'postgres' ? await PostgresTestServer.start() : undefined;
  const env = testEnv(join(cwd, 'data'), {
    IDSYNC_PORT: String(port),
    IDSYNC_PUBLIC_URL: `http://127.0.0.1:${port}`,
    IDSYNC_RECONCILE_SCHEDULER: 'false',
    ...(redis ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: `${redis.url}/0`, IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
    ...(postgres ? { IDSYNC_STORE: 'postgres', IDSYNC_POSTGRES_URL: postgres.url(), IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') } : {}),
  });
  const clock = new ShiftedClock();
  const daemon = await startDaemon(loadConfig({ env, cwd }), { logger: captureLogger(), clock });
  return {
    daemon,
    env,
    cwd,
    clock,
    ...(redis ? { redis } : {}),
    ...(postgres ? { postgres } : {}),
    async dispose() {
      await daemon.stop();
      await redis?.dispose();
      await postgres?.dispose();
    },
  };
}

/** The session cookie and CSRF token a browser would hold after opening a console link. */
export interface ConsoleClient {
  cookie: string;
  csrf: string;
  get(path: string): Promise<Response>;
  post(path: string, fields: Record<string, string | string[]>, opts?: { csrf?: boolean }): Promise<Response>;
}

export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('no CSRF field on the page');
  return m[1]!;
}

/** The form a console link's page shows: where it posts and the token it carries. */
export function continueFormOf(html: string): { action: string; token: string } {
  const m = /<form method="post" action="([^"]+)"><input type="hidden" name="token" value="([^"]+)"><button type="submit">Continue to the console<\/button><\/form>/.exec(html);
  if (!m) throw new Error('no "Continue to the console" form on the page');
  return { action: m[1]!, token: m[2]! };
}

/** Opens a console link the way a person does: GET shows the page, its Continue button POSTs the token. */
export async function continueLink(linkUrl: string, headers: Record<string, string> = {}): Promise<Response> {
  const page = await fetch(linkUrl, { redirect: 'manual' });
  if (page.status !== 200) return page;
  const form = continueFormOf(await page.text());
  return fetch(new URL(form.action, linkUrl), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams({ token: form.token }), redirect: 'manual' });
}

export async function openConsole(base: string, linkUrl: string, landing: string): Promise<ConsoleClient> {
  const start = await continueLink(linkUrl);
  if (start.status !== 200) throw new Error(`console link answered ${start.status}: ${await start.text()}`);
  const setCookie = start.headers.getSetCookie().find((c) => c.startsWith('idsync_console='))!;
  const cookie = setCookie.split(';')[0]!;
  const page = await fetch(`${base}${landing}`, { headers: { cookie } });
  const csrf = csrfOf(await page.text());
  return {
    cookie,
    csrf,
    get: (path) => fetch(`${base}${path}`, { headers: { cookie }, redirect: 'manual' }),
    post: (path, fields, opts = {}) => {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
      if (opts.csrf !== false) body.set('_csrf', csrf);
      return fetch(`${base}${path}`, { method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, body, redirect: 'manual' });
    },
  };
}
