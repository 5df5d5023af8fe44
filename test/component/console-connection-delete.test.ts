/**
 * Deleting a directory connection from the console, on every store: a confirmation that names the
 * connection, says what stops and how many members stay; then the admin API's own delete, which
 * releases the members it managed to admins (the members page offers deactivate and remove).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Actor, Organization } from '../../src/domain/model.js';
import { openConsole, startConsoleInstall, type ConsoleClient, type ConsoleInstall } from '../support/console.js';
import { cli } from '../support/harness.js';
import { STORES } from '../support/scim.js';

const SETUP: Actor = { kind: 'system', label: 'test setup' };

describe.each(STORES)('console: delete a directory connection (%s)', (storeKind) => {
  let install: ConsoleInstall;
  let org: Organization;
  let web: ConsoleClient;

  beforeAll(async () => {
    install = await startConsoleInstall(storeKind);
    org = await install.daemon.services.orgs.create({ name: 'Deletes' }, SETUP);
    const r = await cli(install.env, install.cwd, 'console-link', '--org', org.id, '--json');
    web = await openConsole(install.env.IDSYNC_PUBLIC_URL!, r.json<{ url: string }>().url, `/console/orgs/${org.id}`);
  }, 60_000);
  afterAll(async () => {
    await install?.dispose();
  });

  it('when an admin deletes a connection, then it asks first naming it and its members, deletes it like the API, and its members stay, now managed by admins', async () => {
    const s = install.daemon.services;
    const conn = await s.connections.create(org.id, { provider: 'github', name: 'GitHub acme', config: { org: 'acme', token: 'ghp_delete_test_token_0123456789' } }, SETUP);
    const managed = { kind: 'directory' as const, connectionId: conn.id };
    const dee = await s.members.create(org.id, { email: 'dee@acme.example', givenName: 'Dee', familyName: 'Dir' }, SETUP, managed);
    const ida = await s.members.create(org.id, { email: 'ida@acme.example', givenName: 'Ida', familyName: 'Dir' }, SETUP, managed);
    await s.members.deactivate(org.id, ida.id, SETUP, 'left the directory', managed);
    const area = `/console/orgs/${org.id}/directory/${conn.id}`;

    const before = await (await web.get(`/console/orgs/${org.id}/members`)).text();
    expect(before).toContain(`Managed by directory connection ${conn.id}: change this person in the directory`);
    expect(before).not.toContain('aria-label="Deactivate Dee Dir"');
    expect(await (await web.get(area)).text()).toContain('<button type="submit" class="danger">Delete connection</button>');

    // Without the token nothing happens; the first POST only asks.
    expect((await web.post(`${area}/delete`, { confirmed: 'yes' }, { csrf: false })).status).toBe(403);
    const ask = await web.post(`${area}/delete`, {});
    expect(ask.status).toBe(200);
    const confirm = await ask.text();
    expect(confirm).toContain('<h1 id="confirm-heading">Delete GitHub acme?</h1>');
    expect(confirm).toContain('It manages 2 members (1 active, 1 inactive).');
    expect(confirm).toContain('<strong>Runs stop:</strong>');
    expect(confirm).toContain('<strong>Its members stay:</strong> nobody is deactivated or removed');
    expect(await install.daemon.store.listConnections(org.id)).toHaveLength(1);

    const done = await web.post(`${area}/delete`, { confirmed: 'yes' });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain('Deleted GitHub acme: its runs have stopped. The members it managed stay, and admins manage them now.');
    expect(await install.daemon.store.listConnections(org.id)).toEqual([]);
    const ev = (await install.daemon.store.listAudit(org.id, { limit: 1000 })).find((e) => e.action === 'connection.deleted' && e.target.id === conn.id)!;
    expect(ev.actor).toMatchObject({ kind: 'portal' });
    expect((await install.daemon.store.getMember(org.id, dee.id))?.status).toBe('active');
    expect((await install.daemon.store.getMember(org.id, ida.id))?.status).toBe('inactive');

    // The delete released them to admins: the members page no longer sends people to a directory that is gone.
    expect((await install.daemon.store.getMember(org.id, dee.id))?.managedBy).toEqual({ kind: 'admin' });
    const after = await (await web.get(`/console/orgs/${org.id}/members`)).text();
    expect(after).not.toContain(`Directory connection ${conn.id}`);
    expect(after).toContain('aria-label="Deactivate Dee Dir"');
    expect(after).toContain('aria-label="Reactivate Ida Dir"');
    expect((await web.post(`/console/orgs/${org.id}/members/${dee.id}/deactivate`, {})).status).toBe(200);
    expect((await install.daemon.store.getMember(org.id, dee.id))?.status).toBe('inactive');
    // Gone: its page and a second delete answer not found.
    expect((await web.get(area)).status).toBe(404);
    expect((await web.post(`${area}/delete`, { confirmed: 'yes' })).status).toBe(404);
  });
});
