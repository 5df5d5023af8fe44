import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Actor } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { GraphFake, graphId } from '../fakes/graph-fake.js';
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

  it('when a link is gated by a Microsoft directory, then only people it lists as active may join', async () => {
    const TENANT = '11111111-2222-4333-8444-555555555555';
    const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
    const graph = await new GraphFake({ users: 5, tenantId: TENANT, clientId: CLIENT, clientSecret: 'gs', disabled: (i) => i === 2 }).start();
    try {
      const org = await daemon.services.orgs.create({ name: 'Gated' }, ADMIN);
      const conn = await daemon.services.connections.create(org.id, { provider: 'microsoft', config: { tenantId: TENANT, clientId: CLIENT, clientSecret: 'gs', graphBaseUrl: graph.url, authorityHost: graph.url } }, ADMIN);
      const { url } = await daemon.services.links.create(org.id, { role: 'member', directoryConnectionId: conn.id }, ADMIN);
      // Listed and active: joins.
      op.user = { sub: 'pw-1', email: 'user1@contoso.example', extra: { oid: graphId(1), preferred_username: 'user1@contoso.example' } };
      expect((await join(url)).status).toBe(200);
      // Listed but disabled upstream: refused.
      op.user = { sub: 'pw-2', email: 'user2@contoso.example', extra: { oid: graphId(2), preferred_username: 'user2@contoso.example' } };
      const disabled = await join(url);
      expect(disabled.status).toBe(403);
      expect(disabled.text).toContain('You are not in the directory');
      // Not in the directory at all: refused.
      op.user = { sub: 'pw-9', email: 'outsider@contoso.example', extra: { oid: '99999999-0000-4000-8000-000000000099', preferred_username: 'outsider@contoso.example' } };
      expect((await join(url)).status).toBe(403);
      const members = await daemon.services.members.list(org.id);
      expect(members.items.map((m) => m.userName)).toEqual(['user1@contoso.example']);
    } finally {
      await graph.stop();
    }
  });
});
