import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AuditVerification } from '../../src/domain/audit-verification.js';
import type { Organization } from '../../src/domain/model.js';
import { CLI_PRINCIPAL } from '../../src/services/authz.js';
import { ApiClient } from '../support/api-client.js';
import { seedAuditChain } from '../support/audit-chain.js';
import { cli } from '../support/harness.js';
import { scimFixture, STORES } from '../support/scim.js';

const CHAIN = 20_000;

describe.each(STORES)('audit chain verification in the background (%s)', (kind) => {
  let f: Awaited<ReturnType<typeof scimFixture>>;
  let api: ApiClient;
  let provider: string;

  beforeAll(async () => {
    f = await scimFixture(kind);
    api = await ApiClient.connect(f.daemon.url);
    provider = (await cli(f.env, f.cwd, 'admin-keys', 'create', '--json')).json<{ key: string }>().key;
  }, 60_000);
  afterAll(async () => {
    expect(api.violations).toEqual([]);
    await f.dispose();
  });

  const orgWithChain = async (name: string, opts: { changeAt?: number } = {}) => {
    const org = (await api.call<Organization>('post', '/orgs', provider, { name })).body;
    const head = await seedAuditChain(f.env, f.daemon.store, org.id, CHAIN, opts);
    return { org, head };
  };
  const latest = (org: Organization) => api.call<AuditVerification>('get', `/orgs/${org.id}/audit/verifications/latest`, provider);
  const finished = async (org: Organization): Promise<AuditVerification> => {
    const until = Date.now() + 30_000;
    for (;;) {
      const v = (await latest(org)).body;
      if (v.status !== 'running' || Date.now() > until) return v;
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  it('when a verification is started over the API, then it answers at once with a running record, and the verdict is stored and audited', async () => {
    const { org, head } = await orgWithChain('Verify Co');
    expect((await latest(org)).body).toMatchObject({ error: { code: 'audit.verification_not_found' } });

    const started = await api.call<AuditVerification>('post', `/orgs/${org.id}/audit/verifications`, provider);
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ orgId: org.id, status: 'running', checked: 0, total: head.seq, requestedBy: { kind: 'admin' } });
    const verdict = await finished(org);
    expect(verdict).toMatchObject({ id: started.body.id, status: 'intact', checked: head.seq, total: head.seq, head: { seq: head.seq, hash: head.hash } });
    expect(Date.parse(verdict.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(verdict.startedAt));

    const events = await f.daemon.store.listAudit(org.id, { afterSeq: head.seq });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ action: 'audit.verified', actor: { kind: 'admin' }, target: { type: 'org', id: org.id }, after: { verification: started.body.id, intact: true, events: head.seq, headSeq: head.seq } });

    // A new run after the verdict starts at once (the lease was let go) and covers the audit.verified event too.
    const rerun = await api.call<AuditVerification>('post', `/orgs/${org.id}/audit/verifications`, provider);
    expect(rerun.status).toBe(202);
    expect(await finished(org)).toMatchObject({ id: rerun.body.id, status: 'intact', checked: head.seq + 1 });
  }, 60_000);

  it('when two starts race, then one run starts and the other joins it through the org lease', async () => {
    const { org } = await orgWithChain('Race Co');
    const both = await Promise.all([0, 1].map(() => f.daemon.services.auditVerifications.start(CLI_PRINCIPAL, org.id)));
    expect(both.map((r) => r.started).sort()).toEqual([false, true]);
    expect(both[0]!.record.id).toBe(both[1]!.record.id);
    expect(await finished(org)).toMatchObject({ id: both[0]!.record.id, status: 'intact', requestedBy: { kind: 'cli' } });
  }, 60_000);

  it('when the replica of a run stopped (its record says running but is no longer updated), then it reads as failed and a new run starts', async () => {
    const org = (await api.call<Organization>('post', '/orgs', provider, { name: 'Stopped Co' })).body;
    const long = new Date(Date.now() - 10 * 60_000).toISOString();
    await f.daemon.store.putAuditVerification({ id: 'gone', orgId: org.id, status: 'running', requestedBy: { kind: 'cli' }, startedAt: long, updatedAt: long, total: 1, checked: 0 });
    expect((await latest(org)).body).toMatchObject({ id: 'gone', status: 'failed', error: 'the replica verifying the chain stopped before it finished' });
    const rerun = await api.call<AuditVerification>('post', `/orgs/${org.id}/audit/verifications`, provider);
    expect(rerun.status).toBe(202);
    expect(await finished(org)).toMatchObject({ id: rerun.body.id, status: 'intact', checked: 1 });
  }, 60_000);

  it('when an event was changed in the store, then the run stops there: broken at its seq, why, and its id; the synchronous verify agrees', async () => {
    const changeAt = 12_345;
    const { org } = await orgWithChain('Tampered Co', { changeAt });
    const changed = (await f.daemon.store.listAudit(org.id, { afterSeq: changeAt - 1, limit: 1 }))[0]!;
    await api.call('post', `/orgs/${org.id}/audit/verifications`, provider);
    const verdict = await finished(org);
    expect(verdict).toMatchObject({ status: 'broken', checked: changeAt - 1, break: { seq: changeAt, reason: 'hash_mismatch', eventId: changed.id } });
    expect(verdict.head).toBeUndefined();
    expect((await api.call('get', `/orgs/${org.id}/audit/verify`, provider)).body).toMatchObject({ ok: false, events: changeAt - 1, break: { seq: changeAt, reason: 'hash_mismatch' } });
    const audited = await f.daemon.store.listAudit(org.id, { afterSeq: CHAIN + 1 });
    expect(audited.map((e) => [e.action, e.after])).toEqual([['audit.verified', { verification: verdict.id, intact: false, events: changeAt - 1, breakSeq: changeAt, reason: 'hash_mismatch' }]]);
  }, 60_000);
});
