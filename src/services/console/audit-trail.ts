import { IdsyncError } from '../../domain/errors.js';
import type { AuditEvent } from '../../domain/model.js';
import type { AuditHead, AuditService, VerifyResult } from '../audit.js';
import { assertCanManage, type Principal } from '../authz.js';
import type { ServiceDeps } from '../deps.js';

export interface AuditTrailQuery {
  /** Action prefix: `member.` matches every member event, `member.removed` that one. */
  action?: string;
  /** Actor kind (`admin`, `scim`, `portal`, …). */
  actor?: string;
  /** Events at or after this time. */
  from?: Date;
  /** Events at or before this time. */
  to?: Date;
  /** Continue with events older than this seq (a previous page's `next`). */
  before?: number;
  limit?: number;
}

export interface AuditTrailPage {
  /** Newest first. */
  items: AuditEvent[];
  /** The seq to continue below; absent when the trail (or the date range) is exhausted. */
  next?: number;
  /** Events read to answer (a page with few matches may stop at the scan budget and offer `next`). */
  scanned: number;
  /** Events in the org's trail. */
  total: number;
  /** The trail's last event (absent for an empty trail): the anchor to record outside idsync. */
  head?: AuditHead;
}

const PAGE = 50;
/** Events one request reads at most while filtering; the page then offers to go on. */
const SCAN = 5000;
const WINDOW = 500;

/**
 * The org's audit trail for the console: newest first, filtered by action prefix, actor kind and a
 * date range, paged by seq. The store lists a chain forwards (seq > n), so the head and the ends of
 * a date range are found by binary search over seq (a few dozen one-event reads at 100,000 events),
 * and pages are read backwards in windows. Appends happen under the org's lock with the daemon's
 * clock, so seq order is time order. Same standing as the admin API's audit routes: org admins.
 */
export class AuditTrail {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly audit: AuditService,
  ) {}

  async page(p: Principal, orgId: string, q: AuditTrailQuery): Promise<AuditTrailPage> {
    assertCanManage(p, orgId);
    await this.assertOrg(orgId);
    const limit = Math.min(Math.max(q.limit ?? PAGE, 1), 200);
    const total = await this.audit.headSeq(orgId);
    const last = total ? (await this.audit.list(orgId, { afterSeq: total - 1, limit: 1 }))[0] : undefined;
    const head = last ? { head: { seq: last.seq, hash: last.hash, at: last.at } } : {};
    let top = q.before !== undefined ? Math.min(q.before - 1, total) : total;
    if (q.to) top = Math.min(top, await this.lastAtOrBefore(orgId, q.to, total));
    const items: AuditEvent[] = [];
    let scanned = 0;
    while (top >= 1 && scanned < SCAN) {
      const lo = Math.max(1, top - WINDOW + 1);
      const batch = (await this.audit.list(orgId, { afterSeq: lo - 1, limit: top - lo + 1 })).reverse();
      for (const e of batch) {
        scanned += 1;
        top = e.seq - 1;
        if (q.from && Date.parse(e.at) < q.from.getTime()) return { items, scanned, total, ...head };
        if (q.action && !e.action.startsWith(q.action)) continue;
        if (q.actor && e.actor.kind !== q.actor) continue;
        items.push(e);
        if (items.length === limit) return { items, ...(top >= 1 ? { next: e.seq } : {}), scanned, total, ...head };
      }
      if (!batch.length) break;
    }
    return { items, ...(top >= 1 ? { next: top + 1 } : {}), scanned, total, ...head };
  }

  async verify(p: Principal, orgId: string): Promise<VerifyResult> {
    assertCanManage(p, orgId);
    await this.assertOrg(orgId);
    return this.audit.verify(orgId);
  }

  /** The largest seq whose event is at or before `to` (0: none), by bisecting the chain's times. */
  private async lastAtOrBefore(orgId: string, to: Date, head: number): Promise<number> {
    const atOf = async (seq: number) => Date.parse((await this.audit.list(orgId, { afterSeq: seq - 1, limit: 1 }))[0]?.at ?? '');
    let lo = 0;
    let hi = head;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if ((await atOf(mid)) <= to.getTime()) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  private async assertOrg(orgId: string): Promise<void> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  }
}
