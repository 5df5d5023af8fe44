import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { anOrg, aTeam, draft } from '../../src/store/conformance/fixtures.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { Store } from '../../src/ports/store.js';
import { cli, tempDir, testEnv } from '../support/harness.js';

// One more than a store page (MAX_PAGE_LIMIT), written through the store so the test stays cheap.
const MANY = 1005;

describe('CLI lists past one store page', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeEach(() => {
    dir = tempDir();
    env = testEnv(dir);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function withStore(fill: (store: Store) => Promise<void>): Promise<void> {
    const store = openSqliteStore({ path: join(dir, 'idsync.db') });
    try {
      await fill(store);
    } finally {
      store.close();
    }
  }

  it('when there are 1,005 organizations, then `orgs list` prints every one of them, in creation order', async () => {
    const ids: string[] = [];
    await withStore(async (store) => {
      for (let i = 0; i < MANY; i++) {
        const org = anOrg({ name: `Org ${i}` });
        await store.createOrg(org, draft(org.id, 'org.created', org.id));
        ids.push(org.id);
      }
    });

    const listed = await cli(env, dir, 'orgs', 'list', '--json');

    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.json<{ id: string }[]>().map((o) => o.id)).toEqual(ids);
    const table = await cli(env, dir, 'orgs', 'list');
    expect(table.stdout).toContain(ids[MANY - 1]);
  }, 60_000);

  it('when an organization has 1,005 teams, then `teams list` prints every one of them', async () => {
    const org = anOrg();
    const ids: string[] = [];
    await withStore(async (store) => {
      await store.createOrg(org, draft(org.id, 'org.created', org.id));
      for (let i = 0; i < MANY; i++) {
        const team = aTeam(org.id, { displayName: `team ${i}` });
        await store.createTeam(team, draft(org.id, 'team.created', team.id));
        ids.push(team.id);
      }
    });

    const listed = await cli(env, dir, 'teams', 'list', '--org', org.id, '--json');

    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.json<{ id: string }[]>().map((t) => t.id).sort()).toEqual([...ids].sort());
  }, 60_000);
});
