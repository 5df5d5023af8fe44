import { expect } from '@jest/globals';
import type { Member, Organization } from '../../src/domain/model.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { ApiClient } from './api-client.js';
import { cli } from './harness.js';
import { scimFixture, type StoreKind } from './scim.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'graph-secret';

/**
 * A daemon on `kind` with an org of six members (user0 the owner) that a Graph connection (the
 * local fake, 12 users) keeps with a deactivation budget of 0: every disabled user holds a run.
 * The first run has linked them all. For the suites about held runs and who may run when.
 */
export async function heldRunInstall(kind: StoreKind) {
  const f = await scimFixture(kind);
  const api = await ApiClient.connect(f.daemon.url);
  const fake = await new GraphFake({ users: 12, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
  const key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
  const org = (await api.call<Organization>('post', '/orgs', key, { name: 'Contoso' })).body;
  const users: Member[] = [];
  for (let i = 0; i < 6; i++) {
    users.push((await api.call<Member>('post', `/orgs/${org.id}/members`, key, { email: `user${i}@contoso.example`, role: i === 0 ? 'owner' : 'member' })).body);
  }
  const config = { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url };
  const connId = (await api.call<{ id: string }>('post', `/orgs/${org.id}/connections`, key, { provider: 'microsoft', config, policy: { maxDeactivations: 0, maxDeactivationPercent: 100 } })).body.id;
  const runs = `/orgs/${org.id}/connections/${connId}/runs`;
  expect((await api.call<{ status: string }>('post', runs, key, {})).body).toMatchObject({ status: 'completed' });
  return {
    f,
    api,
    fake,
    key,
    org,
    connId,
    users,
    /** The connection's runs path under the admin API. */
    runs,
    async dispose() {
      expect(api.violations).toEqual([]);
      await fake.stop();
      await f.dispose();
    },
  };
}
