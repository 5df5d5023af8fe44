import type { Page, Store } from '../../ports/store.js';
import { MAX_PAGE_LIMIT } from '../../ports/store.js';

/** Record kinds a store holds that `migrate-store` does not move yet: left behind, they would be lost. */
export const UNMOVED_KINDS = ['roleMapping', 'merge', 'signalStream', 'signalKey', 'signalSet'] as const;
export type UnmovedKind = (typeof UNMOVED_KINDS)[number];

/**
 * Short-lived records `migrate-store` never moves (on the new store, users sign in again, portal
 * links are issued again, leases are claimed again and the request log starts over).
 */
export const NOT_MOVED = ['console sessions', 'portal links', 'leases', 'SCIM request log'] as const;

/**
 * How many records of each unmoved kind the store holds, read through the Store port: role mappings
 * and merge journals org by org, streams and signing keys whole, queued SETs as each stream's pending
 * ones (delivered and failed SETs are kept only to drop repeats and are not listable).
 */
export async function countUnmoved(store: Store): Promise<Record<UnmovedKind, number>> {
  const counts = Object.fromEntries(UNMOVED_KINDS.map((k) => [k, 0])) as Record<UnmovedKind, number>;
  for await (const org of paged((page) => store.listOrgs(page))) {
    counts.roleMapping += (await store.listRoleMappings(org.id)).length;
    if (await store.getMerge(org.id)) counts.merge++;
  }
  const streams = await store.listSignalStreams();
  counts.signalStream = streams.length;
  for (const s of streams) counts.signalSet += await store.countPendingSets(s.id);
  counts.signalKey = (await store.listSigningKeys()).length;
  return counts;
}

async function* paged<T>(list: (page: { offset: number; limit: number }) => Promise<Page<T>>): AsyncGenerator<T> {
  for (let offset = 0; ; offset += MAX_PAGE_LIMIT) {
    const page = await list({ offset, limit: MAX_PAGE_LIMIT });
    yield* page.items;
    if (page.items.length < MAX_PAGE_LIMIT || offset + page.items.length >= page.total) return;
  }
}
