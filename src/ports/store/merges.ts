import type { MergePlan } from '../../domain/merge-plan.js';
import type { UpdateOptions, UpdateResult, Updater } from './types.js';

/**
 * The journal of an organization merge: the plan as it was made when the merge started (with every
 * id it mints) and the steps applied so far. Applying a step and marking it done are two writes; a
 * step is written so that running it again finds its own record, so a merge killed between the two
 * and run again repeats nothing and loses nothing.
 */
export interface MergeJournal {
  /** One journal per source organization (a source is merged once). */
  sourceOrgId: string;
  targetOrgId: string;
  status: 'running' | 'completed';
  plan: MergePlan;
  /** Keys of the steps applied, in order. */
  done: string[];
  startedAt: string;
  finishedAt?: string;
  updatedAt: string;
  version: number;
}

/** Merge journals: bookkeeping written without an audit event (the merge audits its steps itself). */
export interface MergeStore {
  /** Returns the journal already recorded for the source when there is one (it is never replaced). */
  createMerge(journal: MergeJournal): Promise<{ journal: MergeJournal; created: boolean }>;
  getMerge(sourceOrgId: string): Promise<MergeJournal | undefined>;
  /** Compare-and-swap (AuditMode `unaudited`); `merge.not_found` when there is none. */
  updateMerge(sourceOrgId: string, updater: Updater<MergeJournal, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<MergeJournal>>;
}
