import { IdsyncError } from '../../domain/errors.js';
import type { ScimLogEntry, ScimLogPage, ScimLogQuery, StoredScimLogEntry } from '../../domain/scim-log.js';
import type { ScimLogStore } from '../../ports/store.js';
import type { PostgresContext } from './context.js';

/** Rows one retention statement deletes: each batch is its own short statement, so SCIM writes are not held up behind a large prune. */
const PRUNE_BATCH = 5000;

/** The SCIM request log in one table; the cursor is the row's seq. A batch is one multi-row insert. */
export class PostgresScimLog implements ScimLogStore {
  constructor(private readonly ctx: PostgresContext) {}

  async appendScimLog(entries: readonly ScimLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // WITH ORDINALITY keeps each org's entries in the given order (their seqs are its cursor).
    await this.ctx.read((sql) =>
      sql.exec(
        `INSERT INTO scim_log (org_id, at_ms, method, status, resource_type, data)
         SELECT o, a::bigint, m, s::int, r, d FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS u(o, a, m, s, r, d, i) ORDER BY i`,
        [
          entries.map((e) => e.orgId),
          entries.map((e) => String(Date.parse(e.at))),
          entries.map((e) => e.method),
          entries.map((e) => String(e.status)),
          entries.map((e) => e.resource?.type ?? null),
          entries.map((e) => JSON.stringify(e)),
        ],
      ),
    );
  }

  async listScimLog(orgId: string, q: ScimLogQuery): Promise<ScimLogPage> {
    const where = ['org_id = $1'];
    const args: (string | number)[] = [orgId];
    if (q.before !== undefined) {
      if (!/^\d{1,15}$/.test(q.before)) throw new IdsyncError('request.invalid', `SCIM log cursor ${JSON.stringify(q.before)} is not one this store issued`);
      where.push(`seq < $${args.push(Number(q.before))}`);
    }
    if (q.since) where.push(`at_ms >= $${args.push(q.since.getTime())}`);
    if (q.status) where.push(`status BETWEEN $${args.push(q.status.from)} AND $${args.push(q.status.to)}`);
    if (q.method) where.push(`method = $${args.push(q.method.toUpperCase())}`);
    if (q.resourceType) where.push(`resource_type = $${args.push(q.resourceType)}`);
    // One row more than asked says whether an older page exists.
    const rows = await this.ctx.read((sql) =>
      sql.rows<{ seq: number; data: string }>(`SELECT seq, data FROM scim_log WHERE ${where.join(' AND ')} ORDER BY seq DESC LIMIT $${args.length + 1}`, [...args, q.limit + 1]),
    );
    const items: StoredScimLogEntry[] = rows.slice(0, q.limit).map((r) => ({ ...(JSON.parse(r.data) as ScimLogEntry), id: String(r.seq) }));
    return { items, next: rows.length > q.limit ? items.at(-1)!.id : null };
  }

  async pruneScimLog(opts: { before: Date; maxPerOrg: number }): Promise<number> {
    let dropped = 0;
    const cutoff = opts.before.getTime();
    for (;;) {
      const n = await this.ctx.read((sql) => sql.exec('DELETE FROM scim_log WHERE seq IN (SELECT seq FROM scim_log WHERE at_ms < $1 LIMIT $2)', [cutoff, PRUNE_BATCH]));
      dropped += n;
      if (n < PRUNE_BATCH) break;
    }
    const over = await this.ctx.read((sql) => sql.rows<{ org_id: string }>('SELECT org_id FROM scim_log GROUP BY org_id HAVING count(*) > $1', [opts.maxPerOrg]));
    for (const { org_id: orgId } of over) {
      dropped += await this.ctx.read(async (sql) => {
        if (opts.maxPerOrg <= 0) return sql.exec('DELETE FROM scim_log WHERE org_id = $1', [orgId]);
        const keep = await sql.one<{ seq: number }>('SELECT seq FROM scim_log WHERE org_id = $1 ORDER BY seq DESC LIMIT 1 OFFSET $2', [orgId, opts.maxPerOrg - 1]);
        return keep ? sql.exec('DELETE FROM scim_log WHERE org_id = $1 AND seq < $2', [orgId, keep.seq]) : 0;
      });
    }
    return dropped;
  }
}
