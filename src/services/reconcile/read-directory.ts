import type { ActionRequired } from '../connections/service.js';
import type { KeptLink } from './invite-link.js';
import type { DirectoryEntry } from '../../domain/reconcile-plan.js';
import type { RealtimeState } from '../notifications/state.js';
import { supportsDelta, type DeltaSyncState, type DirectoryConnector, type DirectoryUser, type ListingResult } from '../../ports/directory.js';

/** A delta cursor older than this is dropped for a full round, which re-checks everyone (missing members, email links, invites). */
export const FULL_ROUND_EVERY_MS = 24 * 60 * 60 * 1000;

/** What the reconciler keeps between runs for the connection's groups kept as teams (`syncState.groups`). */
export interface GroupSyncState {
  /** Graph group delta cursor, advanced only when nothing was held. */
  delta?: DeltaSyncState;
  /** When the last complete full group read finished. */
  lastFullAt?: string;
}

/** What the reconciler keeps in `connection.syncState` between runs. */
export type SyncState = {
  /** Consecutive complete full listings each linked member has been missing from. */
  missing?: Record<string, number>;
  /** Users in the last complete full listing (the size-drop guard's baseline). */
  lastCompleteSize?: number;
  /** Graph delta cursor, advanced only when every change it covers was applied. */
  delta?: DeltaSyncState;
  /** When the last complete read (full or delta) finished. */
  lastCompleteAt?: string;
  /** When the last complete full round finished. */
  lastFullAt?: string;
  /** policy.inviteLink: the connection's directory-gated link and its sealed URL. */
  inviteLink?: KeptLink;
  /** The policy the cursor was kept under: a changed policy (say, auto-invite turned on) re-reads everyone. */
  deltaPolicy?: string;
  /** The terminal failure that stopped scheduled runs, and what to fix (cleared by an update, a successful test or run). */
  actionRequired?: ActionRequired;
  /** Kept by services/notifications (subscription, last message); runs only carry it over. */
  realtime?: RealtimeState;
  /** Directory groups kept as teams (config `groups`): their delta cursor and last full read. */
  groups?: GroupSyncState;
};

export interface DirectoryRead {
  users: Map<string, DirectoryUser>;
  result: ListingResult;
  mode: 'full' | 'delta';
  /** The cursor to keep when the changes are all applied (delta-capable connectors only). */
  nextState?: DeltaSyncState;
}

/** Users seen and pages read so far, for a terminal. */
export interface ListingProgress {
  users: number;
  pages: number;
}

interface ReadOptions {
  /** The connection's policy, serialised: a cursor kept under another policy is not used. */
  policy: string;
  signal?: AbortSignal;
  onProgress?: (progress: ListingProgress) => void;
  now: Date;
}

/**
 * Reads the directory for one run: through the connector's delta feed when it has one and a fresh
 * cursor is stored (only the users that changed), otherwise a full listing.
 */
export async function readDirectory(connector: DirectoryConnector, state: SyncState, opts: ReadOptions): Promise<DirectoryRead> {
  const op = opts.signal ? { signal: opts.signal } : {};
  const users = new Map<string, DirectoryUser>();
  const collect = async (listing: AsyncIterable<DirectoryUser> & { result(): ListingResult }) => {
    let pages = 0;
    const report = () => {
      const now = listing.result().pages;
      if (now !== pages) opts.onProgress?.({ users: users.size, pages: (pages = now) });
    };
    for await (const u of listing) {
      users.set(u.id, u);
      if (opts.onProgress && users.size % 100 === 0) report();
    }
    if (opts.onProgress) report();
  };
  if (!supportsDelta(connector)) {
    const listing = connector.listUsers(op);
    await collect(listing);
    return { users, result: await listing.done, mode: 'full' };
  }
  const listing = connector.listChanges(freshCursor(state, opts), op);
  await collect(listing);
  const result = await listing.done;
  return { users, result, mode: result.mode, ...(result.nextState ? { nextState: result.nextState } : {}) };
}

function freshCursor(state: SyncState, opts: ReadOptions): DeltaSyncState | null {
  const lastFull = state.lastFullAt ? Date.parse(state.lastFullAt) : NaN;
  if (!state.delta || state.deltaPolicy !== opts.policy || !(opts.now.getTime() - lastFull < FULL_ROUND_EVERY_MS)) return null;
  return state.delta;
}

/** Users a full round counts toward the size-drop baseline (a delta round also reports removed ones). */
export function listedSize(users: Iterable<DirectoryEntry>): number {
  let n = 0;
  for (const u of users) if (u.state !== 'deleted') n++;
  return n;
}
