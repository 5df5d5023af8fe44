import { randomBytes } from 'node:crypto';
import type { DirectoryConnection } from '../../domain/model.js';
import { supportsSubscriptions, type DirectoryConnector, type SubscriptionCapable } from '../../ports/directory.js';
import { policySchema } from '../connections/policy.js';
import type { ConnectionService } from '../connections/service.js';
import type { ServiceDeps } from '../deps.js';
import type { SecretBox } from '../secret-box.js';
import { realtimeOf, updateRealtime } from './state.js';

/**
 * A subscription's lifetime. Graph caps `users` subscriptions (4230 minutes in the subscription
 * resource's table of maximum lengths); asking for less keeps us clear of the cap as it moves.
 */
export const SUBSCRIPTION_LIFETIME_MS = 4200 * 60 * 1000;
/** Renewed once less than this is left: half the lifetime, so a day of failed renewals still recovers. */
export const RENEW_MARGIN_MS = SUBSCRIPTION_LIFETIME_MS / 2;

export type KeepOutcome = 'created' | 'renewed' | 'kept' | 'deleted' | 'failed' | 'skipped';

/**
 * Keeps one Graph subscription per Microsoft connection with `policy.realtime` on: creates it
 * (Graph validates the notification URL first), renews it before `expirationDateTime`, recreates
 * it when Graph no longer has it, and deletes it when the connection is disabled or realtime
 * turned off. Run by the daemon's periodic job under a store lease, so one replica does it.
 */
export class SubscriptionKeeper {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly connections: ConnectionService,
    private readonly box: SecretBox,
    private readonly publicUrl: string,
  ) {}

  /** One pass over every Microsoft connection. */
  async keepAll(): Promise<Record<string, KeepOutcome>> {
    const out: Record<string, KeepOutcome> = {};
    for (const conn of await this.deps.store.listConnections()) {
      if (conn.provider !== 'microsoft') continue;
      out[conn.id] = await this.keep(conn);
    }
    return out;
  }

  async keep(conn: DirectoryConnection): Promise<KeepOutcome> {
    const wanted = conn.enabled && policySchema.parse(conn.policy).realtime;
    const sub = realtimeOf(conn).subscription;
    if (!wanted && !sub) return 'skipped';
    const connector = this.subscriber(conn);
    if (!connector) return 'skipped';
    try {
      if (!wanted) {
        await connector.deleteSubscription(sub!.id);
        await updateRealtime(this.deps.store, conn, () => undefined);
        return 'deleted';
      }
      if (!sub) return await this.create(conn, connector);
      if (new Date(sub.expiresAt).getTime() - this.deps.clock.now().getTime() > RENEW_MARGIN_MS) return 'kept';
      return await this.renew(conn, connector, sub.id);
    } catch (err) {
      await this.failed(conn, err);
      return 'failed';
    }
  }

  /** reauthorizationRequired: reauthorize, then renew (Graph's lifecycle guidance); recreate when that fails. */
  async reauthorize(conn: DirectoryConnection): Promise<KeepOutcome> {
    const connector = this.subscriber(conn);
    const sub = realtimeOf(conn).subscription;
    if (!connector || !sub) return 'skipped';
    try {
      await connector.reauthorizeSubscription(sub.id);
      return await this.renew(conn, connector, sub.id);
    } catch (err) {
      await this.failed(conn, err);
      return this.recreate(conn);
    }
  }

  /** subscriptionRemoved, or a subscription Graph no longer has: a new one. */
  async recreate(conn: DirectoryConnection): Promise<KeepOutcome> {
    const connector = this.subscriber(conn);
    if (!connector || !conn.enabled || !policySchema.parse(conn.policy).realtime) return 'skipped';
    try {
      return await this.create(conn, connector);
    } catch (err) {
      await this.failed(conn, err);
      return 'failed';
    }
  }

  private subscriber(conn: DirectoryConnection): (DirectoryConnector & SubscriptionCapable) | undefined {
    const c = this.connections.open(conn);
    return supportsSubscriptions(c) ? c : undefined;
  }

  private async renew(conn: DirectoryConnection, connector: SubscriptionCapable, id: string): Promise<KeepOutcome> {
    const renewed = await connector.renewSubscription(id, this.expiry());
    // Graph answers 404 for a subscription it dropped: the only way back is a new one.
    if (!renewed) return this.create(conn, connector);
    const at = this.deps.clock.now().toISOString();
    await updateRealtime(this.deps.store, conn, (cur) => {
      const { failedAt: _f, lastError: _e, ...rest } = cur;
      return { ...rest, ...(cur.subscription ? { subscription: { ...cur.subscription, expiresAt: renewed.expiresAt, renewedAt: at } } : {}) };
    });
    return 'renewed';
  }

  private async create(conn: DirectoryConnection, connector: SubscriptionCapable): Promise<KeepOutcome> {
    const clientState = randomBytes(32).toString('base64url');
    const sealed = this.box.seal(clientState);
    const old = realtimeOf(conn).subscription;
    // Kept before the create: Graph may notify before its 201 reaches us, and must find the clientState.
    await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, pendingClientStateSealed: sealed }));
    const url = `${this.publicUrl.replace(/\/+$/, '')}/hooks/microsoft/${encodeURIComponent(conn.id)}`;
    const created = await connector.subscribe({ notificationUrl: url, lifecycleNotificationUrl: url, clientState, expiresAt: this.expiry() });
    const at = this.deps.clock.now().toISOString();
    await updateRealtime(this.deps.store, conn, (cur) => {
      const { failedAt: _f, lastError: _e, pendingClientStateSealed: _p, ...rest } = cur;
      return { ...rest, subscription: { id: created.id, expiresAt: created.expiresAt, clientStateSealed: sealed, createdAt: at } };
    });
    if (old && old.id !== created.id) await connector.deleteSubscription(old.id).catch(() => undefined);
    this.deps.logger.info('graph subscription created', { connectionId: conn.id, subscriptionId: created.id, expiresAt: created.expiresAt });
    return 'created';
  }

  private async failed(conn: DirectoryConnection, err: unknown): Promise<void> {
    const at = this.deps.clock.now().toISOString();
    const message = (err as Error).message;
    this.deps.logger.warn('graph subscription upkeep failed; retrying next pass', { connectionId: conn.id, error: message });
    await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, failedAt: at, lastError: { message, at } }));
  }

  private expiry(): string {
    return new Date(this.deps.clock.now().getTime() + SUBSCRIPTION_LIFETIME_MS).toISOString();
  }
}
