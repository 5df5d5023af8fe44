import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Principal } from '../../src/services/authz.js';
import { CLI_PRINCIPAL } from '../../src/services/authz.js';
import { aConnection, draft } from '../../src/store/conformance/fixtures.js';
import { code, memoryServices } from '../support/services.js';

describe('org deletion service', () => {
  let env: ReturnType<typeof memoryServices>;
  beforeEach(() => {
    env = memoryServices();
  });
  afterEach(() => env.close());

  it('when an org admin, another org or a provider acts, then only owners and the operator delete and restore', async () => {
    const org = await env.services.orgs.create({ name: 'Acme' }, CLI_PRINCIPAL.actor);
    const as = (role: 'admin' | 'owner', orgId = org.id): Principal => ({ kind: 'org', orgId, role, actor: { kind: 'admin', id: `k-${role}` } });
    expect(await code(env.services.orgDeletion.delete(as('admin'), org.id))).toBe('auth.forbidden');
    expect(await code(env.services.orgDeletion.delete(as('owner', 'other'), org.id))).toBe('org.not_found');
    expect(await code(env.services.orgDeletion.restore(CLI_PRINCIPAL, org.id))).toBe('org.deletion_refused');
    expect((await env.services.orgDeletion.delete(as('owner'), org.id)).state).toBe('deleting');
    expect(await code(env.services.orgDeletion.restore(as('admin'), org.id))).toBe('auth.forbidden');
    expect((await env.services.orgDeletion.restore(as('owner'), org.id)).state).toBe('active');
    expect(await code(env.services.orgDeletion.delete(CLI_PRINCIPAL, 'missing'))).toBe('org.not_found');
  });

  it('when an org is merged, then it cannot be deleted; when one is deleting, then reconcile runs and member writes are refused and nothing is recorded', async () => {
    const [src, dst] = [await env.services.orgs.create({ name: 'Src' }, CLI_PRINCIPAL.actor), await env.services.orgs.create({ name: 'Dst' }, CLI_PRINCIPAL.actor)];
    await env.services.members.create(src.id, { email: 'a@src.test', role: 'owner' }, CLI_PRINCIPAL.actor);
    await env.services.merges.merge(src.id, dst.id, CLI_PRINCIPAL.actor);
    expect(await code(env.services.orgDeletion.delete(CLI_PRINCIPAL, src.id))).toBe('org.deletion_refused');

    const conn = aConnection(dst.id);
    await env.store.createConnection(conn, draft(dst.id, 'connection.created', conn.id));
    const member = (await env.services.members.list(dst.id)).items[0]!;
    await env.services.orgDeletion.delete(CLI_PRINCIPAL, dst.id);
    expect(await code(env.services.reconcile.run(conn.id))).toBe('org.deleting');
    expect((await env.store.listRuns(conn.id)).total).toBe(0);
    expect(await code(env.services.members.deactivate(dst.id, member.id, CLI_PRINCIPAL.actor, 'test'))).toBe('org.deleting');
    expect(await code(env.services.provisioning.create(dst.id, { userName: 'z@dst.test', name: {}, emails: [], attributes: {} }, true, { kind: 'scim', id: 't' }, { kind: 'scim', tokenId: 't' }))).toBe('org.deleting');
    expect(await code(env.services.support.setMode(CLI_PRINCIPAL, dst.id, 'consent'))).toBe('org.deleting');
  });
});
