import { afterAll, beforeAll } from '@jest/globals';
import type { StoreFactory } from '../../src/store/conformance/harness.js';
import { runStoreConformance } from '../../src/store/conformance/suite.js';
import { runExtensionConformance } from '../../src/store/conformance/suite-extensions.js';
import { openPostgresStore } from '../../src/store/postgres/store.js';
import { PostgresTestServer } from '../support/postgres-server.js';

// One server per file; each store gets a schema of its own (migrated when it opens), so every test starts empty.
let server: PostgresTestServer;
let n = 0;
beforeAll(async () => {
  server = await PostgresTestServer.start();
});
afterAll(async () => {
  await server.dispose();
});

const factory: StoreFactory = async () => {
  const store = await openPostgresStore({ url: server.url(), schema: `t${++n}` });
  return { store, dispose: () => store.close() };
};

runStoreConformance('postgres', factory);
runExtensionConformance('postgres', factory);
