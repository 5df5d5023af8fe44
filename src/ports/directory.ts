/**
 * The directory connector port: what the reconciler and the CLI need from an upstream directory
 * (Google Workspace, Microsoft Graph, a GitHub organization), and nothing else.
 *
 * Completeness contract. A listing is an async iterable of users that hides paging; when the
 * iteration ends, `result()` (or the `done` promise) says whether the provider confirmed the last
 * page. Upstream failures never throw out of the iteration and never look like an empty
 * directory: the users read so far have been yielded, and the result says `complete: false` with
 * the coded error that stopped it. `complete` is true only when the provider said "no more pages"
 * (no nextPageToken / nextLink / Link rel="next", or a deltaLink). Callers must treat anything
 * else — including an iteration they broke off themselves — as a partial view.
 */
import type { ErrorCode } from '../domain/errors.js';
import type { DirectoryProvider } from '../domain/model.js';
import type { Clock } from './clock.js';
import type { Logger } from './logger.js';

export type { DirectoryProvider };
export const DIRECTORY_PROVIDERS: readonly DirectoryProvider[] = ['google', 'microsoft', 'github'];

export type DirectoryUserState = 'active' | 'suspended' | 'deleted';

/** The canonical user every connector maps its native record onto. */
export interface DirectoryUser {
  readonly provider: DirectoryProvider;
  /** Immutable upstream id: Google user id, Graph object id, GitHub numeric user id (as a string). */
  readonly id: string;
  /** When the directory says the user's state last changed (Graph deletedDateTime); absent when it does not say. */
  readonly stateChangedAt?: string;
  /** Google primaryEmail, Graph userPrincipalName, GitHub login. */
  readonly login: string;
  /** The address mail goes to, lower-cased; null when the directory has none (GitHub without SAML). */
  readonly primaryEmail: string | null;
  /** Every address known for the user (primary first, lower-cased, no duplicates). */
  readonly emails: readonly string[];
  readonly name: { readonly given: string | null; readonly family: string | null; readonly display: string | null };
  readonly state: DirectoryUserState;
  /** Google super admin, GitHub org admin. Graph does not say (directory roles are not read): false. */
  readonly isAdmin: boolean;
  /** The provider's record as received (only the fields requested). */
  readonly raw: Readonly<Record<string, unknown>>;
}

/** Point lookup answer for a user the directory no longer has (or no longer has in scope). */
export interface DirectoryTombstone {
  readonly provider: DirectoryProvider;
  readonly id: string;
  readonly deleted: true;
  /** What the directory answered, e.g. "404 from GET /users/{id}". */
  readonly reason: string;
  /** When the directory says the user was deleted (Graph deletedItems' deletedDateTime), if it says. */
  readonly deletedAt?: string;
}

export function isTombstone(v: DirectoryUser | DirectoryTombstone): v is DirectoryTombstone {
  return 'deleted' in v && v.deleted === true;
}

/** Work done against the upstream, counted per attempt (retries and token requests included). */
export interface ConnectorCounters {
  readonly apiCalls: number;
  /** Token-endpoint requests; included in apiCalls. */
  readonly authCalls: number;
  readonly retries: number;
  /** Responses the directory marked as throttling (429, Google quota 403, GitHub rate limits). */
  readonly throttled: number;
  /** Attempts by outcome: "2xx", "3xx", "4xx", "5xx" by status class, "429" on its own, "network" when no response came. */
  readonly byStatus: Readonly<Record<string, number>>;
}

export interface ListingError {
  readonly code: ErrorCode;
  readonly message: string;
}

export interface ListingResult {
  /** True only when the provider confirmed the last page and nothing failed. */
  readonly complete: boolean;
  /** Users yielded (after a restart the listing starts over, so a user may be counted twice). */
  readonly users: number;
  /** Pages received, including empty ones. */
  readonly pages: number;
  /** Times the listing started over because a page token expired (at most one). */
  readonly restarts: number;
  /** Work done by this listing only. */
  readonly counters: ConnectorCounters;
  readonly durationMs: number;
  /** Set whenever complete is false: why the listing stopped. */
  readonly error?: ListingError;
}

/**
 * One listing run. Iterate it once; then read `result()`. Before the iteration has ended,
 * `result()` answers `complete: false` with code `connector.incomplete`.
 */
export interface DirectoryListing extends AsyncIterable<DirectoryUser> {
  result(): ListingResult;
  /** Settles (never rejects) when the iteration ends, however it ends. */
  readonly done: Promise<ListingResult>;
}

export interface OperationOptions {
  readonly signal?: AbortSignal;
}

