import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditEvent, Member, Organization } from '../../src/domain/model.js';
import type { GraphFake } from '../fakes/graph-fake.js';
import type { ApiClient } from '../support/api-client.js';
import { heldRunInstall } from '../support/graph-connection.js';
import { STORES } from '../support/scim.js';

type Summary = { runId: string; status: string; dryRun: boolean; held: number; deactivated: number };
type Run = { id: string; status: string; trigger: string; dryRun: boolean };
type ErrorBody = { error: { code: string; message: string } };

/**
 * A held run is claimed before anything runs: two approvals at once (API and console, two
 * replicas), or an approval and a rejection, end with exactly one winner and a coded 409.
 */
describe.each(STORES)('approving a held run at the same time from two places, on %s', (kind) => {
  let install: Awaited<ReturnType<typeof heldRunInstall>>;
  let api: ApiClient;
  let fake: GraphFake;
  let key: string;
  let org: Organization;
  let users: Member[];

  beforeAll(async () => {
    install = await heldRunInstall(kind);
    ({ api, fake, key, org, users } = install);
  });
  afterAll(() => install.dispose());

  const runs = () => install.runs;
  const heldRun = async (i: number, dryRun = false) => {
    fake.disable(i);
    const held = await api.call<Summary>('post', runs(), key, { dryRun });
    // A rejected earlier run leaves its disabled user active, so later runs hold that one too.
    expect(held.body).toMatchObject({ status: 'held', dryRun });
    expect(held.body.held).toBeGreaterThanOrEqual(1);
    return held.body.runId;
  };
  const approvalRuns = async () => (await api.call<{ items: Run[] }>('get', `${runs()}?limit=100`, key)).body.items.filter((r) => r.trigger === 'approval');
  const decisions = async (runId: string) =>
    (await api.call<{ items: AuditEvent[] }>('get', `/orgs/${org.id}/audit?action=reconcile.&target=${runId}&limit=1000`, key)).body.items.map((e) => e.action);
  const statusOf = async (m: Member) => (await api.call<Member>('get', `/orgs/${org.id}/members/${m.id}`, key)).body.status;
  const sorted = <T extends { status: number }>(answers: T[]) => [...answers].sort((a, b) => a.status - b.status);

  it('when two approvals of one held run arrive at once, then exactly one approval run happens, one audit event is written, and the other answers 409 run.not_held', async () => {
    // Arrange
    const runId = await heldRun(1);
    const before = (await approvalRuns()).length;

    // Act
    const answers = await Promise.all([
      api.call<Summary | ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/approve`, key, {}),
      api.call<Summary | ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/approve`, key, {}),
    ]);

    // Assert
    const [won, lost] = sorted(answers);
    expect(won!.status).toBe(200);
    expect(won!.body).toMatchObject({ deactivated: 1, held: 0 });
    expect(lost!.status).toBe(409);
    expect((lost!.body as ErrorBody).error).toMatchObject({ code: 'run.not_held', message: expect.stringContaining(runId) });
    expect((await approvalRuns()).length - before).toBe(1);
    expect(await decisions(runId)).toEqual(['reconcile.approved']);
    expect((await api.call<Run>('get', `/orgs/${org.id}/runs/${runId}`, key)).body.status).toBe('approved');
    expect(await statusOf(users[1]!)).toBe('inactive');
  });

  it('when an approval and a rejection of one held run arrive at once, then exactly one of them happens and the other answers 409 run.not_held', async () => {
    const runId = await heldRun(2);
    const before = (await approvalRuns()).length;

    const answers = await Promise.all([
      api.call<Summary | ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/approve`, key, {}),
      api.call<Run | ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/reject`, key),
    ]);

    const [won, lost] = sorted(answers);
    expect([won!.status, lost!.status]).toEqual([200, 409]);
    expect((lost!.body as ErrorBody).error.code).toBe('run.not_held');
    const final = (await api.call<Run>('get', `/orgs/${org.id}/runs/${runId}`, key)).body.status;
    const audited = await decisions(runId);
    if (final === 'approved') {
      expect(audited).toEqual(['reconcile.approved']);
      expect((await approvalRuns()).length - before).toBe(1);
      expect(await statusOf(users[2]!)).toBe('inactive');
    } else {
      expect(final).toBe('rejected');
      expect(audited).toEqual(['reconcile.rejected']);
      expect((await approvalRuns()).length - before).toBe(0);
      expect(await statusOf(users[2]!)).toBe('active');
    }
  });

  it('when a decided run is approved or rejected again, then it answers 409 run.not_held and nothing runs', async () => {
    const runId = await heldRun(3);
    expect((await api.call('post', `/orgs/${org.id}/runs/${runId}/reject`, key)).status).toBe(200);
    const before = (await approvalRuns()).length;

    const again = await api.call<ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/approve`, key, {});
    const twice = await api.call<ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/reject`, key);

    expect([again.status, again.body.error.code]).toEqual([409, 'run.not_held']);
    expect(again.body.error.message).toContain('rejected');
    expect([twice.status, twice.body.error.code]).toEqual([409, 'run.not_held']);
    expect((await approvalRuns()).length).toBe(before);
    expect(await decisions(runId)).toEqual(['reconcile.rejected']);
  });

  it('when a held dry run is approved or rejected, then it answers 409 run.dry_run, stays held and nobody is deactivated', async () => {
    // Arrange: a dry run trips the same budget, so it ends held too.
    const runId = await heldRun(4, true);
    const before = (await approvalRuns()).length;

    // Act
    const approve = await api.call<ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/approve`, key, { max: 1 });
    const reject = await api.call<ErrorBody>('post', `/orgs/${org.id}/runs/${runId}/reject`, key);

    // Assert
    expect([approve.status, approve.body.error.code]).toEqual([409, 'run.dry_run']);
    expect(approve.body.error.message).toMatch(/dry run/);
    expect([reject.status, reject.body.error.code]).toEqual([409, 'run.dry_run']);
    expect((await api.call<Run>('get', `/orgs/${org.id}/runs/${runId}`, key)).body).toMatchObject({ status: 'held', dryRun: true });
    expect((await approvalRuns()).length).toBe(before);
    expect(await decisions(runId)).toEqual([]);
    expect(await statusOf(users[4]!)).toBe('active');
  });
});
