import type { DirectoryConnection } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';

/**
 * One Google push channel. `resourceId` is absent while the channel is being opened (Google's
 * `sync` message may come before its answer does); `retiring` once a newer channel of the same
 * event is open and this one awaits its stop (its messages are still genuine until then).
 */
export interface ChannelState {
  event: string;
  id: string;
  /** The channel token, sealed with the `notification secrets` purpose. */
  tokenSealed: string;
  /** The address Google posts to: a changed public URL opens new channels. */
  address: string;
  openedAt: string;
  resourceId?: string;
  expiresAt?: string;
  retiring?: boolean;
}

/**
 * What a connection keeps about its change notifications, in `syncState.realtime`: the Graph
 * subscription or the Google channels (secrets sealed with the `notification secrets` purpose), when the last
 * verified message came, and the last error. Written only through `updateRealtime` (the store's
 * atomic updateRealtimeState; bookkeeping, not audited); a reconcile run's saveConnectionState keeps it as stored.
 */
export interface RealtimeState {
  subscription?: { id: string; expiresAt: string; clientStateSealed: string; createdAt: string; renewedAt?: string };
  lastMessageAt?: string;
  lastError?: { message: string; at: string };
  /** When the last creation or renewal failed (the keeper retries every pass until one works). */
  failedAt?: string;
  /** The clientState of a subscription being created: notifications may arrive before Graph's 201 does. */
  pendingClientStateSealed?: string;
  /** Google: the connection's push channels, one per event (two while one replaces another). */
  channels?: ChannelState[];
  /** Consecutive failed upkeep passes (Google channels back off on them). */
  failures?: number;
}

/** What `connections get` and the API show: no sealed secret. */
export interface NotificationView {
  subscriptionId?: string;
  expiresAt?: string;
  /** Google: the open channels (no token). */
  channels?: { event: string; id: string; expiresAt?: string }[];
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
    ...(s.channels?.length ? { channels: s.channels.filter((c) => !c.retiring).map((c) => ({ event: c.event, id: c.id, ...(c.expiresAt ? { expiresAt: c.expiresAt } : {}) })) } : {}),
    ...(s.lastMessageAt ? { lastMessageAt: s.lastMessageAt } : {}),
    ...(s.lastError ? { lastError: s.lastError } : {}),
  };
}

/**
 * Saves `change(current)` as the connection's realtime state (undefined: removed), read and written
 * by the store in one atomic step (updateRealtimeState): concurrent writers — the keeper, the
 * receiver, another replica, a reconcile run saving its own state — never lose each other's
 * changes. A connection deleted meanwhile is left alone. `change` must be pure (it may run again).
 */
export async function updateRealtime(store: Store, conn: Pick<DirectoryConnection, 'orgId' | 'id'>, change: (cur: RealtimeState) => RealtimeState | undefined): Promise<void> {
  await store.updateRealtimeState(conn.orgId, conn.id, (cur) => change((cur ?? {}) as RealtimeState) as Record<string, unknown> | undefined);
}
