import type { Member } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';
import type { RoleEvaluator, RoleOutcome, RoleWriteMeta } from './evaluate.js';

/** Members read per keyset page of a sweep (each page's moved roles are one or two store transactions). */
const PAGE = 500;

export interface SweepResult {
  evaluated: number;
  changed: number;
  skipped: number;
  /** The members whose role moved or was refused by an owner rule, in the org's member order. */
  outcomes: RoleOutcome[];
}

/**
 * Re-evaluates every live member of an org against its mappings: the safety net after drift (a
 * mapping or membership written around the services, a restore, a rule change). Walks the members
 * in keyset pages, reading the mappings and the owner count once, and writes each page's moved
 * roles in batches (RoleEvaluator.reevaluateMembers). Re-running it changes nothing.
 */
export async function sweepOrg(deps: ServiceDeps, evaluator: RoleEvaluator, orgId: string, meta: RoleWriteMeta): Promise<SweepResult> {
  const scope = await evaluator.scope(orgId);
  const result: SweepResult = { evaluated: 0, changed: 0, skipped: 0, outcomes: [] };
  let after: string | undefined;
  for (;;) {
    const page = await deps.store.listMembersAfter(orgId, { statuses: ['active', 'inactive'], limit: PAGE, countTotal: false, ...(after !== undefined ? { after } : {}) });
    const members: Member[] = page.items;
    for (const o of await evaluator.reevaluateMembers(scope, members, meta)) {
      result.evaluated += 1;
      if (o.result === 'unchanged') continue;
      if (o.result === 'changed') result.changed += 1;
      else result.skipped += 1;
      result.outcomes.push(o);
    }
    if (page.items.length < PAGE) return result;
    after = page.positions.at(-1);
  }
}
