import { z } from 'zod';

/**
 * A connection's reconcile policy. Names and defaults are the contract documented in the README;
 * every deactivation above a budget is held for approval while everything else proceeds.
 */
export const policySchema = z
  .object({
    /** Link members to directory users by email when no identity or externalId matches (only within `domains`). */
    matchByEmail: z.boolean().default(true),
    domains: z.array(z.string().trim().toLowerCase()).default([]),
    deactivateSuspended: z.boolean().default(true),
    deactivateMissing: z.boolean().default(true),
    /** A member missing from complete listings is deactivated after a confirming point lookup, or after this many consecutive complete runs. */
    confirmMissingRuns: z.number().int().min(1).max(100).default(2),
    reactivate: z.enum(['never', 'ifDeactivatedByReconciler']).default('ifDeactivatedByReconciler'),
    maxDeactivations: z.number().int().min(0).default(10),
    maxDeactivationPercent: z.number().min(0).max(100).default(5),
    /** Member ids or emails never touched; owners are always exempt from automatic deactivation. */
    exempt: z.array(z.string()).default([]),
    autoInvite: z.boolean().default(false),
    inviteLink: z.boolean().default(false),
    /**
     * Act on the directory's change notifications (Graph subscriptions, GitHub webhooks) as hints:
     * one point lookup and the same guards as a run. Needs a public https URL; scheduled runs stay.
     */
    realtime: z.boolean().default(false),
    /**
     * Directory groups kept as teams: removals from one team above max(maxTeamRemovals members,
     * maxTeamRemovalPercent % of the team) in one run are held for approval; additions go on.
     */
    maxTeamRemovals: z.number().int().min(0).default(10),
    maxTeamRemovalPercent: z.number().min(0).max(100).default(20),
  })
  .strict();

export type ReconcilePolicy = z.output<typeof policySchema>;

export const DEFAULT_SCHEDULE = '*/15 * * * *';
