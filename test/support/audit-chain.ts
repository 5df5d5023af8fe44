import { join } from 'node:path';
import type { AuditEvent } from '../../src/domain/model.js';
import type { Store } from '../../src/ports/store.js';
import type { StoreImporter, TransferRecord } from '../../src/ports/store-transfer.js';
import { nextAuditRecords } from '../../src/store/shared/audit-records.js';

/**
 * Appends `n` events to an org's chain the fast way: built with the stores' own chain code and
 * written by the store's migrate-store importer (as bench/audit-verify.mjs does), so a test can have
 * a chain of 100,000 events in seconds. The daemon must not write to the org meanwhile.
 * `changeAt` stores the event of that seq with other content under its original hash (an edit made
 * outside idsync).
 */
export async function seedAuditChain(env: NodeJS.ProcessEnv, store: Store, orgId: string, n: number, opts: { changeAt?: number } = {}): Promise<AuditEvent> {
  const importer = await openImporter(env);
  try {
    let head = (await lastEvent(store, orgId))!;
    let batch: TransferRecord[] = [];
    const t0 = Date.parse(head.at);
    for (let i = 1; i <= n; i++) {
      const { event, outbox } = nextAuditRecords(
        { orgId, actor: { kind: 'admin', id: 'key-1', label: 'seed' }, action: 'team.updated', target: { type: 'team', id: `t${i}` }, after: { n: i } },
        head,
        new Date(t0 + i).toISOString(),
      );
      batch.push({ kind: 'audit', record: event.seq === opts.changeAt ? { ...event, after: { n: -1 } } : event }, { kind: 'outbox', record: outbox });
      head = event;
      if (batch.length >= 10_000) {
        await importer.importBatch(batch);
        batch = [];
      }
    }
    if (batch.length) await importer.importBatch(batch);
    await importer.counts();
    return head;
  } finally {
    await importer.close();
  }
}

async function lastEvent(store: Store, orgId: string): Promise<AuditEvent | undefined> {
  let last: AuditEvent | undefined;
  for (let after = 0; ; ) {
    const page = await store.listAudit(orgId, { afterSeq: after, limit: 1000 });
    if (!page.length) return last;
    last = page.at(-1);
    after = last!.seq;
  }
}

async function openImporter(env: NodeJS.ProcessEnv): Promise<StoreImporter> {
  // Batches of 10,000 records: on a loaded machine one can outlast the 2 s default command timeout (seen in a full run).
  if (env.IDSYNC_STORE === 'redis') return (await import('../../src/store/redis/import.js')).openRedisImporter({ url: env.IDSYNC_REDIS_URL!, commandTimeoutMs: 60_000 });
  if (env.IDSYNC_STORE === 'postgres') return (await import('../../src/store/postgres/import.js')).openPostgresImporter({ url: env.IDSYNC_POSTGRES_URL!, schema: 'public' });
  return (await import('../../src/store/sqlite/import.js')).openSqliteImporter({ path: join(env.IDSYNC_DATA_DIR!, 'idsync.db') });
}
