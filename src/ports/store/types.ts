import type { AuditDraft, MemberKind, MemberStatus, Role } from '../../domain/model.js';

export interface PageRequest {
  offset?: number;
  limit?: number;
}

export interface Page<T> {
  items: T[];
  /** Total matching records, independent of offset/limit. */
  total: number;
}

export interface MemberQuery extends PageRequest {
  /** Default: every status, including removed tombstones. */
  statuses?: MemberStatus[];
  roles?: Role[];
  /** Default: every kind (people and service accounts); callers that show people pass ['person']. */
  kinds?: MemberKind[];
}

/**
 * Whether the records an update changes are audited. Nearly every record is (`audited`: the change
 * goes with exactly one audit event and outbox record); reconcile runs are bookkeeping that nobody
 * audits (`unaudited`: the services audit approvals and actions themselves). It is a type parameter
 * of the one Updater shape rather than a second updater type, so every update method keeps the same
 * compare-and-swap contract and result, and an audit draft returned where none is written (or one
 * missing where it is required) is a compile error.
 */
export type AuditMode = 'audited' | 'unaudited';

/** What an updater returns for a change: the next record, with its audit draft when the records are audited. */
export type UpdateStep<T, M extends AuditMode = 'audited'> = M extends 'audited' ? { next: T; audit: AuditDraft } : { next: T; audit?: never };

/**
 * Compare-and-swap update. The updater gets the current record and returns the next one (with its
 * audit draft, see AuditMode), or null when nothing changes (no write, no audit). Without
 * `ifVersion` a backend that lost a race re-reads and calls the updater again, so an updater must be
 * a pure function of the record it gets; with `ifVersion`, a mismatch throws `version.mismatch`.
 * The store bumps `version`.
 */
export type Updater<T, M extends AuditMode = 'audited'> = (current: T) => UpdateStep<T, M> | null;

export interface UpdateOptions {
  ifVersion?: number;
}

export interface UpdateResult<T> {
  record: T;
  changed: boolean;
}

/** Audit events of provider-level actions (provider-wide admin keys) form their own chain. */
export const PROVIDER_SCOPE = 'provider';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 1000;
