import type { MergeJournal, MergeStore, UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { mergeNotFound, versionMismatch } from '../shared/record-errors.js';
import { parseJson, RETRY, type RedisContext } from './context.js';
import { okOrRetry, orgNotFound } from './writes.js';

/** Merge journals: one JSON key under the source org's tag, created with SET NX and replaced by compare-and-swap. */
export class RedisMerges implements MergeStore {
  constructor(private readonly ctx: RedisContext) {}

  async createMerge(journal: MergeJournal): Promise<{ journal: MergeJournal; created: boolean }> {
    const k = this.ctx.keys.forOrg(journal.sourceOrgId);
    if ((await this.ctx.call((c) => c.exists(k.org))) === 0) throw orgNotFound(journal.sourceOrgId);
    const set = await this.ctx.call((c) => c.set(k.merge, JSON.stringify(journal), 'NX'));
    if (set === 'OK') return { journal, created: true };
    const existing = await this.getMerge(journal.sourceOrgId);
    if (!existing) throw mergeNotFound(journal.sourceOrgId);
    return { journal: existing, created: false };
  }

  async getMerge(sourceOrgId: string): Promise<MergeJournal | undefined> {
    return parseJson<MergeJournal>(await this.ctx.call((c) => c.get(this.ctx.keys.forOrg(sourceOrgId).merge)));
  }

  async updateMerge(sourceOrgId: string, updater: Updater<MergeJournal, 'unaudited'>, opts?: UpdateOptions): Promise<UpdateResult<MergeJournal>> {
    const key = this.ctx.keys.forOrg(sourceOrgId).merge;
    return this.ctx.write(sourceOrgId, async () => {
      const raw = await this.ctx.call((c) => c.get(key));
      const current = parseJson<MergeJournal>(raw);
      if (raw === null || !current) throw mergeNotFound(sourceOrgId);
      if (opts?.ifVersion !== undefined && opts.ifVersion !== current.version) throw versionMismatch(opts.ifVersion, current.version);
      const result = updater(current);
      if (!result) return { record: current, changed: false };
      const next: MergeJournal = { ...result.next, version: current.version + 1 };
      return okOrRetry('replaceIfEquals', await this.ctx.script('replaceIfEquals', [key], [raw, JSON.stringify(next)])) === RETRY ? RETRY : { record: next, changed: true };
    });
  }
}
