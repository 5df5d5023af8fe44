import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Member, Organization } from '../../src/domain/model.js';
import type { RunSummary } from '../../src/services/reconcile/service.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { cli } from '../support/harness.js';
import { PATCH, scimFixture, USER } from '../support/scim.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'graph-secret';

async function eventually(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('daemon on PostgreSQL (IDSYNC_STORE=postgres), with a server that goes away and comes back', () => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  beforeAll(async () => {
    f = await scimFixture('postgres', { IDSYNC_POSTGRES_STATEMENT_TIMEOUT_MS: '2000' });
  });
  afterAll(async () => {
    await f?.dispose();
  });

  it('when an IdP creates, finds and deactivates a user over SCIM, then the store indexes it case-insensitively and the audit chain verifies', async () => {
    // Arrange
    const { org, scim } = await f.newOrg('Postgres Co');
    expect(await (await fetch(`${f.daemon.url}/readyz`)).json()).toEqual({ status: 'ready', store: 'postgres' });

    // Act
    const created = await scim.post<{ id: string }>('/Users', {
      schemas: [USER],
      userName: 'Ada.Lovelace@PG.example',
      externalId: 'okta-ada',
      name: { givenName: 'Ada', familyName: 'Lovelace' },
      emails: [{ value: 'ada@pg.example', primary: true }],
    });
    const byName = await scim.get<{ totalResults: number; Resources: { id: string }[] }>(`/Users?filter=${encodeURIComponent('userName eq "ada.lovelace@pg.EXAMPLE"')}`);
    const byExternal = await scim.get<{ totalResults: number; Resources: { id: string }[] }>(`/Users?filter=${encodeURIComponent('externalId eq "okta-ada"')}`);
    const duplicate = await scim.post('/Users', { schemas: [USER], userName: 'ADA.LOVELACE@pg.example' });
    const deactivated = await scim.patch<{ active: boolean }>(`/Users/${created.body.id}`, { schemas: [PATCH], Operations: [{ op: 'replace', value: { active: false } }] });

    // Assert
    expect(created.status).toBe(201);
    expect(byName.body.Resources.map((r) => r.id)).toEqual([created.body.id]);
    expect(byExternal.body.Resources.map((r) => r.id)).toEqual([created.body.id]);
    expect(duplicate.status).toBe(409);
    expect(deactivated.body.active).toBe(false);
    const member = (await cli(f.env, f.cwd, 'members', 'get', created.body.id, '--org', org.id, '--json')).json<Member>();
    expect(member).toMatchObject({ status: 'inactive', version: 2 });
    const verify = await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toMatch(/intact: \d+ events/);
  });

  it('when a connection is reconciled against a local Microsoft Graph, then members are linked and a run is recorded', async () => {
    // Arrange
    const fake = await new GraphFake({ users: 12, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
    try {
      const org = (await cli(f.env, f.cwd, 'orgs', 'create', '--name', 'Contoso', '--json')).json<Organization>();
      for (let i = 0; i < 6; i++) await cli(f.env, f.cwd, 'members', 'add', '--org', org.id, '--email', `user${i}@contoso.example`, '--role', i === 0 ? 'owner' : 'member', '--json');
      const file = (name: string, body: unknown) => {
        const p = join(f.cwd, name);
        writeFileSync(p, JSON.stringify(body));
        return p;
      };
      const config = file('graph.json', { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url });
      const policy = file('policy.json', { maxDeactivations: 10, maxDeactivationPercent: 100 });
      const conn = (await cli(f.env, f.cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--policy', policy, '--json')).json<{ id: string }>().id;

      // Act
      const r = await cli(f.env, f.cwd, 'reconcile', '--connection', conn, '--json');

      // Assert
      expect(r.code).toBe(0);
      expect(r.json<RunSummary>()).toMatchObject({ status: 'completed', listed: 12, linked: 6, deactivated: 0 });
      const runs = (await cli(f.env, f.cwd, 'runs', 'list', '--connection', conn, '--json')).json<{ id: string }[]>();
      expect(runs.map((x) => x.id)).toEqual([r.json<RunSummary>().runId]);
      expect((await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id)).code).toBe(0);
    } finally {
      await fake.stop();
    }
  });

  it('when PostgreSQL is stopped and restarted, then requests answer 503 store.unavailable with Retry-After meanwhile and work again without a restart', async () => {
    // Arrange
    const { org, scim } = await f.newOrg('Outage Co');
    const { key } = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--org', org.id, '--json')).json<{ key: string }>();
    const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const members = `${f.daemon.url}/api/v1/orgs/${org.id}/members`;
    expect((await fetch(members, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'before@pg.example' }) })).status).toBe(201);

    // Act: the server shuts down (fast shutdown: open sessions end with 57P01 admin_shutdown).
    await f.postgres!.stop();

    // Assert: not ready, SCIM and API fail fast with 503 and Retry-After, the process stays up.
    const started = Date.now();
    const ready = await fetch(`${f.daemon.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'not_ready', store: 'postgres', error: { code: 'store.unavailable' } });
    const scimDuring = await scim.get('/Users');
    expect(scimDuring.status).toBe(503);
    expect(scimDuring.headers.get('retry-after')).toBe('5');
    const apiDuring = await fetch(members, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'during@pg.example' }) });
    expect(apiDuring.status).toBe(503);
    expect(apiDuring.headers.get('retry-after')).toBe('5');
    expect(await apiDuring.json()).toMatchObject({ error: { code: 'store.unavailable' } });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((await fetch(`${f.daemon.url}/healthz`)).status).toBe(200);
    const cliDuring = await cli(f.env, f.cwd, 'orgs', 'list', '--json');
    expect(cliDuring.code).toBe(1);
    expect(cliDuring.json()).toMatchObject({ error: { code: 'store.unavailable' } });

    // Act: the server comes back on the same port and data dir.
    await f.postgres!.start();

    // Assert: the same daemon serves again; what was written before is there, what was refused is not.
    await eventually(async () => (await fetch(`${f.daemon.url}/readyz`)).status === 200);
    expect((await fetch(members, { method: 'POST', headers: auth, body: JSON.stringify({ email: 'after@pg.example' }) })).status).toBe(201);
    const list = (await (await fetch(members, { headers: auth })).json()) as { items: Member[] };
    expect(list.items.map((m) => m.userName)).toEqual(['before@pg.example', 'after@pg.example']);
    expect((await scim.get('/Users')).status).toBe(200);
    expect((await cli(f.env, f.cwd, 'audit', 'verify', '--org', org.id)).code).toBe(0);
    expect(f.daemon.logs.records().some((r) => r.level === 'warn' && String(r.message).includes('PostgreSQL connection lost'))).toBe(true);
  });
});
