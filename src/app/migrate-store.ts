import type { Config } from '../config/schema.js';
import { IdsyncError } from '../domain/errors.js';
import type { AuditEvent } from '../domain/model.js';
import { verifyChain } from '../ports/audit-chain.js';
import type { Logger } from '../ports/logger.js';
import { MAX_PAGE_LIMIT, PROVIDER_SCOPE, type Store } from '../ports/store.js';
import { TRANSFER_KINDS, type StoreImporter, type TransferKind, type TransferRecord } from '../ports/store-transfer.js';
import { exportStore, NOT_MOVED } from '../services/store-transfer/export.js';
import { openStore } from './open-store.js';
import { openSqliteStore } from '../store/sqlite/store.js';
import { resolve } from 'node:path';

/** Where `migrate-store` writes: a PostgreSQL URL (and schema), a SQLite file, or a Redis URL (and key prefix). */
export type MigrateTarget = { store: 'postgres'; url: string; schema?: string } | { store: 'sqlite'; path: string } | { store: 'redis'; url: string; keyPrefix?: string; clusterNodes?: { host: string; port: number }[] };

export interface ChainCheck {
  scope: string;
  ok: boolean;
  events: number;
}

export interface MigrateSummary {
  from: string;
  to: string;
  dryRun: boolean;
  /** Records read from the source, by kind. */
  source: Record<TransferKind, number>;
  /** Records the target holds afterwards (absent in a dry run). */
  target?: Record<TransferKind, number>;
  /** Records this run wrote (the rest were there from an earlier, interrupted run). */
  written: number;
  /** What is never moved (short-lived records, delivered and failed SETs). */
  notMoved: readonly string[];
  /** `audit verify` of every chain on the target. */
  chains: ChainCheck[];
  ok: boolean;
  durationMs: number;
}

const BATCH = 500;
const zero = () => Object.fromEntries(TRANSFER_KINDS.map((k) => [k, 0])) as Record<TransferKind, number>;

/**
 * `idsync migrate-store`: copies every record of the configured store into the target, verbatim,
 * streaming in batches (memory stays bounded by a page and a batch), then compares counts and
 * verifies every audit chain on the target. Run it while the daemon is stopped. Interrupted, it can
 * be run again: what is already in the target is skipped.
 */
export async function migrateStore(config: Config, target: MigrateTarget, opts: { dryRun: boolean; logger: Logger }): Promise<MigrateSummary> {
  const started = Date.now();
  if (isConfiguredStore(config, target)) throw new IdsyncError('request.invalid', 'the target is the configured store itself');
  const from = config.store;
  const to = describeTarget(target);
  const source = await openStore(config, opts.logger);
  const counted = zero();
  let written = 0;
  try {
    if (opts.dryRun) {
      for await (const r of exportStore(source)) counted[r.kind]++;
      return { from, to, dryRun: true, source: counted, notMoved: NOT_MOVED, written: 0, chains: [], ok: true, durationMs: Date.now() - started };
    }
    const importer = await openImporter(target);
    try {
      let batch: TransferRecord[] = [];
      for await (const r of exportStore(source)) {
        counted[r.kind]++;
        batch.push(r);
        if (batch.length >= BATCH) {
          written += await importer.importBatch(batch);
          batch = [];
        }
      }
      if (batch.length > 0) written += await importer.importBatch(batch);
      const after = await importer.counts();
      const check = await openTargetStore(target);
      try {
        const chains = await verifyAll(check);
        const ok = chains.every((c) => c.ok) && TRANSFER_KINDS.every((k) => after[k] === counted[k]);
        return { from, to, dryRun: false, source: counted, target: after, notMoved: NOT_MOVED, written, chains, ok, durationMs: Date.now() - started };
      } finally {
        await check.close();
      }
    } finally {
      await importer.close();
    }
  } finally {
    await source.close();
  }
}

/** Every org's chain and the provider chain, a page at a time. */
async function verifyAll(store: Store): Promise<ChainCheck[]> {
  const scopes: string[] = [];
  for (let offset = 0; ; offset += MAX_PAGE_LIMIT) {
    const page = await store.listOrgs({ offset, limit: MAX_PAGE_LIMIT });
    scopes.push(...page.items.map((o) => o.id));
    if (page.items.length < MAX_PAGE_LIMIT) break;
  }
  scopes.push(PROVIDER_SCOPE);
  const checks: ChainCheck[] = [];
  for (const scope of scopes) {
    let head = undefined as { seq: number; hash: string } | undefined;
    let events = 0;
    let ok = true;
    for (;;) {
      const page: AuditEvent[] = await store.listAudit(scope, { afterSeq: head?.seq ?? 0, limit: MAX_PAGE_LIMIT });
      if (page.length === 0) break;
      const r = verifyChain(page, head);
      if (!r.ok) {
        ok = false;
        break;
      }
      head = r.head;
      events += page.length;
    }
    if (scope !== PROVIDER_SCOPE || events > 0) checks.push({ scope, ok, events });
  }
  return checks;
}

function isConfiguredStore(config: Config, target: MigrateTarget): boolean {
  if (target.store !== config.store) return false;
  if (target.store === 'postgres') return config.postgres.url === target.url && config.postgres.schema === (target.schema ?? 'public');
  if (target.store === 'sqlite') return resolve(config.sqlite.path) === resolve(target.path);
  if (target.clusterNodes) return config.redis.clusterNodes.join(',') === target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',') && config.redis.keyPrefix === (target.keyPrefix ?? 'idsync');
  return config.redis.url === target.url && config.redis.keyPrefix === (target.keyPrefix ?? 'idsync');
}

function describeTarget(target: MigrateTarget): string {
  if (target.store === 'postgres') return `postgres ${describeUrl(target.url)} (schema ${target.schema ?? 'public'})`;
  if (target.store === 'sqlite') return `sqlite ${target.path}`;
  const where = target.clusterNodes ? `cluster ${target.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}` : describeUrl(target.url);
  return `redis ${where} (key prefix ${target.keyPrefix ?? 'idsync'})`;
}

/** The target's importer; each backend's modules load only when it is the target. */
async function openImporter(target: MigrateTarget): Promise<StoreImporter> {
  if (target.store === 'postgres') return (await import('../store/postgres/import.js')).openPostgresImporter({ url: target.url, schema: target.schema ?? 'public' });
  if (target.store === 'sqlite') return (await import('../store/sqlite/import.js')).openSqliteImporter({ path: target.path });
  return (await import('../store/redis/import.js')).openRedisImporter(redisConnection(target));
}

/** The target as a Store, for `audit verify` there. */
async function openTargetStore(target: MigrateTarget): Promise<Store> {
  if (target.store === 'postgres') return (await import('../store/postgres/store.js')).openPostgresStore({ url: target.url, schema: target.schema ?? 'public' });
  if (target.store === 'sqlite') return openSqliteStore({ path: target.path });
  const { createRedisStore } = await import('../store/redis/store.js');
  return createRedisStore({ connection: redisConnection(target) });
}

/** A Redis target's connection: one server's URL, or the seed nodes of a Cluster. */
function redisConnection(target: Extract<MigrateTarget, { store: 'redis' }>) {
  return { ...(target.clusterNodes ? { clusterNodes: target.clusterNodes } : { url: target.url }), ...(target.keyPrefix ? { keyPrefix: target.keyPrefix } : {}) };
}

/** A URL without its credentials. */
function describeUrl(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}
