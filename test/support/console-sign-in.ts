/** Helpers of the console sign-in tests: the daemon with the local OIDC and GitHub fakes configured, and a sign-in walk. */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startDaemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Actor, Member, Organization, Role } from '../../src/domain/model.js';
import { startGithubOAuthFake, type GithubOAuthFake } from '../fakes/github-oauth-fake.js';
import { startOidcProvider, type TestOidcProvider } from '../fakes/oidc-provider.js';
import { captureLogger } from './connectors.js';
import { ShiftedClock, type ConsoleInstall } from './console.js';
import { tempDir, testEnv } from './harness.js';
import { CookieJar, freePort, walk, type Landed } from './join.js';
import { PostgresTestServer } from './postgres-server.js';
import { RedisTestServer } from './redis-server.js';

export const SETUP: Actor = { kind: 'system', label: 'test setup' };

export interface SignInInstall extends ConsoleInstall {
  base: string;
  op: TestOidcProvider;
  github: GithubOAuthFake;
}

/**
 * The real daemon on SQLite, its own Redis or its own PostgreSQL, with Google sign-in (console and
 * join page) against the local OpenID provider and GitHub against its fake.
 */
export async function startSignInInstall(store: 'sqlite' | 'redis' | 'postgres'): Promise<SignInInstall> {
  const cwd = tempDir('idsync-console-signin-');
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // One local OpenID provider serves as Google and as Microsoft (the ID token's claims decide).
  const op = await startOidcProvider([`${base}/auth/callback/google/console`, `${base}/auth/callback/microsoft/console`, `${base}/auth/callback/google`]);
  const github = await startGithubOAuthFake();
  const redis = store === 'redis' ? await RedisTestServer.start() : undefined;
  const postgres = store === 'postgres' ? await PostgresTestServer.start() : undefined;
  const env = testEnv(join(cwd, 'data'), {
    IDSYNC_PORT: String(port),
    IDSYNC_PUBLIC_URL: base,
    IDSYNC_RECONCILE_SCHEDULER: 'false',
    IDSYNC_OIDC_GOOGLE_CLIENT_ID: op.clientId,
    IDSYNC_OIDC_GOOGLE_CLIENT_SECRET: op.clientSecret,
    IDSYNC_OIDC_GOOGLE_ISSUER: op.issuer,
    IDSYNC_OIDC_MICROSOFT_CLIENT_ID: op.clientId,
    IDSYNC_OIDC_MICROSOFT_CLIENT_SECRET: op.clientSecret,
    IDSYNC_OIDC_MICROSOFT_ISSUER: op.issuer,
    IDSYNC_OIDC_GITHUB_CLIENT_ID: github.clientId,
    IDSYNC_OIDC_GITHUB_CLIENT_SECRET: github.clientSecret,
    IDSYNC_OIDC_GITHUB_AUTHORIZE_URL: `${github.url}/login/oauth/authorize`,
    IDSYNC_OIDC_GITHUB_TOKEN_URL: `${github.url}/login/oauth/access_token`,
    IDSYNC_OIDC_GITHUB_API_BASE_URL: github.url,
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
    base,
    op,
    github,
    ...(redis ? { redis } : {}),
    async dispose() {
      await daemon.stop();
      await op.close();
      await github.close();
      await redis?.dispose();
      await postgres?.dispose();
    },
  };
}

/** A member of `org` with `role`, linked to the Google identity `sub` (as joining links it). */
export async function personIn(install: SignInInstall, org: Organization, email: string, role: Role, sub: string): Promise<Member> {
  const s = install.daemon.services;
  const [givenName = 'X'] = email.split('@');
  const m = await s.members.create(org.id, { email, givenName, familyName: 'Test', role }, SETUP);
  return s.members.linkIdentity(org.id, m.id, { provider: 'google', subject: sub, email }, SETUP);
}

/**
 * Signs in with Google like a browser: the sign-in page's link, the provider (auto-approving as
 * `op.user`), the callback, and the opening page's same-site move on. Returns the last page and the jar.
 */
export async function signInWithGoogle(install: SignInInstall, sub: string, email: string, next?: string): Promise<{ landed: Landed; jar: CookieJar; cookie: string }> {
  install.op.user = { sub, email, email_verified: true };
  const jar = new CookieJar();
  const start = `${install.base}/console/sign-in/google${next ? `?next=${encodeURIComponent(next)}` : ''}`;
  let landed = await walk(start, jar);
  const refresh = /<meta http-equiv="refresh" content="0;url=([^"]+)">/.exec(landed.text);
  if (landed.status === 200 && refresh) landed = await walk(new URL(refresh[1]!.replace(/&amp;/g, '&'), install.base).href, jar);
  const host = new URL(install.base).host;
  const value = jar.get(host, 'idsync_console');
  return { landed, jar, cookie: value ? `idsync_console=${value}` : '' };
}
