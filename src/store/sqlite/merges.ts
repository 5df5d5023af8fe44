import type { MergeJournal, MergeStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { mergeNotFound } from '../shared/record-errors.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Merge journals, one row per source organization. */
export class SqliteMerges implements MergeStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createMerge(journal: MergeJournal): Promise<{ journal: MergeJournal; created: boolean }> {
    return this.ctx.write(() => {
      const existing = this.#read(journal.sourceOrgId);
      if (existing) return { journal: existing, created: false };
      this.ctx.assertOrg(journal.sourceOrgId);
      this.ctx.stmt('INSERT INTO org_merges (source_org_id, target_org_id, version, data) VALUES (?, ?, ?, ?)').run(journal.sourceOrgId, journal.targetOrgId, journal.version, JSON.stringify(journal));
      return { journal, created: true };
    });
  }

  async getMerge(sourceOrgId: string): Promise<MergeJournal | undefined> {
    return this.ctx.run(() => this.#read(sourceOrgId));
  }

  async updateMerge(sourceOrgId: string, updater: Updater<MergeJournal, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<MergeJournal>> {
    return this.ctx.write(() => {
      const current = this.#read(sourceOrgId);
      if (!current) throw mergeNotFound(sourceOrgId);
      return this.ctx.applyUpdate(current, updater, opts, (next) => {
        this.ctx.stmt('UPDATE org_merges SET version = ?, data = ? WHERE source_org_id = ?').run(next.version, JSON.stringify(next), sourceOrgId);
      });
    });
  }

  #read(sourceOrgId: string): MergeJournal | undefined {
    return parse<MergeJournal>(this.ctx.stmt('SELECT data FROM org_merges WHERE source_org_id = ?').get(sourceOrgId) as DataRow | undefined);
  }
}
