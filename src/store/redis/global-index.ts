import { IdsyncError } from '../../domain/errors.js';
import type { RedisContext } from './context.js';

/**
 * Helpers for global index entries that live under a tag of their own and point into an org (see
 * credentials.ts for the protocol): the entry is written before the org's script, idempotently;
 * removed again only when that script refused for certain; and every read through it checks the
 * org's record, so an entry left behind by a crash or a race finds nothing.
 */

/** A global entry's value: the org the record lives in, and its id. */
export interface OrgRef {
  orgId: string;
  id: string;
}

export const refJson = (orgId: string, id: string) => JSON.stringify({ orgId, id } satisfies OrgRef);

/**
 * Claims `field -> value` in a global HASH. A fresh entry or the same value again is fine; a field
 * that holds another value belongs to another record, which is a programming error (ids and token
 * hashes are unique), reported as `internal`.
 */
export async function claimHashEntry(ctx: RedisContext, key: string, field: string, value: string, what: string): Promise<void> {
  const added = await ctx.call((c) => c.hsetnx(key, field, value));
  if (added === 0 && (await ctx.call((c) => c.hget(key, field))) !== value) {
    throw new IdsyncError('internal', `another ${what} already holds this id or token hash`);
  }
}

/** Removes `field` only if it still holds `value`; best effort (an entry left behind is harmless). */
export async function releaseHashEntry(ctx: RedisContext, key: string, field: string, value: string): Promise<void> {
  await bestEffort(() => ctx.script('hdelIfEquals', [key], [field, value]));
}

/** Cleanup that may fail without consequence: the original outcome is what the caller needs to see. */
export async function bestEffort(undo: () => Promise<unknown>): Promise<void> {
  try {
    await undo();
  } catch {
    // Entries left behind are ignored by every read.
  }
}
