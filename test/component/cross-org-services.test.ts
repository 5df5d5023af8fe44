import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import type { ConsolePerson } from '../../src/domain/console.js';
import type { Actor, Identity, Role } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';
import { aMember, draft } from '../../src/store/conformance/fixtures.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import { PostgresTestServer } from '../support/postgres-server.js';
import { RedisTestServer } from '../support/redis-server.js';
import { STORES, type StoreKind } from '../support/scim.js';
import { memoryMailer, steppingClock } from '../support/services.js';

const actor: Actor = { kind: 'system', label: 'test' };

async function openStore(kind: StoreKind): Promise<{ store: Store; dispose: () => Promise<void> }> {
  if (kind === 'sqlite') {
    const store = openSqliteStore({ path: ':memory:' });
    return { store, dispose: () => store.close() };
  }
  if (kind === 'redis') {
    const server = await RedisTestServer.start();
    const store = createRedisStore({ connection: { url: server.url } });
    return { store, dispose: async () => (await store.close(), await server.dispose()) };
  }
  const server = await PostgresTestServer.start();
  const store = await openPostgresStore({ url: server.url() });
  return { store, dispose: async () => (await store.close(), await server.dispose()) };
}

describe.each(STORES)('sign-in and sign-up through the cross-org indexes (%s)', (kind) => {
  let store: Store;
  let services: Services;
  let dispose: () => Promise<void>;
  let n = 0;
  beforeAll(async () => {
    ({ store, dispose } = await openStore(kind));
    services = createServices(
      { store, clock: steppingClock(new Date().toISOString()), logger: silentLogger },
      { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9), mailer: memoryMailer(), publicUrl: 'https://idsync.test', signup: { mode: 'open', continueUrl: '' } },
    );
  }, 60_000);
  afterAll(async () => {
    await dispose?.();
  });

  const newOrg = (name: string) => services.orgs.create({ name: `${name} ${++n}` }, actor);
  const addPerson = async (orgId: string, email: string, role: Role, identities: Identity[] = []) => {
    const m = aMember(orgId, { userName: email, emails: [{ value: email, primary: true }], role, identities });
    return store.createMember(m, draft(orgId, 'member.created', m.id));
  };

  it('when a person is admin in two orgs (by identity, by email), removed from a third and merged out of a fourth, then sign-in offers exactly the two', async () => {
    // Arrange
    const subject = `sub-${++n}`;
    const email = `kim${n}@corp.example`;
    const person: ConsolePerson = { kind: 'person', provider: 'google', subject, email, emailVerified: true };
    const [byIdentity, byEmail, removed, merged, target] = [await newOrg('Id'), await newOrg('Mail'), await newOrg('Gone'), await newOrg('Merged'), await newOrg('Target')];
    await addPerson(byIdentity.id, `other${n}@corp.example`, 'owner', [{ provider: 'google', subject }]);
    await addPerson(byEmail.id, email.toUpperCase(), 'admin');
    await addPerson(removed.id, `owner${n}@corp.example`, 'owner');
    const gone = await addPerson(removed.id, email, 'admin', [{ provider: 'google', subject }]);
    await store.updateMember(removed.id, gone.id, (cur) => ({ next: { ...cur, status: 'removed' }, audit: draft(removed.id, 'member.removed', gone.id) }));
    await addPerson(merged.id, email, 'owner', [{ provider: 'google', subject }]);
    await addPerson(target.id, `boss${n}@corp.example`, 'owner');
    await services.merges.merge(merged.id, target.id, actor, { roles: {} });

    // Redis keeps the removed member's entry (a stale candidate): the per-org check is what drops it.
    if (kind === 'redis') expect(await store.findOrgIdsByMemberIdentity('google', subject)).toContain(removed.id);

    // Act
    const { admin, other } = await services.consoleSignIn.adminMemberships(person);

    // Assert: the merged org's person moved into the target (as a member there, by the merge's role rule).
    const adminOrgs = admin.map((a) => a.org.id);
    expect(adminOrgs).toEqual(expect.arrayContaining([byIdentity.id, byEmail.id]));
    expect(adminOrgs).not.toContain(removed.id);
    expect(adminOrgs).not.toContain(merged.id);
    expect([...adminOrgs, ...other.map((o) => o.org.id)].filter((id) => id === target.id)).toHaveLength(1);
    expect(other.map((o) => o.org.id)).not.toContain(removed.id);
  });

  it('when orgs invite an email and a link takes its domain, then sign-up offers them; once revoked, nothing is offered and a new org may be created', async () => {
    // Arrange
    const domain = `d${++n}.example`;
    const email = `pat@${domain}`;
    const [inviting, linking, elsewhere] = [await newOrg('Inviting'), await newOrg('Linking'), await newOrg('Elsewhere')];
    const { invitation } = await services.invitations.invite(inviting.id, { email: email.toUpperCase() }, actor);
    const { link } = await services.links.create(linking.id, { role: 'member', allowedDomains: [domain] }, actor);
    await services.invitations.invite(elsewhere.id, { email: `someone@${domain}` }, actor);
    const who = { provider: 'google' as const, subject: `s-${n}`, email, emailVerified: true, directoryId: 'test' };

    // Act / Assert
    const before = await services.signup.choices(who);
    expect(before.offers.map((o) => [o.kind, o.orgId, o.id])).toEqual([
      ['invitation', inviting.id, invitation.id],
      ['link', linking.id, link.id],
    ]);
    expect(before.canCreate).toBe(false);

    await services.invitations.revoke(inviting.id, invitation.id, actor);
    await services.links.revoke(linking.id, link.id, actor);
    const after = await services.signup.choices(who);
    expect(after.offers).toEqual([]);
    expect(after.canCreate).toBe(true);
  });
});
