import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runStoreConformance } from '../../src/store/conformance/suite.js';
import { runExtensionConformance } from '../../src/store/conformance/suite-extensions.js';
import type { StoreFactory } from '../../src/store/conformance/harness.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

const memory: StoreFactory = async () => {
  const store = openSqliteStore({ path: ':memory:' });
  return { store, dispose: () => store.close() };
};

const file: StoreFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'idsync-sqlite-'));
  const store = openSqliteStore({ path: join(dir, 'idsync.db') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

runStoreConformance('sqlite (memory)', memory);
runExtensionConformance('sqlite (memory)', memory);
runStoreConformance('sqlite (file, WAL)', file);
runExtensionConformance('sqlite (file, WAL)', file);
