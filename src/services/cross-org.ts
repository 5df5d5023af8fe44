import type { Organization } from '../domain/model.js';
import type { ServiceDeps } from './deps.js';

/** Lookups of candidate orgs done at once (each is one store read). */
const BATCH = 32;

/**
 * The organizations of candidate ids from the store's cross-org indexes (ports/store/cross-org.ts),
 * distinct, existing and not merged away, in creation order (the order a walk of listOrgs gave).
 * Candidates are only that: callers still look in each org with the per-org lookups.
 */
export async function candidateOrgs(deps: ServiceDeps, ...idLists: readonly (readonly string[])[]): Promise<Organization[]> {
  const ids = [...new Set(idLists.flat())];
  const orgs: Organization[] = [];
  for (let i = 0; i < ids.length; i += BATCH) {
    for (const org of await Promise.all(ids.slice(i, i + BATCH).map((id) => deps.store.getOrg(id)))) if (org && org.state !== 'merged') orgs.push(org);
  }
  return orgs.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}