export interface DirectoryConnector {
  readonly provider: DirectoryProvider;
  listUsers(opts?: OperationOptions): DirectoryListing;
  /**
   * Look one user up by immutable id. Answers a tombstone only when the directory says the user is
   * gone (Google 404/412, Graph 404, GitHub user 404 or membership 404/pending); every other failure
   * throws a coded IdsyncError, so "could not ask" is never mistaken for "deleted".
   */
  getUser(id: string, opts?: OperationOptions): Promise<DirectoryUser | DirectoryTombstone>;
  /** Counters since the connector was opened (one connector per run: the budget covers them all). */
  counters(): ConnectorCounters;
}

/* ---------- optional capabilities, detected with type guards ---------- */

/** Opaque sync state the caller persists with the connection and hands back next round. */
export interface DeltaSyncState {
  readonly provider: DirectoryProvider;
  readonly kind: string;
  /** Provider cursor, e.g. Graph's deltaLink. Treat as a secret-free but opaque string. */
  readonly cursor: string;
  readonly savedAt: string;
}

export interface DeltaListingResult extends ListingResult {
  /**
   * `full`: every in-scope user was yielded (first round, or a resync after the stored cursor was
   * rejected or expired) — a complete full round is a snapshot. `delta`: only users that changed
   * since the cursor, removed ones with state `deleted`.
   */
  readonly mode: 'full' | 'delta';
  /** True when a stored cursor was rejected and the round fell back to a full listing. */
  readonly resynced: boolean;
  /** The state to persist; present only when complete. */
  readonly nextState?: DeltaSyncState;
}

export interface DeltaListing extends AsyncIterable<DirectoryUser> {
  result(): DeltaListingResult;
  readonly done: Promise<DeltaListingResult>;
}

export interface DeltaCapable {
  /** `state` null starts a full round. A rejected or expired cursor falls back to a full round. */
  listChanges(state: DeltaSyncState | null, opts?: OperationOptions): DeltaListing;
}

export function supportsDelta(c: DirectoryConnector): c is DirectoryConnector & DeltaCapable {
  return typeof (c as Partial<DeltaCapable>).listChanges === 'function';
}

/** A change-notification subscription the directory keeps for us (Graph `subscriptions`). */
export interface ChangeSubscription {
  readonly id: string;
  readonly expiresAt: string;
}

export interface SubscriptionRequest {
  /** Where change notifications go, and lifecycle notifications (reauthorizationRequired, subscriptionRemoved, missed). */
  readonly notificationUrl: string;
  readonly lifecycleNotificationUrl: string;
  /** Sent back in every notification; the receiver compares it in constant time. */
  readonly clientState: string;
  readonly expiresAt: string;
}

/**
 * Connectors whose directory pushes change notifications through a subscription it keeps. A
 * create answers only after the directory validated the notification URL; a subscription the
 * directory no longer has makes renew throw a coded error (`connector.not_found` on 404).
 */
export interface SubscriptionCapable {
  subscribe(req: SubscriptionRequest, opts?: OperationOptions): Promise<ChangeSubscription>;
  renewSubscription(id: string, expiresAt: string, opts?: OperationOptions): Promise<ChangeSubscription | undefined>;
  reauthorizeSubscription(id: string, opts?: OperationOptions): Promise<void>;
  deleteSubscription(id: string, opts?: OperationOptions): Promise<void>;
}

export function supportsSubscriptions(c: DirectoryConnector): c is DirectoryConnector & SubscriptionCapable {
  return typeof (c as Partial<SubscriptionCapable>).subscribe === 'function';
}

/** A push channel the directory keeps open until `expiresAt` (Google `users.watch`); it cannot be renewed, only replaced. */
export interface PushChannel {
  readonly id: string;
  /** The directory's opaque id of the watched resource: stopping the channel names it. */
  readonly resourceId: string;
  readonly expiresAt: string;
}

export interface ChannelRequest {
  /** Ours, unique per channel (a UUID): every message carries it back. */
  readonly id: string;
  /** The one event the channel carries (Google: `update`, `delete`, `makeAdmin`, `undelete`, `add`). */
  readonly event: string;
  /** Where the directory POSTs the messages (an https URL it can reach). */
  readonly address: string;
  /** Sent back in every message; the receiver compares it in constant time. */
  readonly token: string;
  readonly ttlSeconds: number;
}

/**
 * Connectors whose directory pushes change messages through channels it opens on request and
 * closes at their expiry (Google Directory API push notifications). One channel carries one event.
 */
export interface ChannelCapable {
  /** The events a connection opens a channel for. */
  readonly channelEvents: readonly string[];
  watchUsers(req: ChannelRequest, opts?: OperationOptions): Promise<PushChannel>;
  /** A channel the directory no longer has is not an error (it is what a stop wants). */
  stopChannel(channel: { id: string; resourceId: string }, opts?: OperationOptions): Promise<void>;
}

