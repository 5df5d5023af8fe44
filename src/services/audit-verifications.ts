import { randomUUID } from 'node:crypto';
import type { AuditAnchor } from '../domain/audit-anchor.js';
import type { AuditVerification } from '../domain/audit-verification.js';
import { IdsyncError } from '../domain/errors.js';
import type { AuditDraft } from '../domain/model.js';
import type { AuditService, VerifyResult } from './audit.js';
import { assertCanManage, type Principal } from './authz.js';
import type { ServiceDeps } from './deps.js';

/** How long a verification's lease lasts without progress; it is renewed with each batch. */
export const VERIFY_LEASE_MS = 30_000;
/** Progress is written after the first batch, then at most this often (a batch takes about 10 ms). */
const PROGRESS_EVERY_MS = 500;
/** Events hashed between two turns of the event loop (about 10 ms of CPU). */
const BACKGROUND_BATCH = 1000;

export interface StartedVerification {
  /** False when a run was already going (on this replica or another): `record` is that run. */
  started: boolean;
  record: AuditVerification;
}

/** The run's lease went to another replica's run: that run owns the record now. */
class TakenOver extends Error {}

/** `audit.verified`: the verdict, in the org's own trail, with the person who asked as actor. */
const verifiedEvent = (v: AuditVerification, r: VerifyResult): AuditDraft => ({
  orgId: v.orgId,
  actor: v.requestedBy,
  action: 'audit.verified',
  target: { type: 'org', id: v.orgId },
  after: {
    ...(r.ok ? { verification: v.id, intact: true, events: r.events, headSeq: r.head.seq } : { verification: v.id, intact: false, events: r.events, breakSeq: r.break.seq, reason: r.break.reason }),
    ...(r.anchor ? { anchor: { seq: r.anchor.seq, hash: r.anchor.hash, status: r.anchor.status } } : {}),
  },
});

/** A broken verdict names the break; the head of the last progress write would be stale beside it. */
const withoutHead = (v: AuditVerification): AuditVerification => {
  const { head: _head, ...rest } = v;
  return rest;
};

/**
 * Audit chain verification as a background run, so that no request waits for a long chain: a
 * request starts the run and answers at once; the run walks the chain (AuditService.verify),
 * writing its progress and then its verdict to the org's verification record, which the console
 * page and the admin API read. One run per org across replicas: the run holds the store lease
 * `audit-verify:<org>`, renewed with each progress write and let go at the end; a run whose replica
 * stopped leaves a `running` record that is no longer updated, which `latest` reports as failed
 * once its lease has run out, and a new run may start. The verdict is audited (`audit.verified`,
 * appended after the walk and before the verdict is written, with the person who asked as actor).
 */
