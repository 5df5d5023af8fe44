/** Helpers of the sign-up tests: a daemon per sign-up mode on one store, a local OpenID provider and a local DNS server. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import { startDnsFake, type DnsFake } from '../fakes/dns-server.js';
import { startOidcProvider, type TestOidcProvider } from '../fakes/oidc-provider.js';
import { captureLogger } from './connectors.js';
import { tempDir, testEnv } from './harness.js';
import { CookieJar, freePort, walk, type Landed } from './join.js';
import { RedisTestServer } from './redis-server.js';

export type SignupMode = 'off' | 'open' | 'invite-only';

export interface SignupInstall {
  /** One daemon per mode, all on the same store. */
  daemons: Record<SignupMode, Daemon>;
  op: TestOidcProvider;
  dns: DnsFake;
  env: NodeJS.ProcessEnv;
  cwd: string;
  dispose(): Promise<void>;
}

/** Three daemons (sign-up off, open, invite-only) sharing one SQLite file or one Redis, with Google sign-in at a local OpenID provider. */
export async function startSignupInstall(store: 'sqlite' | 'redis'): Promise<SignupInstall> {
  const cwd = tempDir('idsync-signup-');
  const modes: SignupMode[] = ['off', 'open', 'invite-only'];
  const ports = [await freePort(), await freePort(), await freePort()];
  const urls = ports.map((p) => `http://127.0.0.1:${p}`);
  const op = await startOidcProvider(urls.flatMap((u) => [`${u}/auth/callback/google`, `${u}/signup/callback/google`]));
  const dns = await startDnsFake();
  const redis = store === 'redis' ? await RedisTestServer.start() : undefined;
  const env = testEnv(join(cwd, 'data'), {
    IDSYNC_RECONCILE_SCHEDULER: 'false',
    IDSYNC_OIDC_GOOGLE_CLIENT_ID: op.clientId,
    IDSYNC_OIDC_GOOGLE_CLIENT_SECRET: op.clientSecret,
    IDSYNC_OIDC_GOOGLE_ISSUER: op.issuer,
    IDSYNC_DOMAINS_DNS_SERVERS: dns.server,
    IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
    ...(redis ? { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: `${redis.url}/0` } : {}),
  });
  const daemons = {} as Record<SignupMode, Daemon>;
  for (const [i, mode] of modes.entries()) {
    daemons[mode] = await startDaemon(loadConfig({ env: { ...env, IDSYNC_PORT: String(ports[i]), IDSYNC_PUBLIC_URL: urls[i]!, IDSYNC_SIGNUP_MODE: mode }, cwd }), { logger: captureLogger() });
  }
  return {
    daemons,
    op,
    dns,
    env,
    cwd,
    async dispose() {
      for (const d of Object.values(daemons)) await d.stop();
      await op.close();
      await dns.close();
      await redis?.dispose();
      rmSync(cwd, { recursive: true, force: true });
    },
  };
}

/** Signs up on `base` as the OpenID provider's current user; stops before leaving for `stopHost`. */
export async function signUp(base: string, name = '', stopHost = 'app.example'): Promise<{ landed: Landed; jar: CookieJar }> {
  const jar = new CookieJar();
  const landed = await walk(`${base}/signup/start/google${name ? `?name=${encodeURIComponent(name)}` : ''}`, jar, (u) => u.host === stopHost);
  return { landed, jar };
}

/** The hidden fields of the form whose button says `button`. */
export function formFields(html: string, button: string): { action: string; fields: Record<string, string> } {
  const forms = html.split('<form').slice(1);
  const form = forms.find((f) => f.includes(`>${button}</button>`));
  if (!form) throw new Error(`no form with a button "${button}" in:\n${html}`);
  const action = /action="([^"]+)"/.exec(form)![1]!;
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]!] = m[2]!.replace(/&amp;/g, '&');
  return { action, fields };
}

/** Posts a form like a browser (cookies from the jar; a redirect is returned, not followed). */
export async function postForm(url: string, fields: Record<string, string>, jar: CookieJar): Promise<{ status: number; text: string; location?: string }> {
  const u = new URL(url);
  const res = await fetch(u, { method: 'POST', redirect: 'manual', headers: { cookie: jar.header(u), 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });
  jar.store(u, res);
  const location = res.headers.get('location');
  return { status: res.status, text: await res.text(), ...(location ? { location } : {}) };
}