export function supportsChannels(c: DirectoryConnector): c is DirectoryConnector & ChannelCapable {
  return typeof (c as Partial<ChannelCapable>).watchUsers === 'function';
}

/* ---------- registry: provider -> parse config and open ---------- */

/** Limits for one connector (one run). Defaults in src/connectors/http/limits.ts. */
export interface ConnectorLimits {
  /** Per HTTP attempt. */
  readonly requestTimeoutMs?: number;
  /** Retries of one request on transient failures (5xx, timeouts, resets); throttling waits are bounded by the deadline. */
  readonly maxRetries?: number;
  /** Request budget of the run (every attempt counts, token requests too). */
  readonly maxRequests?: number;
  /** Overall deadline of the run, from open(). */
  readonly deadlineMs?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** A cached bearer token; callers may share one store per connection across runs. */
export interface CachedToken {
  readonly value: string;
  /** Epoch ms after which the token is refreshed (the refresh margin is already taken off). */
  readonly expiresAt: number;
}
export interface TokenStore {
  get(): CachedToken | undefined;
  set(token: CachedToken | undefined): void;
}

export interface ConnectorDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** Defaults to the global fetch. */
  readonly fetch?: typeof fetch;
  readonly limits?: ConnectorLimits;
  /** Waits between attempts; tests pass one that advances a fake clock. */
  readonly sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** In [0, 1); the jitter source. */
  readonly random?: () => number;
  /** Token cache kept by the caller per connection; a fresh one per connector otherwise. */
  readonly tokenStore?: TokenStore;
}

/** Registered form of a connector: config parsing and opening, type-erased for the registry. */
export interface ConnectorFactory {
  readonly provider: DirectoryProvider;
  /** Top-level config keys that hold credentials: store them encrypted, never print or log them. */
  readonly secretKeys: readonly string[];
  /** Validates raw connection config; throws `connector.invalid_config` naming the key. */
  parseConfig(input: unknown): ParsedConnectorConfig;
  open(config: ParsedConnectorConfig, deps: ConnectorDeps): DirectoryConnector;
}

/** Produced by parseConfig only. `redacted` is safe to print and log (no credentials). */
export interface ParsedConnectorConfig {
  readonly provider: DirectoryProvider;
  readonly redacted: Readonly<Record<string, unknown>>;
}

export interface ConnectorRegistry {
  readonly providers: readonly DirectoryProvider[];
  /** Throws `connector.invalid_config` for an unknown provider. */
  get(provider: string): ConnectorFactory;
}

/* ---------- directory groups (issue 17): read as teams ---------- */

/** A directory group and its user members, as one complete listing saw it. */
export interface DirectoryGroup {
  /** Immutable upstream id: Google group id, Entra object id, GitHub team id (as a string). */
  readonly id: string;
  /** What a role mapping names: the Google group email (lower-cased), the Entra object id, the GitHub team slug. */
  readonly key: string;
  readonly name: string;
  /** Directory user ids of the members (users only: nested groups, devices and service principals are left out). */
  readonly memberIds: readonly string[];
}

/** What changed in one group since the stored cursor (Graph group delta). */
export interface DirectoryGroupChange {
  readonly id: string;
  readonly key: string;
  /** Present when the round says it (a rename, or the group's first appearance). */
  readonly name?: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
  /** The group itself was deleted (or left the selection). */
  readonly deleted?: true;
}

/**
 * A groups read. `full`: every selected group with all its members (a complete one is a snapshot).
 * `delta`: only the groups that changed since the cursor, with member additions and removals.
 * Like a user listing, a read that did not complete says so and carries the coded error; it never throws.
 */
export type GroupRead =
  | { readonly complete: true; readonly mode: 'full'; readonly groups: readonly DirectoryGroup[]; readonly nextState?: DeltaSyncState; readonly resynced?: boolean; readonly apiCalls: number }
  | { readonly complete: true; readonly mode: 'delta'; readonly changes: readonly DirectoryGroupChange[]; readonly nextState: DeltaSyncState; readonly apiCalls: number }
  | { readonly complete: false; readonly mode: 'full' | 'delta'; readonly error: ListingError; readonly apiCalls: number };

/** Connectors whose connection selects directory groups (config `groups`) to keep as teams. */
export interface GroupsCapable {
  /** `state`: the cursor a previous complete delta read returned (Graph only); null starts a full read. */
  readGroups(state: DeltaSyncState | null, opts?: OperationOptions): Promise<GroupRead>;
}

export function supportsGroups(c: DirectoryConnector): c is DirectoryConnector & GroupsCapable {
  return typeof (c as Partial<GroupsCapable>).readGroups === 'function';
}
