import { describe, expect, it } from '@jest/globals';
import type { Organization, ReconcileRun } from '../../src/domain/model.js';
import type { Updater } from '../../src/ports/store.js';
import { aConnection, anOrg, aRun, draft } from '../../src/store/conformance/fixtures.js';

describe('Updater', () => {
  const org = anOrg();
  const run = aRun(aConnection(org.id));
  const audit = draft(org.id, 'org.updated', org.id);

  it('when a record is audited, then its updater returns the next record with an audit draft, and one without is a compile error', () => {
    const rename: Updater<Organization> = (cur) => ({ next: { ...cur, name: 'Renamed' }, audit });
    // @ts-expect-error an audited change must carry its audit draft
    const silent: Updater<Organization> = (cur) => ({ next: cur });
    expect(rename(org)).toEqual({ next: { ...org, name: 'Renamed' }, audit });
    expect(silent(org)).toEqual({ next: org });
  });

  it("when a record is unaudited (runs), then the same shape comes without a draft, and one with a draft is a compile error", () => {
    const finish: Updater<ReconcileRun, 'unaudited'> = (cur) => (cur.status === 'running' ? { next: { ...cur, status: 'completed' } } : null);
    // @ts-expect-error runs are bookkeeping: an audit draft would be written nowhere
    const audited: Updater<ReconcileRun, 'unaudited'> = (cur) => ({ next: cur, audit });
    expect(finish({ ...run, status: 'running' })).toEqual({ next: { ...run, status: 'completed' } });
    expect(finish({ ...run, status: 'completed' })).toBeNull();
    expect(audited(run)).toEqual({ next: run, audit });
  });
});
