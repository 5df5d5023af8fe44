import { describe, expect, it } from '@jest/globals';
import { classifyFailure, failureHint } from '../../src/domain/failures.js';
import { bookingOf } from '../../src/runtime/tick-runner.js';
import { runFailure, type RunSummary } from '../../src/services/reconcile/run-outcome.js';

const summary = (status: RunSummary['status'], code?: string): RunSummary => ({
  runId: 'r',
  connectionId: 'c',
  status,
  dryRun: false,
  listed: 0,
  matched: 0,
  linked: 0,
  deactivated: 0,
  reactivated: 0,
  invited: 0,
  held: 0,
  drift: 0,
  protected: 0,
  apiCalls: 0,
  durationMs: 0,
  guards: [],
  ...(code ? { error: { code, message: code }, failure: runFailure(code) } : {}),
});

describe('failure classes', () => {
  it('when a run fails on credentials, a permission, a missing tenant or an invalid config, then it is terminal with a hint', () => {
    for (const code of ['connector.auth_failed', 'connector.forbidden', 'connector.not_found', 'connector.invalid_config']) {
      expect(classifyFailure(code)).toBe('terminal');
      expect(failureHint(code)).toMatch(/connections (update|test)/);
    }
  });

  it('when a run fails on throttling, upstream errors, the network, the budget, an abort, a cut listing or anything unknown, then it is retriable', () => {
    for (const code of ['connector.throttled', 'connector.upstream_error', 'connector.unreachable', 'connector.budget_exhausted', 'connector.aborted', 'connector.incomplete', 'store.unavailable', 'internal']) {
      expect(classifyFailure(code)).toBe('retriable');
      expect(failureHint(code)).toBeUndefined();
    }
  });

  it('when the scheduler books a run, then terminal stops, failed and upstream-cut runs retry, and a run cut by our own shutdown or a clean one clears the backoff', () => {
    expect(bookingOf(summary('incomplete', 'connector.auth_failed'), false)).toBe('terminal');
    expect(bookingOf(summary('failed', 'connector.invalid_config'), false)).toBe('terminal');
    expect(bookingOf(summary('failed', 'internal'), false)).toBe('retry');
    expect(bookingOf(summary('incomplete', 'connector.throttled'), false)).toBe('retry');
    expect(bookingOf(summary('incomplete', 'connector.aborted'), true)).toBe('ok');
    expect(bookingOf(summary('held'), false)).toBe('ok');
    expect(bookingOf(summary('completed'), false)).toBe('ok');
  });
});
