import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Organization } from '../../src/domain/model.js';
import { graphId, GraphFake } from '../fakes/graph-fake.js';
import { cli, tempDir, testEnv } from '../support/harness.js';

const TENANT = '11111111-2222-4333-8444-555555555555';
const CLIENT = 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const SECRET = 'graph-client-s3cret-value';

describe('idsync connections against a local Microsoft Graph', () => {
  let fake: GraphFake;
  const cwd = tempDir();
  const env = testEnv(join(cwd, 'data'));
  let org: Organization;

  beforeAll(async () => {
    fake = await new GraphFake({ users: 1500, tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET }).start();
    org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Contoso', '--json')).json<Organization>();
  });
  afterAll(() => fake.stop());

  const configFile = (name: string, config: Record<string, unknown>) => {
    const file = join(cwd, name);
    writeFileSync(file, JSON.stringify(config));
    return file;
  };

  it('when a connection is created and tested, then credentials are sealed at rest and the test lists the directory', async () => {
    const file = configFile('graph.json', { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url });
    const created = await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', file, '--json');
    expect(created.code).toBe(0);
    expect(created.stdout).not.toContain(SECRET);
    const conn = created.json<{ id: string; credentials: string; schedule: string; policy: Record<string, unknown>; settings: Record<string, unknown> }>();
    expect(conn).toMatchObject({ credentials: 'stored', schedule: '*/15 * * * *', policy: { maxDeactivations: 10, maxDeactivationPercent: 5, confirmMissingRuns: 2 }, settings: { tenantId: TENANT } });
    for (const f of readdirSync(join(cwd, 'data'))) expect(readFileSync(join(cwd, 'data', f)).includes(SECRET)).toBe(false);

    const tested = await cli(env, cwd, 'connections', 'test', conn.id, '--json');
    expect(tested.code).toBe(0);
    expect(tested.json()).toMatchObject({ ok: true, users: 1500, pages: 2, apiCalls: 3, complete: true, durationMs: expect.any(Number) });
    const events = (await cli(env, cwd, 'audit', 'list', '--org', org.id, '--json')).stdout;
    expect(events).toContain('connection.created');
    expect(events).not.toContain(SECRET);
  });

  it('when groups are selected with the CLI, then a bad id is refused naming the key and --none clears the selection', async () => {
    const file = configFile('groups.json', { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url });
    const id = (await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', file, '--json')).json<{ id: string }>().id;
    const bad = await cli(env, cwd, 'connections', 'groups', id, '--names', 'eng');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('microsoft.groups.ids.0');
    const GROUP = 'c0000000-0000-4000-8000-000000000001';
    fake.groups.add(GROUP, 'Platform', [graphId(1), graphId(2)]);
    const set = await cli(env, cwd, 'connections', 'groups', id, '--names', GROUP, '--json');
    expect(set.json<{ settings: Record<string, unknown> }>().settings.groups).toEqual({ ids: [GROUP] });
    // The org has no members: the group's two users are unmatched, and the team would be created empty.
    const dry = await cli(env, cwd, 'reconcile', '--connection', id, '--dry-run');
    expect(dry.stdout).toContain('teams (full): 1 groups, created 1, renamed 0, added 0, removed 0, held 0, unmatched 2');
    expect(dry.stdout).toContain('ok   team_shrink');
    expect((await cli(env, cwd, 'connections', 'groups', id, '--query', "startswith(displayName,'Eng')", '--json')).json<{ settings: Record<string, unknown> }>().settings.groups).toEqual({ filter: "startswith(displayName,'Eng')" });
    const none = await cli(env, cwd, 'connections', 'groups', id, '--none', '--json');
    expect(none.json<{ settings: Record<string, unknown> }>().settings.groups).toBeUndefined();
    expect((await cli(env, cwd, 'audit', 'list', '--org', org.id, '--json')).stdout).toContain('connection.groups_set');
  });

  it('when the secret is wrong or the config is incomplete, then the error is precise and the exit code is 1', async () => {
    const ok = configFile('ok.json', { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url });
    const id = (await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', ok, '--json')).json<{ id: string }>().id;
    await cli(env, cwd, 'connections', 'update', id, '--config', configFile('bad-secret.json', { clientSecret: 'wrong' }));
    const tested = await cli(env, cwd, 'connections', 'test', id, '--json');
    expect(tested.code).toBe(1);
    expect(tested.json()).toMatchObject({ ok: false, complete: false, error: { code: 'connector.auth_failed' } });
    const doctor = await cli(env, cwd, 'doctor', '--json');
    expect(doctor.code).toBe(1);
    const checks = doctor.json<{ checks: { name: string; ok: boolean; message: string; fix?: string }[] }>().checks.filter((c) => c.name === 'connection');
    expect(checks.some((c) => c.ok && c.message.includes('1500 users listed'))).toBe(true);
    expect(checks.find((c) => c.message.includes(id))).toMatchObject({ ok: false, fix: expect.stringContaining('idsync connections update') });
    expect(doctor.stdout).not.toContain(SECRET);

    const missing = await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', configFile('missing.json', { clientId: CLIENT, clientSecret: SECRET }), '--json');
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ error: { code: 'connector.invalid_config', message: expect.stringContaining('tenantId') } });
    const badCron = await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', ok, '--schedule', 'every day', '--json');
    expect(badCron.json()).toMatchObject({ error: { code: 'request.invalid', message: expect.stringContaining('schedule') } });
  });

  it('when connections are listed, shown and deleted, then credentials never appear', async () => {
    const list = await cli(env, cwd, 'connections', 'list', '--org', org.id, '--json');
    const items = list.json<{ id: string }[]>();
    expect(items.length).toBeGreaterThanOrEqual(2);
    expect(list.stdout).not.toContain(SECRET);
    const one = await cli(env, cwd, 'connections', 'get', items[0]!.id, '--json');
    expect(one.json()).toMatchObject({ id: items[0]!.id, provider: 'microsoft' });
    const deleted = await cli(env, cwd, 'connections', 'delete', items[0]!.id, '--json');
    expect(deleted.code).toBe(0);
    expect(deleted.json()).toEqual({ deleted: items[0]!.id, releasedMembers: expect.any(Number), releasedTeams: 0 });
    expect((await cli(env, cwd, 'connections', 'get', items[0]!.id, '--json')).json()).toMatchObject({ error: { code: 'connection.not_found' } });
  });

  it('when realtime is on and the public URL is not https, then doctor says notifications cannot arrive and how to fix it', async () => {
    const config = configFile('realtime.json', { tenantId: TENANT, clientId: CLIENT, clientSecret: SECRET, graphBaseUrl: fake.url, authorityHost: fake.url });
    const created = await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'microsoft', '--config', config, '--policy', configFile('realtime-policy.json', { realtime: true }), '--json');
    const id = created.json<{ id: string; policy: { realtime: boolean } }>().id;
    expect(created.json()).toMatchObject({ policy: { realtime: true } });
    const doctor = await cli(env, cwd, 'doctor', '--json');
    const checks = doctor.json<{ checks: { name: string; ok: boolean; message: string; fix?: string }[] }>().checks.filter((c) => c.message.includes(id));
    expect(checks).toEqual(expect.arrayContaining([expect.objectContaining({ ok: false, message: expect.stringContaining('is not https'), fix: expect.stringContaining('IDSYNC_PUBLIC_URL') })]));
    expect((await cli(env, cwd, 'connections', 'delete', id)).code).toBe(0);
  });
});
