import { IdsyncError } from '../../domain/errors.js';
import { matchesScimLogFilter, type ScimLogEntry, type ScimLogPage, type ScimLogQuery, type StoredScimLogEntry } from '../../domain/scim-log.js';
import type { ScimLogStore } from '../../ports/store.js';
import type { RedisContext } from './context.js';

/** Entries read per XRANGE/XREVRANGE while filtering or pruning. */
const BATCH = 500;

type StreamRows = [id: string, fields: string[]][];

/**
 * The SCIM request log as one stream per org: XADD appends in arrival order, stream ids are the
 * cursors (XREVRANGE with an exclusive end pages newest first), XADD MAXLEN ~ keeps the count near
 * its bound as entries come, XTRIM MAXLEN = holds it exactly at each prune.
 * Retention by age reads each entry's own time rather than the id's, so it follows the injected
 * clock as SQLite does.
 */
export class RedisScimLog implements ScimLogStore {
  /** Orgs this process has put in the `{scim-log}` set (never removed: pruning an empty stream costs one call). */
  private readonly known = new Set<string>();

  constructor(private readonly ctx: RedisContext) {}

  async appendScimLog(entries: readonly ScimLogEntry[], opts?: { maxPerOrg?: number }): Promise<void> {
    const byOrg = new Map<string, ScimLogEntry[]>();
    for (const e of entries) {
      const list = byOrg.get(e.orgId);
      if (list) list.push(e);
      else byOrg.set(e.orgId, [e]);
    }
    const fresh = [...byOrg.keys()].filter((o) => !this.known.has(o));
    // The org joins the retention set before its first entry, so no stream escapes pruning.
    if (fresh.length > 0) {
      await this.ctx.call((c) => c.sadd(this.ctx.keys.scimLog.orgs, ...fresh));
      for (const o of fresh) this.known.add(o);
    }
    // Trimmed as it grows (XADD MAXLEN ~): Redis holds the log in memory, and a busy org must not
    // grow it for the ten minutes between prunes. `~` drops whole stream nodes only, which costs
    // next to nothing per entry; the prune's exact MAXLEN = keeps the bound to the entry.
    const cap = opts?.maxPerOrg === undefined ? undefined : String(Math.max(0, Math.floor(opts.maxPerOrg)));
    // One script call per org (its stream is one key, in the org's hash slot under Cluster).
    await Promise.all([...byOrg].map(([orgId, list]) => this.ctx.script('appendScimLog', [this.ctx.keys.forOrg(orgId).scimLog], [cap ?? '', ...list.map((e) => JSON.stringify(e))])));
  }

  async listScimLog(orgId: string, q: ScimLogQuery): Promise<ScimLogPage> {
    if (q.before !== undefined && !/^\d{1,20}-\d{1,20}$/.test(q.before)) {
      throw new IdsyncError('request.invalid', `SCIM log cursor ${JSON.stringify(q.before)} is not one this store issued`);
    }
    const key = this.ctx.keys.forOrg(orgId).scimLog;
    const items: StoredScimLogEntry[] = [];
    let end = q.before === undefined ? '+' : `(${q.before}`;
    const count = Math.max(BATCH, q.limit + 1);
    for (;;) {
      const rows = (await this.ctx.call((c) => c.xrevrange(key, end, '-', 'COUNT', count))) as StreamRows;
      for (const [id, fields] of rows) {
        const e = entryOf(fields);
        if (!e || !matchesScimLogFilter(e, q)) continue;
        // A further match exists: the page is full and has a successor.
        if (items.length === q.limit) return { items, next: items.at(-1)!.id };
        items.push({ ...e, id });
      }
      if (rows.length < count) return { items, next: null };
      end = `(${rows.at(-1)![0]}`;
    }
  }

  async pruneScimLog(opts: { before: Date; maxPerOrg: number }): Promise<number> {
    const orgs = await this.ctx.call((c) => c.smembers(this.ctx.keys.scimLog.orgs));
    let dropped = 0;
    for (const orgId of orgs) {
      const key = this.ctx.keys.forOrg(orgId).scimLog;
      dropped += await this.pruneByAge(key, opts.before.getTime());
      dropped += Number(await this.ctx.call((c) => c.xtrim(key, 'MAXLEN', '=', Math.max(0, opts.maxPerOrg))));
    }
    return dropped;
  }

  /** Trims the stream up to its first entry at or after the cutoff (entries are appended in time order). */
  private async pruneByAge(key: string, cutoff: number): Promise<number> {
    let dropped = 0;
    for (;;) {
      const rows = (await this.ctx.call((c) => c.xrange(key, '-', '+', 'COUNT', BATCH))) as StreamRows;
      if (rows.length === 0) return dropped;
      const firstKept = rows.find(([, fields]) => {
        const e = entryOf(fields);
        return e !== undefined && Date.parse(e.at) >= cutoff;
      });
      if (firstKept) return dropped + Number(await this.ctx.call((c) => c.xtrim(key, 'MINID', firstKept[0])));
      // The whole batch is older: drop it and look at the next.
      const [ms, seq] = rows.at(-1)![0].split('-');
      dropped += Number(await this.ctx.call((c) => c.xtrim(key, 'MINID', `${ms}-${Number(seq) + 1}`)));
      if (rows.length < BATCH) return dropped;
    }
  }
}

function entryOf(fields: string[]): ScimLogEntry | undefined {
  const i = fields.indexOf('e');
  return i >= 0 && typeof fields[i + 1] === 'string' ? (JSON.parse(fields[i + 1]!) as ScimLogEntry) : undefined;
}
