import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../../domain/errors.js';
import { auditCounts, planMerge, type MergePlan } from '../../domain/merge-plan.js';
import type { Actor, Role } from '../../domain/model.js';
import type { MergeJournal } from '../../ports/store.js';
import type { ServiceDeps } from '../deps.js';
import type { InvitationService } from '../invitations/service.js';
import type { Principal } from '../authz.js';
import type { MemberService } from '../members.js';
import { MemberWriter } from '../members/writer.js';
import { movePerson, type MovePersonResult } from './move-person.js';
import type { MergeReport } from './report.js';
import { applyStep, mergeSteps, type StepContext } from './steps.js';
import { openOrg, readSide } from './sides.js';

export type { MergeReport } from './report.js';

/**
 * Merges one organization into another (provider-wide keys and the CLI only). The plan is made once
 * and kept in a journal with every id it mints; each step is applied through the usual writers
 * (members through the member writer, source `merge`) and then marked done. Running the merge again
 * after a crash continues from the journal: a step applied but not yet marked finds its own records
 * and writes nothing. A dry run shows the plan the merge would apply (or, once started, applies).
 */
export class MergeService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly invitations: InvitationService,
    private readonly publicUrl: string,
    private readonly members: MemberService,
    private readonly writer: MemberWriter = new MemberWriter(deps),
  ) {}

  /** "Signed up by mistake": see move-person.ts. */
  movePerson(p: Principal, memberId: string, toOrg: string, opts: { role?: Role; fromOrg?: string } = {}): Promise<MovePersonResult> {
    return movePerson(this.deps, this.members, (s, t, actor, roles) => this.merge(s, t, actor, { roles }), p, memberId, toOrg, opts);
  }

  async merge(sourceOrgId: string, targetOrgId: string, actor: Actor, opts: { dryRun?: boolean; roles?: Record<string, Role> } = {}): Promise<MergeReport> {
    if (sourceOrgId === targetOrgId) throw refused('the source and the target are the same organization', { sourceOrgId });
    let journal = await this.deps.store.getMerge(sourceOrgId);
    if (journal && journal.targetOrgId !== targetOrgId) throw refused(`organization ${sourceOrgId} is being (or was) merged into ${journal.targetOrgId}`, { sourceOrgId, mergedInto: journal.targetOrgId });
    await openOrg(this.deps, targetOrgId);
    if (!journal) {
      const source = await openOrg(this.deps, sourceOrgId);
      const plan = planMerge(await readSide(this.deps, source), await readSide(this.deps, await openOrg(this.deps, targetOrgId)), randomUUID, opts.roles ? { roles: opts.roles } : {});
      if (opts.dryRun) return this.report(plan, true, [], 0);
      if (plan.blockers.length > 0) throw refused(`the merge is blocked: ${plan.blockers.join('; ')}`, { blockers: plan.blockers });
      const at = this.deps.clock.now().toISOString();
      journal = (await this.deps.store.createMerge({ sourceOrgId, targetOrgId, status: 'running', plan, done: [], startedAt: at, updatedAt: at, version: 1 })).journal;
    }
    if (opts.dryRun || journal.status === 'completed') return this.report(journal.plan, opts.dryRun === true, [], 0, journal.status === 'completed');
    return this.run(journal, actor);
  }

  /** The journal of a merge (running or completed), for `orgs merge-status`. */
  async journal(sourceOrgId: string): Promise<MergeJournal> {
    const j = await this.deps.store.getMerge(sourceOrgId);
    if (!j) throw new IdsyncError('merge.not_found', `no merge of organization ${sourceOrgId} was started`, { orgId: sourceOrgId });
    return j;
  }

  private async run(journal: MergeJournal, actor: Actor): Promise<MergeReport> {
    const ctx: StepContext = { deps: this.deps, writer: this.writer, invitations: this.invitations, publicUrl: this.publicUrl, actor, plan: journal.plan, linkUrls: [] };
    const done = new Set(journal.done);
    let applied = 0;
    for (const step of mergeSteps(journal.plan)) {
      if (done.has(step.key)) continue;
      await applyStep(ctx, step);
      applied += 1;
      const at = this.deps.clock.now().toISOString();
      await this.deps.store.updateMerge(journal.sourceOrgId, (j) => (j.done.includes(step.key) ? null : { next: { ...j, done: [...j.done, step.key], updatedAt: at } }));
    }
    const at = this.deps.clock.now().toISOString();
    await this.deps.store.updateMerge(journal.sourceOrgId, (j) => (j.status === 'completed' ? null : { next: { ...j, status: 'completed', finishedAt: at, updatedAt: at } }));
    this.deps.logger.info('organizations merged', { sourceOrgId: journal.sourceOrgId, targetOrgId: journal.targetOrgId, stepsApplied: applied });
    return this.report(journal.plan, false, ctx.linkUrls, applied, true);
  }

  private report(plan: MergePlan, dryRun: boolean, linkUrls: MergeReport['linkUrls'], stepsApplied: number, completed = false): MergeReport {
    return { sourceOrgId: plan.sourceOrgId, targetOrgId: plan.targetOrgId, dryRun, status: completed && !dryRun ? 'completed' : 'planned', plan, auditCounts: auditCounts(plan.audit), linkUrls, stepsApplied };
  }
}

function refused(message: string, details: Record<string, unknown>): IdsyncError {
  return new IdsyncError('org.merge_refused', message, details);
}
