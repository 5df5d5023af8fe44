import { afterAll, beforeAll, describe } from '@jest/globals';
import type { StoreFactory } from '../../src/store/conformance/harness.js';
import { runStoreConformance } from '../../src/store/conformance/suite.js';
import { runExtensionConformance } from '../../src/store/conformance/suite-extensions.js';
import { createRedisStore } from '../../src/store/redis/store.js';
import { RedisTestCluster, RedisTestServer } from '../support/redis-server.js';

// One server (and one cluster) per file; each store gets a key prefix of its own, so every test starts empty.
let n = 0;

describe('standalone', () => {
  let server: RedisTestServer;
  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });
  const factory: StoreFactory = async () => {
    const store = createRedisStore({ connection: { url: server.url }, keyPrefix: `t${++n}` });
    return { store, dispose: () => store.close() };
  };
  runStoreConformance('redis (standalone)', factory);
  runExtensionConformance('redis (standalone)', factory);
});

// The same contract on a three-master Cluster: proves every script and MULTI stays in one hash slot.
describe('cluster', () => {
  let cluster: RedisTestCluster;
  beforeAll(async () => {
    cluster = await RedisTestCluster.start();
  }, 60_000);
  afterAll(async () => {
    await cluster.dispose();
  });
  const factory: StoreFactory = async () => {
    const store = createRedisStore({ connection: { clusterNodes: cluster.seeds }, keyPrefix: `c${++n}` });
    return { store, dispose: () => store.close() };
  };
  runStoreConformance('redis (cluster)', factory);
  runExtensionConformance('redis (cluster)', factory);
});
