import { describe, expect, it } from '@jest/globals';
import { IdsyncError } from '../../src/domain/errors.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { MemoryBackoff, runScheduled } from '../../src/runtime/tick-runner.js';

describe('a scheduled tick while an admin or an approval runs the connection', () => {
  it('when the reconcile answers run.in_progress, then the tick is busy and the connection does not back off', async () => {
    // Arrange
    const backoff = new MemoryBackoff(60_000);
    const reconcile = {
      run: async () => {
        throw new IdsyncError('run.in_progress', 'connection c1 is being reconciled by run r1 (manual, started …)', { connectionId: 'c1', runId: 'r1' });
      },
    };

    // Act
    const outcome = await runScheduled({ reconcile, runTimeoutMs: 10_000, backoff }, 'c1', silentLogger, new AbortController().signal);

    // Assert
    expect(outcome).toBe('busy');
    expect(await backoff.until('c1')).toBe(0);
  });

  it('when the reconcile throws anything else, then the tick is an error and the connection backs off', async () => {
    const backoff = new MemoryBackoff(60_000);
    const reconcile = {
      run: async () => {
        throw new Error('store unavailable');
      },
    };

    const outcome = await runScheduled({ reconcile, runTimeoutMs: 10_000, backoff }, 'c1', silentLogger, new AbortController().signal);

    expect(outcome).toBe('error');
    expect(await backoff.until('c1')).toBeGreaterThan(Date.now());
  });
});
