import type { Page, Store } from '../../ports/store.js';
import { MAX_PAGE_LIMIT, PROVIDER_SCOPE } from '../../ports/store.js';
import type { TransferRecord } from '../../ports/store-transfer.js';
import { WEBHOOK_CONSUMER } from '../webhooks/worker.js';

/** Outbox consumers whose cursors are moved with the outbox. */
const CONSUMERS = [WEBHOOK_CONSUMER];

/**
 * What `migrate-store` never moves: short-lived records (on the new store, users sign in again,
 * portal links are issued again, leases are claimed again, the request log starts over) and SETs
 * already delivered or failed (kept only so a repeated fan-out queues nothing; not listable).
 */
export const NOT_MOVED = ['console sessions', 'portal links', 'leases', 'SCIM request log', 'delivered and failed SETs', 'audit chain verifications'] as const;

/**
 * Every record of a store, read through the Store port page by page (so any backend is a source and
 * memory stays bounded by a page), in an order an importer can write them in: each org's records
 * after the org, each kind in its creation order, references after what they refer to. What is
 * not moved is NOT_MOVED.
 */
export async function* exportStore(store: Store): AsyncGenerator<TransferRecord> {
  for await (const org of paged((page) => store.listOrgs(page))) {
    yield { kind: 'org', record: org };
    const orgId = org.id;
    let after: string | undefined;
    for (;;) {
      const page = await store.listMembersAfter(orgId, { limit: MAX_PAGE_LIMIT, ...(after ? { after } : {}) });
      for (const m of page.items) yield { kind: 'member', record: m };
      if (page.positions.length < MAX_PAGE_LIMIT) break;
      after = page.positions.at(-1);
    }
    for await (const team of paged((page) => store.listTeams(orgId, page))) {
      yield { kind: 'team', record: team };
      for await (const memberId of paged((page) => store.listTeamMembers(orgId, team.id, page))) yield { kind: 'teamMember', orgId, teamId: team.id, memberId };
    }
    for (const t of await store.listScimTokens(orgId)) yield { kind: 'scimToken', record: t };
    for (const c of await store.listScimClients(orgId)) yield { kind: 'scimClient', record: c };
    for await (const inv of oldestFirst((page) => store.listInvitations(orgId, page))) yield { kind: 'invitation', record: inv };
    for await (const link of oldestFirst((page) => store.listInviteLinks(orgId, page))) yield { kind: 'inviteLink', record: link };
    for (const conn of await store.listConnections(orgId)) {
      yield { kind: 'connection', record: conn };
      for await (const run of oldestFirst((page) => store.listRuns(conn.id, page))) yield { kind: 'run', record: run };
    }
    for (const ep of await store.listWebhooks(orgId)) yield { kind: 'webhook', record: ep };
    for await (const d of oldestFirst((page) => store.listDeliveries(orgId, page))) yield { kind: 'delivery', record: d };
    for (const m of await store.listRoleMappings(orgId)) yield { kind: 'roleMapping', record: m };
    // Oldest first, so the target lists them in the same order.
    for (const g of (await store.listSupportGrants(orgId)).reverse()) yield { kind: 'supportGrant', record: g };
    for (const c of await store.listDomainClaims(orgId)) yield { kind: 'domainClaim', record: c };
    for (const jr of await store.listJoinRequests(orgId)) yield { kind: 'joinRequest', record: jr };
    yield* chain(store, orgId);
  }
  // Admin keys last: an org-scoped key refers to its org.
  for (const key of await store.listAdminKeys()) yield { kind: 'adminKey', record: key };
  yield* chain(store, PROVIDER_SCOPE);
  // The operator's webhook endpoints and their deliveries (the provider scope has no org record).
  for (const ep of await store.listWebhooks(PROVIDER_SCOPE)) yield { kind: 'webhook', record: ep };
  for await (const d of oldestFirst((page) => store.listDeliveries(PROVIDER_SCOPE, page))) yield { kind: 'delivery', record: d };
  for (const receipt of await store.listPurgeReceipts()) yield { kind: 'purgeReceipt', record: receipt };
  // A merge journal refers to two orgs, so journals come after every org.
  for await (const org of paged((page) => store.listOrgs(page))) {
    const journal = await store.getMerge(org.id);
    if (journal) yield { kind: 'merge', record: journal };
  }
  yield* signals(store);
}

/**
 * Shared Signals: streams in creation order, each followed by its pending SETs oldest first (the port
 * lists no delivered or failed ones: they are kept only to drop repeats of a fan-out, and stay
 * behind), then the signing keys oldest first.
 */
async function* signals(store: Store): AsyncGenerator<TransferRecord> {
  for (const stream of await store.listSignalStreams()) {
    yield { kind: 'signalStream', record: stream };
    const pending = await store.countPendingSets(stream.id);
    if (pending > 0) for (const set of await store.listPendingSets(stream.id, pending)) yield { kind: 'signalSet', record: set };
  }
  for (const key of (await store.listSigningKeys()).reverse()) yield { kind: 'signalKey', record: key };
}

/** An audit chain, its outbox and the consumers' cursors on it. */
async function* chain(store: Store, scope: string): AsyncGenerator<TransferRecord> {
  for (let afterSeq = 0; ; ) {
    const events = await store.listAudit(scope, { afterSeq, limit: MAX_PAGE_LIMIT });
    for (const e of events) yield { kind: 'audit', record: e };
    if (events.length < MAX_PAGE_LIMIT) break;
    afterSeq = events.at(-1)!.seq;
  }
  for (let afterSeq = 0; ; ) {
    const records = await store.listOutbox(scope, { afterSeq, limit: MAX_PAGE_LIMIT });
    for (const o of records) yield { kind: 'outbox', record: o };
    if (records.length < MAX_PAGE_LIMIT) break;
    afterSeq = records.at(-1)!.seq;
  }
  for (const consumer of CONSUMERS) {
    const seq = await store.getOutboxCursor(scope, consumer);
    if (seq > 0) yield { kind: 'outboxCursor', orgId: scope, consumer, seq };
  }
}

/** An offset-paged listing in its own order. */
async function* paged<T>(list: (page: { offset: number; limit: number }) => Promise<Page<T>>): AsyncGenerator<T> {
  for (let offset = 0; ; offset += MAX_PAGE_LIMIT) {
    const page = await list({ offset, limit: MAX_PAGE_LIMIT });
    yield* page.items;
    if (page.items.length < MAX_PAGE_LIMIT || offset + page.items.length >= page.total) return;
  }
}

/** A newest-first listing read from its end, page by page, so records come out in creation order. */
async function* oldestFirst<T>(list: (page: { offset: number; limit: number }) => Promise<Page<T>>): AsyncGenerator<T> {
  const { total } = await list({ offset: 0, limit: 0 });
  for (let end = total; end > 0; end -= MAX_PAGE_LIMIT) {
    const offset = Math.max(0, end - MAX_PAGE_LIMIT);
    const page = await list({ offset, limit: end - offset });
    yield* page.items.reverse();
  }
}
