import { IdsyncError } from '../../domain/errors.js';
import { parseStatusFilter, type ScimLogPage, type ScimLogQuery } from '../../domain/scim-log.js';
import type { ServiceDeps } from '../deps.js';

/** Retention of the SCIM request log (config scim.requestLogDays, scim.requestLogMaxPerOrg). */
export interface ScimLogRetention {
  /** 0: the log is off (nothing is recorded, nothing pruned). */
  days: number;
  maxPerOrg: number;
}

/** The filters as the CLI and the admin API take them: text, parsed and checked here once. */
export interface ScimLogRequest {
  since?: string;
  status?: string;
  method?: string;
  resource?: string;
  limit?: number;
  cursor?: string;
}

export const SCIM_LOG_MAX_LIMIT = 1000;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Reads an org's SCIM request log and applies its retention. */
export class ScimLogService {
  constructor(
    private readonly deps: ServiceDeps,
    readonly retention: ScimLogRetention,
  ) {}

  get enabled(): boolean {
    return this.retention.days > 0;
  }

  /** A page of the org's log, newest first; `org.not_found` for an unknown org. */
  async list(orgId: string, req: ScimLogRequest): Promise<ScimLogPage> {
    const query = this.parse(req);
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return this.deps.store.listScimLog(orgId, query);
  }

  /** Drops entries older than the retention days and beyond the per-org count. */
  async prune(): Promise<number> {
    if (!this.enabled) return 0;
    const before = new Date(this.deps.clock.now().getTime() - this.retention.days * UNIT_MS.d!);
    return this.deps.store.pruneScimLog({ before, maxPerOrg: this.retention.maxPerOrg });
  }

  parse(req: ScimLogRequest): ScimLogQuery {
    const limit = req.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 1 || limit > SCIM_LOG_MAX_LIMIT) throw invalid('limit', `limit must be an integer from 1 to ${SCIM_LOG_MAX_LIMIT}`);
    const q: ScimLogQuery = { limit };
    if (req.since !== undefined) q.since = this.since(req.since);
    if (req.status !== undefined) {
      const status = parseStatusFilter(req.status);
      if (!status) throw invalid('status', 'status must be a code such as 409 or a class such as 4xx');
      q.status = status;
    }
    if (req.method !== undefined) {
      if (!/^[A-Za-z]{3,7}$/.test(req.method)) throw invalid('method', 'method must be an HTTP method such as POST');
      q.method = req.method.toUpperCase();
    }
    if (req.resource !== undefined) q.resourceType = req.resource;
    if (req.cursor !== undefined) q.before = req.cursor;
    return q;
  }

  /** `90s`, `15m`, `1h`, `7d` before now, or an ISO 8601 time. */
  private since(s: string): Date {
    const rel = /^(\d+)([smhd])$/.exec(s.trim());
    if (rel) return new Date(this.deps.clock.now().getTime() - Number(rel[1]) * UNIT_MS[rel[2]!]!);
    const t = /^\d{4}-\d{2}-\d{2}/.test(s) ? Date.parse(s) : Number.NaN;
    if (Number.isNaN(t)) throw invalid('since', 'since must be a duration such as 1h or 7d, or an ISO 8601 time');
    return new Date(t);
  }
}

const invalid = (field: string, message: string) => new IdsyncError('request.invalid', message, { field });
