import { randomBytes, randomUUID } from 'node:crypto';
import type { DirectoryConnection } from '../../domain/model.js';
import { supportsChannels, type ChannelCapable, type DirectoryConnector } from '../../ports/directory.js';
import { policySchema } from '../connections/policy.js';
import type { ConnectionService } from '../connections/service.js';
import type { ServiceDeps } from '../deps.js';
import type { SecretBox } from '../secret-box.js';
import { realtimeOf, updateRealtime, type ChannelState } from './state.js';

/**
 * The lifetime asked for. Google caps Directory channels at hours (a channel it will not keep that
 * long answers with an earlier `expiration`, which is what the keeper goes by).
 */
export const CHANNEL_TTL_SECONDS = 6 * 60 * 60;
/**
 * Replaced once less than this is left (or a third of the lifetime Google granted, when that is
 * shorter): a third of the lifetime asked for, so two hours of failed passes still recover.
 */
export const CHANNEL_RENEW_MARGIN_MS = 2 * 60 * 60 * 1000;
/** A channel still without Google's answer this long after it was asked for was never opened (the asking replica died). */
const PENDING_GRACE_MS = 5 * 60 * 1000;
/** After a failed pass the next waits min(base · 2^(failures-1), max). */
export const CHANNEL_RETRY_BASE_MS = 60 * 1000;
const CHANNEL_RETRY_MAX_MS = 30 * 60 * 1000;

/** One upkeep pass at a time across replicas (the periodic job's and the one a starting daemon makes); released at its end. */
const UPKEEP_LEASE = 'hook:google-channels:upkeep';
const UPKEEP_LEASE_MS = 10 * 60 * 1000;

export type ChannelOutcome = 'created' | 'renewed' | 'kept' | 'deleted' | 'failed' | 'backoff' | 'skipped';

/**
 * Keeps one Google push channel per event for each Google connection with `policy.realtime` on:
 * opens the missing ones, replaces a channel before it expires (a new one first, then the old one
 * stopped), replaces channels whose address or token no longer holds (the public URL or the secret
 * key changed across a restart), retries a failed pass with backoff, and stops every channel when
 * the connection is disabled or realtime turned off. A pass holds a store lease, so one replica
 * at a time does it (the daemon's periodic job, and the pass a starting daemon makes at once).
 */
