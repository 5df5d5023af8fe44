import type { DirectoryConnection } from '../../domain/model.js';
import type { ConnectionState, RealtimeChange } from '../../ports/store.js';
import { definedFields } from './record-errors.js';

/**
 * The connection after saveConnectionState, the same on every store: the given fields replace the
 * stored ones, except `syncState.realtime`, which stays as stored whatever `syncState` says (only
 * updateRealtimeState writes it, so a run saving its cursor never undoes a notification write).
 */
export function withConnectionState(current: DirectoryConnection, state: ConnectionState): DirectoryConnection {
  const next: DirectoryConnection = { ...current, ...definedFields(state) };
  if (state.syncState === undefined) return next;
  const { realtime: _given, ...rest } = state.syncState;
  const stored = current.syncState.realtime;
  return { ...next, syncState: stored === undefined ? rest : { ...rest, realtime: stored } };
}

/** The connection after updateRealtimeState: `syncState.realtime` replaced (or removed), every other field as stored. */
export function withRealtimeChanged(current: DirectoryConnection, change: RealtimeChange): DirectoryConnection {
  const { realtime, ...rest } = current.syncState;
  const next = change(realtime === undefined || realtime === null || typeof realtime !== 'object' ? undefined : (realtime as Record<string, unknown>));
  return { ...current, syncState: next === undefined ? rest : { ...rest, realtime: next } };
}
