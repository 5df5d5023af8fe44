import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Actor } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { startOidcProvider, type TestOidcProvider } from '../fakes/oidc-provider.js';
import { tempDir, testEnv } from '../support/harness.js';
import { CookieJar, freePort, walk } from '../support/join.js';

const ADMIN: Actor = { kind: 'system', label: 'test admin' };

describe('join page with Microsoft (Entra ID claims, a real OpenID provider)', () => {
  let dir: string;
  let op: TestOidcProvider;
  let daemon: Daemon;

  beforeAll(async () => {
    dir = tempDir();
    const port = await freePort();
    const publicUrl = `http://127.0.0.1:${port}`;
    op = await startOidcProvider([`${publicUrl}/auth/callback/microsoft`]);
    const env = testEnv(dir, {
      IDSYNC_PORT: String(port),
      IDSYNC_PUBLIC_URL: publicUrl,
      IDSYNC_OIDC_MICROSOFT_CLIENT_ID: op.clientId,
      IDSYNC_OIDC_MICROSOFT_CLIENT_SECRET: op.clientSecret,
      IDSYNC_OIDC_MICROSOFT_ISSUER: op.issuer,
    });
    daemon = await startDaemon(loadConfig({ env, cwd: dir }), { logger: silentLogger });
  });
  afterAll(async () => {
    await daemon?.stop();
    await op?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function join(link: string) {
    const jar = new CookieJar();
    const landing = await walk(link, jar);
    const href = /href="(\/join\/[^"]+\/start\/microsoft)"/.exec(landing.text)?.[1];
    expect(href).toBeDefined();
    return walk(new URL(href!, link).href, jar);
  }

  it('when a work account signs in, then its UPN proves the email and the identity subject is the directory object id (oid)', async () => {
    const org = await daemon.services.orgs.create({ name: 'Contoso' }, ADMIN);
    const inv = await daemon.services.invitations.invite(org.id, { email: 'grace@contoso.example' }, ADMIN);
    op.user = { sub: 'pairwise-sub-1', email: 'grace@contoso.example', extra: { oid: '00000000-0000-4000-8000-00000000abcd', preferred_username: 'Grace@contoso.example' } };
    const done = await join(inv.link);
    expect(done.status).toBe(200);
    const [m] = await daemon.store.findMembersByEmail(org.id, 'grace@contoso.example');
    expect(m?.identities).toEqual([{ provider: 'microsoft', subject: '00000000-0000-4000-8000-00000000abcd', email: 'Grace@contoso.example' }]);
  });

  it('when an Entra email claim names the invited person but is not domain-verified, then it does not count (nOAuth) and nothing is created', async () => {
    const org = await daemon.services.orgs.create({ name: 'Fabrikam' }, ADMIN);
    const inv = await daemon.services.invitations.invite(org.id, { email: 'victim@fabrikam.example' }, ADMIN);
    op.user = { sub: 'pairwise-sub-2', email: 'victim@fabrikam.example', extra: { oid: '00000000-0000-4000-8000-0000000000ff', preferred_username: 'mallory@evil.example' } };
    const done = await join(inv.link);
    expect(done.status).toBe(403);
    expect((await daemon.services.members.list(org.id)).total).toBe(0);
    op.user = { sub: 'pairwise-sub-3', email: 'victim@fabrikam.example', extra: { oid: '00000000-0000-4000-8000-0000000000fe', xms_edov: true, preferred_username: 'someone@fabrikam.example' } };
    expect((await join(inv.link)).status).toBe(200);
  });
});
