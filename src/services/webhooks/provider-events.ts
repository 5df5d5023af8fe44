import type { OutboxRecord } from '../../domain/model.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';

/**
 * What the operator's webhook endpoints (the provider scope's) receive: every event of the provider
 * audit chain (`org.purged`, `signup.access_requested`, provider-wide admin keys, provider Shared
 * Signals streams, these endpoints' own changes), and from every org's chain its lifecycle events
 * below. Nothing else of an org (members, teams, …) reaches them: that is the org's own endpoints'.
 */
export const ORG_LIFECYCLE_EVENTS: readonly string[] = [
  'org.created',
  'org.updated',
  'org.deleted',
  'org.restored',
  'org.merge_started',
  'org.merged',
  'org.support_access_changed',
];

const lifecycle = new Set(ORG_LIFECYCLE_EVENTS);

/** True when an outbox record of `rec.orgId`'s chain goes to provider-scope endpoints. */
export function reachesOperator(rec: OutboxRecord): boolean {
  return rec.orgId === PROVIDER_SCOPE || lifecycle.has(rec.type);
}