export class ChannelKeeper {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly connections: ConnectionService,
    private readonly box: SecretBox,
    private readonly publicUrl: string,
    private readonly holder: string,
  ) {}

  /** One pass over every Google connection; empty when another pass holds the lease. */
  async keepAll(): Promise<Record<string, ChannelOutcome>> {
    const holder = `${this.holder}:${randomUUID()}`;
    if (!(await this.deps.store.tryAcquireLease(UPKEEP_LEASE, holder, UPKEEP_LEASE_MS))) return {};
    try {
      const out: Record<string, ChannelOutcome> = {};
      for (const conn of await this.deps.store.listConnections()) {
        if (conn.provider !== 'google') continue;
        out[conn.id] = await this.keep(conn);
      }
      return out;
    } finally {
      // Released by taking it again for a millisecond (same holder); if that fails, it expires.
      await this.deps.store.tryAcquireLease(UPKEEP_LEASE, holder, 1).catch(() => undefined);
    }
  }

  async keep(conn: DirectoryConnection): Promise<ChannelOutcome> {
    const wanted = conn.enabled && policySchema.parse(conn.policy).realtime;
    const state = realtimeOf(conn);
    const channels = state.channels ?? [];
    if (!wanted && channels.length === 0) return 'skipped';
    const connector = this.channeler(conn);
    if (!connector) return 'skipped';
    if (!wanted) {
      for (const c of channels) await this.stop(conn, connector, c, { keepOnFailure: false });
      await updateRealtime(this.deps.store, conn, () => undefined);
      return 'deleted';
    }
    const now = this.deps.clock.now().getTime();
    if (state.failedAt && state.failures && now < Date.parse(state.failedAt) + Math.min(CHANNEL_RETRY_BASE_MS * 2 ** (state.failures - 1), CHANNEL_RETRY_MAX_MS)) return 'backoff';
    try {
      let opened = 0;
      let replaced = 0;
      const address = this.address(conn);
      for (const event of connector.channelEvents) {
        const live = channels.filter((c) => c.event === event && c.resourceId && !c.retiring);
        if (live.some((c) => this.sound(c, address, now))) continue;
        await this.open(conn, connector, event, address);
        if (live.length) replaced++;
        else opened++;
        await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, channels: (cur.channels ?? []).map((c) => (live.some((l) => l.id === c.id) ? { ...c, retiring: true } : c)) }));
      }
      // Replaced channels, and those a stop could not close last time; asked-for ones Google never answered are forgotten.
      for (const c of realtimeOf((await this.deps.store.getConnection(conn.id)) ?? conn).channels ?? []) {
        if (c.retiring) await this.stop(conn, connector, c, { keepOnFailure: true });
        else if (!c.resourceId && now - Date.parse(c.openedAt) > PENDING_GRACE_MS) await this.forget(conn, c.id);
      }
      await updateRealtime(this.deps.store, conn, (cur) => {
        const { failedAt: _f, failures: _n, lastError: _e, ...rest } = cur;
        return rest;
      });
      return opened ? 'created' : replaced ? 'renewed' : 'kept';
    } catch (err) {
      await this.failed(conn, err);
      return 'failed';
    }
  }

  /** Stops a deleted connection's channels (best effort: a channel left open expires within hours). */
  async stopAll(conn: DirectoryConnection): Promise<void> {
    const connector = this.channeler(conn);
    if (!connector) return;
    for (const c of realtimeOf(conn).channels ?? []) await this.stop(conn, connector, c, { keepOnFailure: false });
  }

  private channeler(conn: DirectoryConnection): (DirectoryConnector & ChannelCapable) | undefined {
    const c = this.connections.open(conn);
    return supportsChannels(c) ? c : undefined;
  }

  private address(conn: DirectoryConnection): string {
    return `${this.publicUrl.replace(/\/+$/, '')}/hooks/google/${encodeURIComponent(conn.id)}`;
  }

  /** Open long enough, at this address, with a token this deployment can still open. */
  private sound(c: ChannelState, address: string, now: number): boolean {
    if (c.address !== address || !c.expiresAt) return false;
    const expires = Date.parse(c.expiresAt);
    if (expires - now <= Math.min(CHANNEL_RENEW_MARGIN_MS, (expires - Date.parse(c.openedAt)) / 3)) return false;
    try {
      this.box.open(c.tokenSealed);
      return true;
    } catch {
      return false;
    }
  }

  private async open(conn: DirectoryConnection, connector: ChannelCapable, event: string, address: string): Promise<void> {
    const token = randomBytes(32).toString('base64url');
    const pending: ChannelState = { event, id: randomUUID(), tokenSealed: this.box.seal(token), address, openedAt: this.deps.clock.now().toISOString() };
    // Kept before the watch: Google's `sync` message may arrive before its answer does, and must verify.
    await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, channels: [...(cur.channels ?? []), pending] }));
    let opened;
    try {
      opened = await connector.watchUsers({ id: pending.id, event, address, token, ttlSeconds: CHANNEL_TTL_SECONDS });
    } catch (err) {
      await this.forget(conn, pending.id);
      throw err;
    }
    await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, channels: (cur.channels ?? []).map((c) => (c.id === pending.id ? { ...c, resourceId: opened.resourceId, expiresAt: opened.expiresAt } : c)) }));
    this.deps.logger.info('google push channel opened', { connectionId: conn.id, event, channelId: opened.id, expiresAt: opened.expiresAt });
  }

  private async stop(conn: DirectoryConnection, connector: ChannelCapable, c: ChannelState, opts: { keepOnFailure: boolean }): Promise<void> {
    try {
      if (c.resourceId) await connector.stopChannel({ id: c.id, resourceId: c.resourceId });
    } catch (err) {
      // Still open at Google: kept (its messages still verify) and stopped again next pass, unless it is going anyway.
      this.deps.logger.warn('could not stop a google push channel; it expires on its own', { connectionId: conn.id, channelId: c.id, error: (err as Error).message });
      if (opts.keepOnFailure && c.expiresAt && Date.parse(c.expiresAt) > this.deps.clock.now().getTime()) return;
    }
    await this.forget(conn, c.id);
  }

  private async forget(conn: DirectoryConnection, id: string): Promise<void> {
    await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, channels: (cur.channels ?? []).filter((c) => c.id !== id) }));
  }

  private async failed(conn: DirectoryConnection, err: unknown): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const message = (err as Error).message;
    this.deps.logger.warn('google push channel upkeep failed; retrying with backoff', { connectionId: conn.id, error: message });
    await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, failedAt: at, failures: (cur.failures ?? 0) + 1, lastError: { message, at } }));
  }
}
