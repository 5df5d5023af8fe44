import type { DirectoryConnection } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';

/**
 * What a connection keeps about its change notifications, in `syncState.realtime`: the Graph
 * subscription (its clientState sealed with the `notification secrets` purpose), when the last
 * verified message came, and the last error. Written read-modify-write through `saveConnectionState`
 * (bookkeeping, not audited); a reconcile run carries the latest value over when it saves its own state.
 */
export interface RealtimeState {
  subscription?: { id: string; expiresAt: string; clientStateSealed: string; createdAt: string; renewedAt?: string };
  lastMessageAt?: string;
  lastError?: { message: string; at: string };
  /** When the last creation or renewal failed (the keeper retries every pass until one works). */
  failedAt?: string;
  /** The clientState of a subscription being created: notifications may arrive before Graph's 201 does. */
  pendingClientStateSealed?: string;
}

/** What `connections get` and the API show: no sealed secret. */
export interface NotificationView {
  subscriptionId?: string;
  expiresAt?: string;
  lastMessageAt?: string;
  lastError?: { message: string; at: string };
}

export function realtimeOf(conn: Pick<DirectoryConnection, 'syncState'>): RealtimeState {
  const v = conn.syncState.realtime;
  return v && typeof v === 'object' ? (v as RealtimeState) : {};
}

export function notificationView(conn: Pick<DirectoryConnection, 'syncState'>): NotificationView | undefined {
  const r = conn.syncState.realtime;
  if (!r || typeof r !== 'object') return undefined;
  const s = r as RealtimeState;
  return {
    ...(s.subscription ? { subscriptionId: s.subscription.id, expiresAt: s.subscription.expiresAt } : {}),
    ...(s.lastMessageAt ? { lastMessageAt: s.lastMessageAt } : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
  };
}

/** Re-reads the connection and saves `change(current)` as its realtime state (undefined: removed). */
export async function updateRealtime(store: Store, conn: Pick<DirectoryConnection, 'orgId' | 'id'>, change: (cur: RealtimeState) => RealtimeState | undefined): Promise<void> {
  const fresh = await store.getConnection(conn.id);
  if (!fresh) return;
  const { realtime: _old, ...rest } = fresh.syncState;
  const next = change(realtimeOf(fresh));
  await store.saveConnectionState(fresh.orgId, fresh.id, { syncState: next ? { ...rest, realtime: next } : rest });
}
