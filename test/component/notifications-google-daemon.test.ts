/**
 * The whole daemon with a Google connection set up through the CLI (realtime on): at start its
 * upkeep job opens the channels at `{server.publicUrl}/hooks/google/{id}` without waiting a minute,
 * `connections get` shows them, a suspension Google notifies is a deactivation, and a restart at
 * another public URL moves the channels there (the old ones stopped).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { Organization } from '../../src/domain/model.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import type { GoogleFake } from '../fakes/google-fake.js';
import { googleConfig, googleUserRef, startGoogleFake } from '../support/google-hooks.js';
import { cli, tempDir, testEnv } from '../support/harness.js';

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function until(what: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await what())) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('the daemon keeps Google push channels of a realtime connection', () => {
  const cwd = tempDir();
  const dataDir = join(cwd, 'data');
  let fake: GoogleFake;
  let daemon: Daemon | undefined;
  let org: Organization;
  let connId: string;
  const members: string[] = [];

  const start = async () => {
    const port = await freePort();
    const env = testEnv(dataDir, { IDSYNC_PORT: String(port), IDSYNC_PUBLIC_URL: `http://127.0.0.1:${port}` });
    daemon = await startDaemon(loadConfig({ env, cwd }), { logger: silentLogger });
    return `http://127.0.0.1:${port}/hooks/google/${connId}`;
  };

  beforeAll(async () => {
    fake = await startGoogleFake(4);
    const env = testEnv(dataDir);
    org = (await cli(env, cwd, 'orgs', 'create', '--name', 'Example', '--json')).json<Organization>();
    for (let i = 0; i < 4; i++) members.push((await cli(env, cwd, 'members', 'add', '--org', org.id, '--email', `user${i}@${fake.domain}`, '--role', i === 0 ? 'owner' : 'member', '--json')).json<{ id: string }>().id);
    writeFileSync(join(cwd, 'google.json'), JSON.stringify(googleConfig(fake)));
    writeFileSync(join(cwd, 'policy.json'), JSON.stringify({ realtime: true }));
    connId = (await cli(env, cwd, 'connections', 'create', '--org', org.id, '--provider', 'google', '--config', join(cwd, 'google.json'), '--policy', join(cwd, 'policy.json'), '--json')).json<{ id: string }>().id;
    expect((await cli(env, cwd, 'reconcile', '--connection', connId, '--json')).code).toBe(0);
  });
  afterAll(async () => {
    await daemon?.stop();
    await fake.stop();
  });

  it('when the daemon starts, then its first upkeep pass opens one channel per event at the public URL, and connections get shows them', async () => {
    const address = await start();
    await until(() => fake.channels.open().length === 4);
    expect(new Set(fake.channels.open().map((c) => c.address))).toEqual(new Set([address]));
    await until(() => fake.channels.syncs.length === 4);
    expect(fake.channels.syncs.every((s) => s.status === 200)).toBe(true);
    const shown = await cli(testEnv(dataDir), cwd, 'connections', 'get', connId);
    for (const c of fake.channels.open()) expect(shown.stdout).toContain(`${c.event} ${c.id} until `);
  });

  it('when Google notifies a suspension, then the member is deactivated within moments', async () => {
    fake.suspend(2);
    expect(await fake.channels.notify('update', googleUserRef(fake, 2))).toEqual([202]);
    await until(async () => (await daemon!.store.getMember(org.id, members[2]!))?.status === 'inactive');
  });

  it('when the daemon restarts at another public URL, then the channels move there and the old ones are stopped', async () => {
    const before = fake.channels.open().map((c) => c.id);
    await daemon!.stop();
    const address = await start();
    await until(() => fake.channels.open().length === 4 && fake.channels.open().every((c) => c.address === address));
    expect(fake.channels.open().some((c) => before.includes(c.id))).toBe(false);
    expect(fake.channels.stops).toBe(4);
  });
});
