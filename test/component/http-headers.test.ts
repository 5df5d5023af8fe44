import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Actor } from '../../src/domain/model.js';
import { JOIN_CSP } from '../../src/http/join/pages.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { tempDir, testEnv } from '../support/harness.js';

const ADMIN: Actor = { kind: 'system', label: 'test admin' };
const API_CSP = "default-src 'none';frame-ancestors 'none'";

async function daemonAt(publicUrl: string): Promise<Daemon> {
  const dir = tempDir();
  const env = testEnv(dir, {
    IDSYNC_PUBLIC_URL: publicUrl,
    IDSYNC_OIDC_GITHUB_CLIENT_ID: 'gh-client',
    IDSYNC_OIDC_GITHUB_CLIENT_SECRET: 'gh-secret',
    IDSYNC_OIDC_GITHUB_AUTHORIZE_URL: 'https://github.example.com/login/oauth/authorize',
    IDSYNC_OIDC_GITHUB_TOKEN_URL: 'https://github.example.com/login/oauth/access_token',
    IDSYNC_OIDC_GITHUB_API_BASE_URL: 'https://api.github.example.com',
    IDSYNC_RECONCILE_SCHEDULER: 'false',
  });
  return startDaemon(loadConfig({ env, cwd: dir }), { logger: silentLogger });
}

describe('security headers and the join state cookie', () => {
  let plain: Daemon;
  let tls: Daemon;

  beforeAll(async () => {
    plain = await daemonAt('http://idsync.internal.example');
    tls = await daemonAt('https://idsync.example.com');
  });
  afterAll(async () => {
    await plain?.stop();
    await tls?.stop();
  });

  it('when the public URL is plain http, then no HSTS is sent; when it is https, then it is', async () => {
    expect((await fetch(`${plain.url}/healthz`)).headers.get('strict-transport-security')).toBeNull();
    expect((await fetch(`${tls.url}/healthz`)).headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('when the admin API, SCIM or health answers, then it carries one CSP, the JSON one, and X-Frame-Options agrees with it; the join pages carry theirs', async () => {
    for (const path of ['/api/v1/orgs', '/scim/v2/Users', '/healthz', '/no-such-route']) {
      const res = await fetch(`${tls.url}${path}`);
      expect([path, res.headers.get('content-security-policy'), res.headers.get('x-frame-options')]).toEqual([path, API_CSP, 'DENY']);
    }
    const page = await fetch(`${tls.url}/join/idsync_inv_${'x'.repeat(40)}`);
    expect(page.headers.get('content-security-policy')).toBe(JOIN_CSP);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
  });

  it('when a sign-in starts over https, then the state cookie is __Host- prefixed, Secure, HttpOnly, SameSite=Lax on Path=/, and reveals neither the join token nor the PKCE values', async () => {
    const org = await tls.services.orgs.create({ name: 'Cookie Co' }, ADMIN);
    const inv = await tls.services.invitations.invite(org.id, { email: 'ann@cookie.example' }, ADMIN);
    const token = new URL(inv.link).pathname.split('/').pop()!;
    const res = await fetch(`${tls.url}/join/${token}/start/github`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    const setCookie = res.headers.get('set-cookie')!;
    expect(setCookie).toMatch(/^__Host-idsync_join=[A-Za-z0-9_-]+; Max-Age=600; Path=\/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$/);
    const value = /^__Host-idsync_join=([^;]+)/.exec(setCookie)![1]!;
    const decoded = Buffer.from(value, 'base64url').toString('latin1');
    expect(decoded).not.toContain(token);
    expect(decoded).not.toContain('codeVerifier');
    const state = new URL(res.headers.get('location')!).searchParams.get('state')!;
    expect(decoded).not.toContain(state);
  });

  it('when a sign-in starts over plain http, then the cookie keeps its plain name on the callback path', async () => {
    const org = await plain.services.orgs.create({ name: 'Plain Co' }, ADMIN);
    const inv = await plain.services.invitations.invite(org.id, { email: 'bo@plain.example' }, ADMIN);
    const token = new URL(inv.link).pathname.split('/').pop()!;
    const res = await fetch(`${plain.url}/join/${token}/start/github`, { redirect: 'manual' });
    expect(res.headers.get('set-cookie')).toMatch(/^idsync_join=[A-Za-z0-9_-]+; Max-Age=600; Path=\/auth\/callback; Expires=[^;]+; HttpOnly; SameSite=Lax$/);
  });
});
