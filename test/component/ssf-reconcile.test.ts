import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Member, Organization } from '../../src/domain/model.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { cli } from '../support/harness.js';
import { scimFixture } from '../support/scim.js';
import { CAEP_SESSION_REVOKED, pushReceiver, RISC_DISABLED, SetVerifier } from '../support/ssf-receiver.js';
import { until } from '../support/webhook-receiver.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('Shared Signals from a reconcile run (sqlite, local Microsoft Graph)', () => {
  let fake: GraphFake;
  let f: Awaited<ReturnType<typeof scimFixture>>;

  beforeAll(async () => {
    f = await scimFixture('sqlite', { IDSYNC_WEBHOOK_POLL_MS: '50' });
    fake = await new GraphFake({ users: 5, tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret' }).start();
  });
  afterAll(async () => {
    await fake.stop();
    await f.dispose();
  });

  it('when a run deactivates a member disabled upstream, then the stream gets session-revoked and account-disabled initiated by policy', async () => {
    const org = (await cli(f.env, f.cwd, 'orgs', 'create', '--name', 'Contoso', '--json')).json<Organization>();
    const key = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>().key;
    const verifier = new SetVerifier(`${f.daemon.url}/ssf/jwks.json`, 'https://idsync.example.com', 'urn:host');
    const rx = await pushReceiver(() => verifier, 'Bearer rx');
    try {
      const res = await fetch(`${f.daemon.url}/ssf/stream`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rx.url, authorization_header: 'Bearer rx' }, aud: 'urn:host' }),
      });
      expect(res.status).toBe(201);
      const members: Member[] = [];
      for (let i = 0; i < 3; i++) members.push((await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', `user${i}@contoso.example`, '--role', i === 0 ? 'owner' : 'member', '--json')).json<Member>());
      const config = join(f.cwd, 'graph.json');
      writeFileSync(config, JSON.stringify({ tenantId: TENANT, clientId: CLIENT, clientSecret: 'graph-secret', graphBaseUrl: fake.url, authorityHost: fake.url }));
      const policy = join(f.cwd, 'policy.json');
      writeFileSync(policy, JSON.stringify({ maxDeactivations: 10, maxDeactivationPercent: 100 }));
      const conn = (await cli(f.env, f.cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--policy', policy, '--json')).json<{ id: string }>().id;
      expect((await cli(f.env, f.cwd, 'reconcile', '--connection', conn, '--json')).code).toBe(0);
      fake.disable(1);
      const run = await cli(f.env, f.cwd, 'reconcile', '--connection', conn, '--json');
      expect(run.json()).toMatchObject({ deactivated: 1 });

      const sets = await until('reconcile SETs', () => {
        const mine = rx.got.filter((s) => s.memberId === members[1]!.id);
        return mine.length === 2 ? mine : undefined;
      });
      expect(sets.map((s) => s.event).sort()).toEqual([CAEP_SESSION_REVOKED, RISC_DISABLED].sort());
      for (const s of sets) {
        expect(s).toMatchObject({ email: 'user1@contoso.example', tenant: org.id, payload: { initiating_entity: 'policy' } });
        expect((s.payload.reason_admin as { en: string }).en).toBe('suspended in the directory (source: reconcile)');
      }
      expect(rx.got.filter((s) => s.memberId !== members[1]!.id)).toEqual([]);
      expect(verifier.problems).toEqual([]);
    } finally {
      await rx.close();
    }
  });
});