export class AuditVerifications {
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly audit: AuditService,
    private readonly holder: string,
  ) {}

  /** With an anchor (a head recorded outside idsync), the run also checks the trail still holds it; a run already going is answered as is, whatever its anchor. */
  async start(p: Principal, orgId: string, anchor?: AuditAnchor): Promise<StartedVerification> {
    assertCanManage(p, orgId);
    await this.assertOrg(orgId);
    if (this.stopping) throw new IdsyncError('store.unavailable', 'idsync is shutting down; verify again in a moment');
    let current = await this.latest(p, orgId);
    const ending = this.running.get(orgId);
    if (ending && current?.status !== 'running') {
      // This replica's run has written its verdict and is letting its lease go: the new run follows it.
      await ending;
      current = await this.latest(p, orgId);
    }
    if (current?.status === 'running' || this.running.has(orgId)) return { started: false, record: current! };
    const id = randomUUID();
    const lease = `audit-verify:${orgId}`;
    const holder = `${this.holder}:${id}`;
    if (!(await this.deps.store.tryAcquireLease(lease, holder, VERIFY_LEASE_MS))) return { started: false, record: await this.joined(orgId, current) };
    const now = this.deps.clock.now().toISOString();
    const record: AuditVerification = { id, orgId, status: 'running', requestedBy: p.actor, startedAt: now, updatedAt: now, total: await this.audit.headSeq(orgId), checked: 0, ...(anchor ? { anchor } : {}) };
    await this.deps.store.putAuditVerification(record);
    const run = this.run(record, lease, holder).finally(() => this.running.delete(orgId));
    this.running.set(orgId, run);
    return { started: true, record };
  }

  /** The org's latest verification; a `running` one that stopped being updated is reported as failed. */
  async latest(p: Principal, orgId: string): Promise<AuditVerification | undefined> {
    assertCanManage(p, orgId);
    await this.assertOrg(orgId);
    const v = await this.deps.store.getAuditVerification(orgId);
    if (v?.status !== 'running' || this.running.has(orgId)) return v;
    if (this.deps.clock.now().getTime() - Date.parse(v.updatedAt) <= VERIFY_LEASE_MS) return v;
    return { ...v, status: 'failed', error: 'the replica verifying the chain stopped before it finished' };
  }

  /** Stops the runs of this replica (each ends at its next batch, recorded as failed) and waits for them. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  private async run(record: AuditVerification, lease: string, holder: string): Promise<void> {
    const log = this.deps.logger.child({ component: 'audit-verify', orgId: record.orgId, verification: record.id });
    let last = 0;
    let current = record;
    const save = async (next: AuditVerification) => {
      current = next;
      await this.deps.store.putAuditVerification(next);
    };
    try {
      const result = await this.audit.verify(record.orgId, {
        batch: BACKGROUND_BATCH,
        ...(record.anchor ? { anchor: { seq: record.anchor.seq, hash: record.anchor.hash } } : {}),
        onProgress: async (checked, head) => {
          // Give the replica's requests their turn: an embedded store answers without I/O, so the walk
          // would otherwise run to its end in one stretch of microtasks and hold every request back.
          await new Promise((resolve) => setImmediate(resolve));
          if (this.stopping) throw new Error('idsync stopped before the chain was verified');
          if (Date.now() - last < PROGRESS_EVERY_MS) return;
          last = Date.now();
          if (!(await this.deps.store.tryAcquireLease(lease, holder, VERIFY_LEASE_MS))) throw new TakenOver('another replica took over the verification');
          await save({ ...current, checked, head, total: Math.max(current.total, head.seq), updatedAt: this.deps.clock.now().toISOString() });
        },
      });
      const at = this.deps.clock.now().toISOString();
      const anchor = result.anchor ? { anchor: result.anchor } : {};
      const verdict: AuditVerification = result.ok
        ? { ...current, status: 'intact', checked: result.events, head: result.head, total: Math.max(current.total, result.head.seq), updatedAt: at, finishedAt: at, ...anchor }
        : { ...withoutHead(current), status: 'broken', checked: result.events, break: result.break, updatedAt: at, finishedAt: at, ...anchor };
      // Audited before the verdict shows: whoever reads the verdict finds its event in the trail. The
      // verdict stands even when its event cannot be written (the org was deleted meanwhile).
      await this.deps.store.appendAudit(verifiedEvent(record, result)).catch((err: unknown) => log.warn('could not audit the verification', { error: (err as Error).message }));
      await save(verdict);
      log.info('audit chain verified', { status: verdict.status, events: verdict.checked });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (err instanceof TakenOver) {
        log.warn('audit chain verification handed over', { error: message });
        return;
      }
      log.warn('audit chain verification failed', { error: message });
      const at = this.deps.clock.now().toISOString();
      await save({ ...current, status: 'failed', error: message, updatedAt: at, finishedAt: at }).catch(() => undefined);
    } finally {
      // Let the lease go (an expiry in the past), so the next run may start at once.
      await this.deps.store.tryAcquireLease(lease, holder, 1).catch(() => undefined);
    }
  }

  /** The run that holds the lease (another request's or replica's): its record, once it has written it. */
  private async joined(orgId: string, before: AuditVerification | undefined): Promise<AuditVerification> {
    for (let i = 0; i < 50; i++) {
      const v = await this.deps.store.getAuditVerification(orgId);
      if (v && v.id !== before?.id) return v;
      await new Promise((r) => setTimeout(r, 20));
    }
    const v = await this.deps.store.getAuditVerification(orgId);
    if (v) return v;
    throw new IdsyncError('store.unavailable', 'another verification of this chain is starting; try again in a moment');
  }

  private async assertOrg(orgId: string): Promise<void> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  }
}
