import type { MergeJournal, MergeStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { mergeNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type PostgresContext, type Sql } from './context.js';

/**
 * Merge journals, one row per source organization. Bookkeeping (no org lock, no audit): a create
 * racing another for one source waits on its row and then returns the journal that won.
 */
export class PostgresMerges implements MergeStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createMerge(journal: MergeJournal): Promise<{ journal: MergeJournal; created: boolean }> {
    return this.ctx.write(null, async (tx) => {
      const existing = await this.#read(tx, journal.sourceOrgId);
      if (existing) return { journal: existing, created: false };
      await this.ctx.assertOrg(tx, journal.sourceOrgId);
      const inserted = await tx.exec('INSERT INTO org_merges (source_org_id, target_org_id, version, data) VALUES ($1, $2, $3, $4) ON CONFLICT (source_org_id) DO NOTHING', [
        journal.sourceOrgId,
        journal.targetOrgId,
        journal.version,
        JSON.stringify(journal),
      ]);
      if (inserted === 1) return { journal, created: true };
      // Another create committed first: each statement sees what was committed before it began.
      const winner = await this.#read(tx, journal.sourceOrgId);
      if (!winner) throw mergeNotFound(journal.sourceOrgId);
      return { journal: winner, created: false };
    });
  }

  async getMerge(sourceOrgId: string): Promise<MergeJournal | undefined> {
    return this.ctx.read((sql) => this.#read(sql, sourceOrgId));
  }

  async updateMerge(sourceOrgId: string, updater: Updater<MergeJournal, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<MergeJournal>> {
    return this.ctx.write(null, async (tx) => {
      const current = await this.#read(tx, sourceOrgId, true);
      if (!current) throw mergeNotFound(sourceOrgId);
      return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
        await tx.exec('UPDATE org_merges SET version = $1, data = $2 WHERE source_org_id = $3', [next.version, JSON.stringify(next), sourceOrgId]);
      });
    });
  }

  async #read(sql: Sql, sourceOrgId: string, forUpdate = false): Promise<MergeJournal | undefined> {
    return parse<MergeJournal>(await sql.one<DataRow>(`SELECT data FROM org_merges WHERE source_org_id = $1${forUpdate ? ' FOR UPDATE' : ''}`, [sourceOrgId]));
  }
}
