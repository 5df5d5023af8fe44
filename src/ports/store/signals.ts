import type { AuditDraft } from '../../domain/model.js';
import type { QueuedSet, SignalStream, SigningKey } from '../../domain/signals.js';
import type { UpdateOptions, UpdateResult, Updater } from './types.js';

/**
 * Shared Signals: streams (audited; their scope is an org or PROVIDER_SCOPE), SET signing keys and
 * the queue of signed SETs per stream (both bookkeeping, written without audit or outbox records).
 */
export interface SignalStore {
  /** `org.not_found` when the scope is an org that does not exist. */
  createSignalStream(stream: SignalStream, audit: AuditDraft): Promise<SignalStream>;
  getSignalStream(id: string): Promise<SignalStream | undefined>;
  /** In creation order; with a scope, only that scope's streams. */
  listSignalStreams(scope?: string): Promise<SignalStream[]>;
  /** `signals.stream_not_found` for an unknown id. */
  updateSignalStream(id: string, updater: Updater<SignalStream>, opts?: UpdateOptions): Promise<UpdateResult<SignalStream>>;
  /** Deletes the stream and every SET queued for it; `signals.stream_not_found` for an unknown id. */
  deleteSignalStream(id: string, audit: AuditDraft): Promise<void>;

  /** Adds a key and forgets all but the newest `keepLive` (by createdAt, then kid). Returns the live keys, newest first. */
  addSigningKey(key: SigningKey, keepLive: number): Promise<SigningKey[]>;
  /** Newest first. */
  listSigningKeys(): Promise<SigningKey[]>;

  /** Queues a SET; false (and nothing changes) when the stream already has one with this jti. */
  enqueueSet(set: QueuedSet): Promise<boolean>;
  /** Replaces a queued SET's state (attempts, status, next attempt); a SET no longer queued stays gone. */
  saveSet(set: QueuedSet): Promise<void>;
  /** A stream's pending SETs, oldest queued first (poll delivery). */
  listPendingSets(streamId: string, limit: number): Promise<QueuedSet[]>;
  /** Pending SETs of any stream whose nextAttemptAt <= now, oldest due first (push delivery). */
  listDueSets(now: string, limit: number): Promise<QueuedSet[]>;
  /**
   * Marks the named pending SETs of a stream delivered (pushed, or acknowledged by a poller); returns
   * how many were pending. The record stays until forgetDoneSets (or, where the backend expires
   * records, a week), so a repeated fan-out of the same change finds its jti and queues nothing.
   */
  ackSets(streamId: string, jtis: readonly string[]): Promise<number>;
  /** Forgets delivered and failed SETs last changed before `before`; returns how many (0 where records expire by themselves). */
  forgetDoneSets(before: string): Promise<number>;
  /** How many SETs of the stream are pending. */
  countPendingSets(streamId: string): Promise<number>;
}
