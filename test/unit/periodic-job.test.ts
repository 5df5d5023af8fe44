import { describe, expect, it } from '@jest/globals';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { PeriodicJob } from '../../src/runtime/periodic-job.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';

describe('periodic housekeeping job', () => {
  it('when two replicas tick in the same interval, then the job runs once; the next interval runs again; a failure is survived', async () => {
    const store = openSqliteStore({ path: ':memory:' });
    let now = 1_000_000;
    let runs = 0;
    let fail = false;
    const job = async () => {
      runs++;
      if (fail) throw new Error('boom');
    };
    const a = new PeriodicJob('expire', 60_000, job, { store, logger: silentLogger, holder: 'a', now: () => now });
    const b = new PeriodicJob('expire', 60_000, job, { store, logger: silentLogger, holder: 'b', now: () => now });
    await Promise.all([a.tick(), b.tick(), a.tick()]);
    expect(runs).toBe(1);
    now += 60_000;
    fail = true;
    await b.tick();
    expect(runs).toBe(2);
    now += 60_000;
    fail = false;
    await a.tick();
    expect(runs).toBe(3);
    await Promise.all([a.stop(), b.stop()]);
    await store.close();
  });
});
