import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { IdsyncError } from '../../domain/errors.js';

export type RedisClient = Redis | Cluster;

export interface RedisHostPort {
  host: string;
  port: number;
}

/** How to reach Redis. Exactly one of `url`, `sentinels` or `clusterNodes`. */
export interface RedisConnectionOptions {
  /** `redis://` or `rediss://` URL of one server; user, password and db may be part of it. */
  url?: string;
  /** Sentinel mode: the sentinels to ask, and the master group `name`. */
  sentinels?: RedisHostPort[];
  name?: string;
  sentinelPassword?: string;
  /** Cluster mode: seed nodes. */
  clusterNodes?: RedisHostPort[];
  username?: string;
  password?: string;
  /** TLS for sentinel and cluster nodes (a `rediss://` URL turns it on by itself). */
  tls?: boolean;
  /** Namespace of every key name (keys.ts), default `idsync`. Not ioredis's keyPrefix: see keys.ts. */
  keyPrefix?: string;
  /** Bound on one command, so a silent network never hangs a caller. Default 2000 ms. */
  commandTimeoutMs?: number;
  /** How long the first call waits for the initial connection. Default 5000 ms. */
  connectTimeoutMs?: number;
  /** Longest pause between reconnect attempts. Default 1000 ms. */
  maxReconnectDelayMs?: number;
  /** Receives connection errors (ioredis emits them as events); silent when absent. */
  onError?: (err: Error) => void;
  /** Shown in CLIENT LIST. Default `idsync`. */
  connectionName?: string;
  /**
   * For a queue worker's blocking connection (BullMQ requires it): commands wait out an outage in
   * the offline queue, with no retry limit and no command timeout. Default false: fail fast.
   */
  waitWhileDisconnected?: boolean;
  /** Asked before each reconnect attempt; false leaves a lost connection closed (shutdown). */
  reconnect?: () => boolean;
}

export const DEFAULT_COMMAND_TIMEOUT_MS = 2000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5000;
const DEFAULT_MAX_RECONNECT_DELAY_MS = 1000;

/**
 * Builds an ioredis client that fails fast instead of queueing while Redis is away:
 * - no offline queue, so a command issued while disconnected is refused at once (the store turns that
 *   into `store.unavailable`); the store itself waits, bounded, for the very first connection;
 * - `maxRetriesPerRequest: 0` and no resending, so a command in flight when the connection drops is
 *   rejected rather than replayed later behind the caller's back (an unacknowledged write is never
 *   reported as done, and the scripts' compare-and-swap makes a caller's retry safe);
 * - a command timeout, so a silent network still ends in an error;
 * - endless reconnects with a short capped backoff, so the store recovers without a restart.
 */
export function createRedisClient(opts: RedisConnectionOptions): RedisClient {
  const modes = [opts.url !== undefined, opts.sentinels !== undefined, opts.clusterNodes !== undefined].filter(Boolean).length;
  if (modes !== 1) throw new IdsyncError('config.invalid', 'Redis: set exactly one of url, sentinels (with name) or clusterNodes');
  const maxDelay = opts.maxReconnectDelayMs ?? DEFAULT_MAX_RECONNECT_DELAY_MS;
  const retry = (times: number) => (opts.reconnect && !opts.reconnect() ? null : Math.min(50 * 2 ** Math.min(times, 10), maxDelay));
  const wait = opts.waitWhileDisconnected === true;
  const common: RedisOptions = {
    ...(opts.username !== undefined ? { username: opts.username } : {}),
    ...(opts.password !== undefined ? { password: opts.password } : {}),
    ...(opts.tls ? { tls: {} } : {}),
    ...(wait ? {} : { commandTimeout: opts.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS }),
    connectTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: wait ? null : 0,
    autoResendUnfulfilledCommands: wait,
    enableOfflineQueue: wait,
    connectionName: opts.connectionName ?? 'idsync',
  };

  let client: RedisClient;
  if (opts.clusterNodes) {
    if (opts.clusterNodes.length === 0) throw new IdsyncError('config.invalid', 'Redis: clusterNodes is empty');
    const { enableOfflineQueue: _q, ...nodeOptions } = common;
    const clusterOptions: ClusterOptions = {
      enableOfflineQueue: wait,
      clusterRetryStrategy: retry,
      redisOptions: nodeOptions,
      slotsRefreshTimeout: opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    };
    client = new Cluster(opts.clusterNodes, clusterOptions);
  } else if (opts.sentinels) {
    if (!opts.name) throw new IdsyncError('config.invalid', 'Redis: sentinel mode needs the master group name');
    client = new Redis({
      ...common,
      sentinels: opts.sentinels,
      name: opts.name,
      ...(opts.sentinelPassword !== undefined ? { sentinelPassword: opts.sentinelPassword } : {}),
      ...(opts.tls ? { enableTLSForSentinelMode: true } : {}),
      retryStrategy: retry,
    });
  } else {
    const url = opts.url!;
    if (!/^rediss?:\/\//.test(url)) throw new IdsyncError('config.invalid', 'Redis: url must start with redis:// or rediss://');
    client = new Redis(url, { ...common, retryStrategy: retry });
  }
  client.on('error', (err: Error) => opts.onError?.(err));
  return client;
}

/** Redis replies that mean "not now" rather than "wrong": the store reports them as unavailable. */
const TRANSIENT_REPLY = /^(LOADING|CLUSTERDOWN|TRYAGAIN|MASTERDOWN|READONLY|BUSY|NOREPLICAS|NOAUTH|WRONGPASS|MOVED|ASK)\b/;

export function unavailable(message: string, cause?: unknown): IdsyncError {
  return new IdsyncError('store.unavailable', `Redis is unavailable: ${message}`, undefined, cause === undefined ? undefined : { cause });
}

/**
 * Maps what an ioredis call rejected with onto the error contract. Connection-level failures
 * (refused, closed, timed out, offline) become `store.unavailable`; an unexpected Redis reply (a
 * script bug, a wrong type) becomes `internal`.
 */
export function mapRedisError(err: unknown): unknown {
  if (err instanceof IdsyncError || !(err instanceof Error)) return err;
  if (err.name === 'ReplyError') {
    if (TRANSIENT_REPLY.test(err.message)) return unavailable(err.message, err);
    return new IdsyncError('internal', `Redis refused a command: ${err.message}`, undefined, { cause: err });
  }
  return unavailable(err.message, err);
}

/**
 * Resolves when the client is ready, or rejects with `store.unavailable` after `timeoutMs`. Used
 * only before the first successful connection; afterwards a client that is not ready fails fast.
 */
export function waitUntilReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'end') return Promise.reject(unavailable('the connection was closed'));
  if (client.status === 'wait') client.connect().catch(() => undefined);
  return new Promise<void>((resolve, reject) => {
    let lastError: Error | undefined;
    const onError = (err: Error) => {
      lastError = err;
    };
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('end', onEnd);
      client.off('error', onError);
    };
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onEnd = () => {
      cleanup();
      reject(unavailable('the connection was closed'));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(unavailable(`no connection within ${timeoutMs} ms${lastError ? ` (${lastError.message})` : ''}`, lastError));
    }, timeoutMs);
    timer.unref();
    client.on('ready', onReady);
    client.on('end', onEnd);
    client.on('error', onError);
  });
}
