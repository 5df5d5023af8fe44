import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '../../src/store/conformance/suite.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

runStoreConformance('sqlite (memory)', async () => {
  const store = new SqliteStore({ path: ':memory:' });
  return { store, dispose: () => store.close() };
});

runStoreConformance('sqlite (file, WAL)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idsync-sqlite-'));
  const store = new SqliteStore({ path: join(dir, 'idsync.db') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
