import type { Actor } from './model.js';

export type BreakReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap';

/**
 * An org's latest audit chain verification run in the background (the console's Verify chain, the
 * admin API's verifications): its progress while it runs and its verdict after. One per org; a new
 * run replaces the last. Bookkeeping: written without an audit event (the finished run appends
 * `audit.verified` itself).
 */
export interface AuditVerification {
  id: string;
  orgId: string;
  /** `running` until the verdict; `failed` when it could not finish (store error, the replica stopped). */
  status: 'running' | 'intact' | 'broken' | 'failed';
  requestedBy: Actor;
  startedAt: string;
  /** Last progress write; a running record not updated within the lease is a run that stopped. */
  updatedAt: string;
  finishedAt?: string;
  /** The chain's length when the run started (events appended meanwhile are verified too). */
  total: number;
  /** Events verified so far (intact: all of them; broken: those before the break). */
  checked: number;
  /** The last verified event. */
  head?: { seq: number; hash: string };
  break?: { seq: number; reason: BreakReason; eventId?: string };
  error?: string;
}
