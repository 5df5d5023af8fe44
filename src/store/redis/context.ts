import type { ChainableCommander } from 'ioredis';
import { IdsyncError } from '../../domain/errors.js';
import type { AuditDraft, AuditEvent } from '../../domain/model.js';
import { EMPTY_HEAD, nextAuditRecords, type ChainHead } from '../shared/audit-records.js';
import { mapRedisError, unavailable, waitUntilReady, type RedisClient } from './client.js';
import type { RedisKeys } from './keys.js';
import { KeyedMutex } from '../../runtime/keyed-mutex.js';
import type { RedisScripts, ScriptName } from './scripts.js';

/** Returned by a write attempt that lost a race (audit head moved, record changed): run it again. */
export const RETRY = Symbol('retry');
export type Attempt<T> = T | typeof RETRY;

/** A script's reply: a status word, then status-specific values. */
export type ScriptReply = readonly [string, ...(string | number)[]];

/** The audit half of a writing script's KEYS and ARGV (see lua/includes/appendAudit.lua). */
export interface AuditParts {
  event: AuditEvent;
  keys: string[];
  args: string[];
}

/** Attempts before a write gives up under cross-process contention on one org. */
const MAX_ATTEMPTS = 100;

/**
 * What the Redis store's parts share: the client and its readiness, key names, scripts, error
 * mapping, and the write loop (per-org mutex, audit head compare-and-swap, retry).
 */
export class RedisContext {
  readonly isCluster: boolean;
  private readonly mutex: KeyedMutex;
  private everReady: boolean;
  private firstConnection: Promise<void> | undefined;
  /** Scopes this process has already put in the global outbox index (entries are never removed). */
  private readonly outboxScopes = new Map<string, Promise<void>>();

  constructor(
    readonly client: RedisClient,
    readonly keys: RedisKeys,
    private readonly scripts: RedisScripts,
    readonly now: () => Date,
    private readonly connectTimeoutMs: number,
    lockWaitMs: number,
  ) {
    this.mutex = new KeyedMutex(lockWaitMs, (key, ms) => unavailable(`writes to ${key} are queued for more than ${ms} ms`));
    this.isCluster = client.isCluster;
    this.everReady = client.status === 'ready';
    client.on('ready', () => {
      this.everReady = true;
    });
  }

  /**
   * Waits (bounded) for the first connection only; once the client has been ready, a client that is
   * not ready means Redis is away and the call fails fast with `store.unavailable`.
   */
  async ready(): Promise<void> {
    const status = this.client.status;
    if (status === 'ready') return;
    if (this.everReady || status === 'end') throw unavailable(`the connection is ${status}`);
    this.firstConnection ??= waitUntilReady(this.client, this.connectTimeoutMs).finally(() => {
      this.firstConnection = undefined;
    });
    await this.firstConnection;
  }

  async call<T>(fn: (client: RedisClient) => Promise<T>): Promise<T> {
    await this.ready();
    try {
      return await fn(this.client);
    } catch (err) {
      throw mapRedisError(err);
    }
  }

  async script(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<ScriptReply> {
    const reply = await this.call(() => this.scripts.run(name, keys, args));
    if (!Array.isArray(reply) || typeof reply[0] !== 'string') {
      throw new IdsyncError('internal', `Lua script ${name} replied ${JSON.stringify(reply)}`);
    }
    return reply as unknown as ScriptReply;
  }

  /** One MULTI/EXEC: a consistent snapshot of keys that share a hash tag. */
  async snapshot(build: (multi: ChainableCommander) => ChainableCommander): Promise<unknown[]> {
    const rows = await this.call((c) => build(c.multi()).exec());
    if (!rows) throw new IdsyncError('internal', 'Redis transaction was discarded');
    return rows.map(([err, value]) => {
      if (err) throw mapRedisError(err);
      return value;
    });
  }

  async readHead(scope: string): Promise<ChainHead> {
    const [seq, hash] = await this.call((c) => c.hmget(this.keys.forOrg(scope).auditHead, 'seq', 'hash'));
    return parseHead(seq ?? null, hash ?? null);
  }

  /** Builds the next event of the draft's chain (hashed here: Redis Lua has no sha256). */
  audit(draft: AuditDraft, head: ChainHead): AuditParts {
    const { event, outbox } = nextAuditRecords(draft, head, this.now().toISOString());
    const k = this.keys.forOrg(draft.orgId);
    return {
      event,
      keys: [k.auditHead, k.auditEvents, k.outbox],
      args: [String(head.seq), head.hash, event.hash, JSON.stringify(event), JSON.stringify(outbox)],
    };
  }

  /**
   * Runs a write attempt under the org's in-process lock until it neither loses the audit head nor
   * finds its record changed. Each attempt re-reads what it depends on.
   *
   * The lock key is the scope whose records (and, on a Cluster, whose audit chain: assertOneSlot)
   * the write changes; it is added to the global outbox index (`{outbox}`) before the first write,
   * so listOrgsWithOutboxBacklog finds every scope with an outbox. The entry is written once per
   * scope and process, and readers check each scope's head against the cursor.
   */
  async write<T>(lockKey: string, attempt: () => Promise<Attempt<T>>): Promise<T> {
    await this.noteOutboxScope(lockKey);
    return this.mutex.run(lockKey, async () => {
      for (let i = 0; i < MAX_ATTEMPTS; i++) {
        const result = await attempt();
        if (result !== RETRY) return result;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * Math.min(2 ** i, 50)));
      }
      throw new IdsyncError('store.unavailable', `gave up writing to ${lockKey} after ${MAX_ATTEMPTS} attempts: other processes keep changing it`);
    });
  }

  private noteOutboxScope(scope: string): Promise<void> {
    let noted = this.outboxScopes.get(scope);
    if (!noted) {
      noted = this.call((c) => c.sadd(this.keys.outbox.scopes, scope)).then(() => undefined);
      this.outboxScopes.set(scope, noted);
      // A failed attempt is forgotten, so the next write tries again.
      noted.catch(() => this.outboxScopes.delete(scope));
    }
    return noted;
  }

  /**
   * On a Cluster a script can only touch one slot, so the audit event must belong to the org whose
   * records the script changes. A standalone or Sentinel server runs such a script atomically anyway.
   */
  assertOneSlot(draft: AuditDraft, recordScope: string): void {
    if (this.isCluster && this.keys.forOrg(draft.orgId).tag !== this.keys.forOrg(recordScope).tag) {
      throw new IdsyncError('internal', `on Redis Cluster the audit event of a change to ${recordScope} must be in that scope, not ${draft.orgId}`, {
        scope: recordScope,
        auditScope: draft.orgId,
      });
    }
  }
}

export function parseHead(seq: string | null, hash: string | null): ChainHead {
  return seq === null || hash === null ? EMPTY_HEAD : { seq: Number(seq), hash };
}

export function parseJson<T>(raw: unknown): T | undefined {
  return typeof raw === 'string' ? (JSON.parse(raw) as T) : undefined;
}

export function unexpectedReply(name: string, reply: ScriptReply): IdsyncError {
  return new IdsyncError('internal', `Lua script ${name} replied ${JSON.stringify(reply)}`);
}
