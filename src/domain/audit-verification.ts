import type { AnchorCheck, AnchorStatus } from './audit-anchor.js';
import type { Actor } from './model.js';

/**
 * Why a verification failed. The chain's own: `hash_mismatch`, `prev_hash_mismatch`, `seq_gap`.
 * Against an anchor, with the chain itself intact: `anchor_mismatch` (the event at the anchor's seq
 * has another hash: rewritten) and `truncated` (the trail ends before the anchor's seq: its end was
 * cut off; the break's seq is the first event missing).
 */
export type BreakReason = 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'anchor_mismatch' | 'truncated';
export const BREAK_REASONS: readonly BreakReason[] = ['hash_mismatch', 'prev_hash_mismatch', 'seq_gap', 'anchor_mismatch', 'truncated'];

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
  /** The anchor the run was asked to check against, and (once it finished) what it found. */
  anchor?: Omit<AnchorCheck, 'status'> & { status?: AnchorStatus };
}
