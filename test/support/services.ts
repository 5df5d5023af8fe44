import type { Clock } from '../../src/ports/clock.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { createServices } from '../../src/services/index.js';
import { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

/** A stepping clock: each call is one second after the previous. */
export function steppingClock(start = '2026-03-01T00:00:00.000Z'): Clock {
  let t = Date.parse(start);
  return { now: () => new Date((t += 1000)) };
}

/** Real services on a real in-memory SQLite store. */
export function memoryServices() {
  const store = new SqliteStore({ path: ':memory:' });
  const services = createServices({ store, clock: steppingClock(), logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: Buffer.alloc(32, 9) });
  return { store, services, close: () => store.close() };
}
