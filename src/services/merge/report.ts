import type { MergePlan } from '../../domain/merge-plan.js';

/** What `orgs merge` answers: the plan, and for an applied merge what this run did. */
export interface MergeReport {
  sourceOrgId: string;
  targetOrgId: string;
  dryRun: boolean;
  /** `planned`: a dry run (nothing written); `completed`: applied to the end. */
  status: 'planned' | 'completed';
  plan: MergePlan;
  /** The audit events applying it writes (dry run) or wrote (apply), by chain and action. */
  auditCounts: Record<string, Record<string, number>>;
  /** The URL of each link created in the target by this run (a token is shown once; rotate a link to see it again). */
  linkUrls: { sourceLinkId: string; linkId: string; url: string }[];
  /** Steps applied by this run (a resumed merge applies only the rest). */
  stepsApplied: number;
}
