import { randomUUID } from 'node:crypto';
import type { DirectoryConnection } from '../../domain/model.js';
import { policySchema } from '../connections/policy.js';
import type { ConnectionService } from '../connections/service.js';
import type { ServiceDeps } from '../deps.js';
import type { ReconcileService } from '../reconcile/service.js';
import type { SecretBox } from '../secret-box.js';
import type { HintOutcome, HintWorker } from './act.js';
import type { ChannelKeeper } from './channels.js';
import { checkGoogleMessage, githubHint, githubSignatureValid, googleHint, graphBody, graphHint, graphLifecycle, sameSecret, type GraphItem, type Hint } from './messages.js';
import { realtimeOf, updateRealtime } from './state.js';
import type { SubscriptionKeeper } from './subscriptions.js';

/** One inbound hook request, as the HTTP layer received it (the raw bytes: GitHub signs them). */
export interface HookRequest {
  provider: string;
  connectionId: string;
  headers: Readonly<Record<string, string | string[] | undefined>>;
  query: Readonly<Record<string, unknown>>;
  rawBody: Buffer;
}

/** What to answer; the HTTP layer writes it as is. Bodies never say why a message was refused. */
export interface HookReply {
  status: number;
  contentType?: 'text/plain' | 'application/json';
  body?: string;
}

/** The outcome label of `idsync_notifications_total{provider,outcome}`. */
export type NotificationOutcome =
  | 'accepted'
  | 'validation'
  | 'ping'
  | 'sync'
  | 'lifecycle'
  | 'ignored'
  | 'forged'
  | 'unsigned'
  | 'replayed'
  | 'malformed'
  | 'unknown_connection'
  | 'unknown_channel'
  | HintOutcome;

/**
 * Starts a run of a connection outside its schedule, through the scheduler's own single-flight and
 * leases (the daemon hands the tick runner's); what became of the request, for the log.
 */
export type RunRequester = (connectionId: string, trigger: 'notification') => Promise<string>;

/** A day: GitHub redelivers a failed delivery with the same X-GitHub-Delivery within that; a Google message number is kept as long. */
const DELIVERY_TTL_MS = 24 * 60 * 60 * 1000;
/** The last-message time is written at most this often per connection (it is bookkeeping, not a log). */
const LAST_MESSAGE_EVERY_MS = 10_000;
/** A `missed` lifecycle event triggers at most one run per connection in this long. */
const MISSED_RUN_TTL_MS = 5 * 60 * 1000;
/** The single-flight lease of a `missed` run made without a scheduler: released at the run's end, or it expires. */
const OUT_OF_BAND_LEASE_MS = 15 * 60 * 1000;
/** Hints of one connection worked at once (each is a lookup and a few store writes). */
const HINTS_IN_FLIGHT = 8;

const header = (h: HookRequest['headers'], name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v[0] : v;
};
const NOT_FOUND: HookReply = { status: 404, contentType: 'application/json', body: '{"error":"not found"}' };
const ACCEPTED: HookReply = { status: 202 };

/**
 * The directories' change notifications: verified here (Graph clientState, GitHub HMAC and
 * delivery id), answered at once, and worked after the answer, one connection's hints in order.
 * A notification is a hint: the HintWorker looks the user up and plans with the run's guards.
 */
export class NotificationService {
  private readonly queues = new Map<string, Promise<void>>();
  /** Hints in flight per connection and per user: users in parallel (up to HINTS_IN_FLIGHT), one user's hints in order. */
  private readonly users = new Map<string, Promise<void>>();
  private readonly inFlight = new Map<string, number>();
  private readonly waiting = new Map<string, (() => void)[]>();
  private readonly lastMessage = new Map<string, number>();
  private requestRun: RunRequester | undefined;

  constructor(
    private readonly deps: ServiceDeps,
    private readonly connections: ConnectionService,
    private readonly reconcile: Pick<ReconcileService, 'run'>,
    private readonly worker: HintWorker,
    readonly keeper: SubscriptionKeeper,
    readonly channels: ChannelKeeper,
    private readonly box: SecretBox,
    private readonly holder: string,
    /** Every message's outcome; `lagSeconds` with an applied deactivation (change or arrival → deactivation). */
    private readonly onOutcome: (provider: string, outcome: NotificationOutcome, lagSeconds?: number) => void = () => {},
  ) {}

  async receive(req: HookRequest): Promise<HookReply> {
    const count = (outcome: NotificationOutcome) => this.onOutcome(req.provider, outcome);
    if (req.provider === 'microsoft' && typeof req.query.validationToken === 'string') {
      // Graph's handshake on subscription create: echo the token as text/plain within 10 s
      // (learn.microsoft.com/graph/change-notifications-delivery-webhooks, "notificationUrl validation").
      count('validation');
      return { status: 200, contentType: 'text/plain', body: req.query.validationToken };
    }
    const conn = await this.deps.store.getConnection(req.connectionId).catch(() => undefined);
    if (!conn || conn.provider !== req.provider || !['microsoft', 'github', 'google'].includes(req.provider) || !conn.enabled || !policySchema.parse(conn.policy).realtime) {
      count('unknown_connection');
      return NOT_FOUND;
    }
    if (req.provider === 'google') return this.google(conn, req, count);
    return req.provider === 'github' ? this.github(conn, req, count) : this.graph(conn, req, count);
  }

  /**
   * Hands `missed` runs to the scheduler's runner (single-flight per connection, across replicas in
   * Redis mode). Without one (no scheduler in this process) they run here under the runner's lease.
   */
  useRunner(requester: RunRequester | undefined): void {
    this.requestRun = requester;
  }

  /** Resolves when every hint received so far has been worked (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.queues.size > 0 || this.users.size > 0) await Promise.all([...this.queues.values(), ...this.users.values()]);
  }

  private async github(conn: DirectoryConnection, req: HookRequest, count: (o: NotificationOutcome) => void): Promise<HookReply> {
    const secret = this.connections.webhookSecret(conn);
    const signature = header(req.headers, 'x-hub-signature-256');
    if (typeof secret !== 'string' || !signature) {
      count('unsigned');
      return { status: 401 };
    }
    if (!githubSignatureValid(req.rawBody, signature, secret)) {
      count('forged');
      return { status: 403 };
    }
    const event = header(req.headers, 'x-github-event') ?? '';
    const delivery = header(req.headers, 'x-github-delivery') ?? '';
    if (event === 'ping') {
      count('ping');
      return { status: 200, contentType: 'application/json', body: '{"ok":true}' };
    }
    if (!/^[0-9a-f-]{8,64}$/i.test(delivery)) {
      count('malformed');
      return { status: 400 };
    }
    // A fresh holder per attempt: a lease answers true to its own holder, and a replay must not pass.
    if (!(await this.deps.store.tryAcquireLease(`hook:github:${delivery}`, `${this.holder}:${randomUUID()}`, DELIVERY_TTL_MS))) {
      count('replayed');
      return ACCEPTED;
    }
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      count('malformed');
      return { status: 400 };
    }
    const hint = githubHint(event, delivery, body);
    this.seen(conn);
    if (!hint) {
      count('ignored');
      return ACCEPTED;
    }
    count('accepted');
    this.enqueue(conn, hint);
    return ACCEPTED;
  }

  /**
   * A Google push message, checked against the connection's channels (messages.ts); `sync` (a
   * channel's first message) is acknowledged; a message number seen before on the channel is a replay.
   */
  private async google(conn: DirectoryConnection, req: HookRequest, count: (o: NotificationOutcome) => void): Promise<HookReply> {
    const check = checkGoogleMessage((name) => header(req.headers, name), realtimeOf(conn).channels ?? [], (sealed) => this.openSecret(sealed));
    if (check.kind === 'refused') {
      count(check.outcome);
      return check.status === 404 ? NOT_FOUND : { status: check.status };
    }
    if (check.kind === 'sync') {
      count('sync');
      return { status: 200 };
    }
    const { channel, state, number } = check;
    if (!(await this.deps.store.tryAcquireLease(`hook:google:${channel.id}:${number}`, `${this.holder}:${randomUUID()}`, DELIVERY_TTL_MS))) {
      count('replayed');
      return { status: 200 };
    }
    let body: unknown;
    try {
      body = JSON.parse(req.rawBody.toString('utf8'));
    } catch {
      body = undefined;
    }
    this.seen(conn);
    const hint = googleHint(state, channel.id, number, body);
    if (!hint) {
      count('ignored');
      return { status: 200 };
    }
    count('accepted');
    this.enqueue(conn, hint);
    return ACCEPTED;
  }

  private async graph(conn: DirectoryConnection, req: HookRequest, count: (o: NotificationOutcome) => void): Promise<HookReply> {
    let parsed;
    try {
      parsed = graphBody.safeParse(JSON.parse(req.rawBody.toString('utf8')));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) {
      count('malformed');
      return { status: 400 };
    }
    const states = this.clientStates(conn);
    const genuine: GraphItem[] = [];
    for (const item of parsed.data.value) {
      // Every item carries the clientState: one forged item among real ones is dropped alone.
      if (item.clientState !== undefined && states.some((s) => sameSecret(item.clientState!, s))) genuine.push(item);
      else count('forged');
    }
    if (genuine.length === 0) return { status: 403 };
    this.seen(conn);
    for (const item of genuine) {
      const lifecycle = graphLifecycle(item);
      if (lifecycle) {
        count('lifecycle');
        this.later(conn, () => this.lifecycle(conn, lifecycle));
        continue;
      }
      const hint = graphHint(item);
      if (!hint) {
        count('ignored');
        continue;
      }
      count('accepted');
      this.enqueue(conn, hint);
    }
    return ACCEPTED;
  }

  /** A sealed channel token; undefined when this deployment's key cannot open it (the keeper replaces such channels). */
  private openSecret(sealed: string): string | undefined {
    try {
      return this.box.open(sealed);
    } catch {
      return undefined;
    }
  }

  private clientStates(conn: DirectoryConnection): string[] {
    const r = realtimeOf(conn);
    const sealed = [r.subscription?.clientStateSealed, r.pendingClientStateSealed].filter((s): s is string => typeof s === 'string');
    return sealed.map((s) => this.box.open(s));
  }

  private async lifecycle(conn: DirectoryConnection, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed'): Promise<void> {
    const log = this.deps.logger.child({ connectionId: conn.id, lifecycle: event });
    log.info('graph lifecycle notification');
    const fresh = await this.connections.get(conn.id);
    if (event === 'reauthorizationRequired') await this.keeper.reauthorize(fresh);
    else if (event === 'subscriptionRemoved') await this.keeper.recreate(fresh);
    // Notifications were lost: a normal run finds what they would have said (once across replicas).
    else if (await this.deps.store.tryAcquireLease(`hook:missed:${conn.id}`, `${this.holder}:${randomUUID()}`, MISSED_RUN_TTL_MS)) log.info('run for missed notifications', { outcome: await this.runOutOfBand(conn.id) });
  }

  /**
   * A run outside the schedule that never overlaps another run of the connection: through the
   * scheduler's runner when there is one, else under the lease the Redis-mode runner holds while a
   * run goes (`reconcile-running:{connectionId}`), held here by this process for the run.
   */
  private async runOutOfBand(connectionId: string): Promise<string> {
    if (this.requestRun) return this.requestRun(connectionId, 'notification');
    const lease = `reconcile-running:${connectionId}`;
    const holder = `${this.holder}:${randomUUID()}`;
    if (!(await this.deps.store.tryAcquireLease(lease, holder, OUT_OF_BAND_LEASE_MS))) return 'busy';
    try {
      await this.reconcile.run(connectionId, { trigger: 'notification' });
      return 'ran';
    } catch (err) {
      if ((err as { code?: string }).code === 'run.in_progress') return 'busy';
      throw err;
    } finally {
      await this.deps.store.tryAcquireLease(lease, holder, 1).catch(() => undefined);
    }
  }

  private enqueue(conn: DirectoryConnection, hint: Hint): void {
    const receivedAt = this.deps.clock.now().toISOString();
    const key = `${conn.id}:${hint.directoryId}`;
    const work = async () => {
      const log = this.deps.logger.child({ connectionId: conn.id, orgId: conn.orgId, provider: conn.provider, notification: hint.ids });
      await this.slot(conn.id);
      try {
        const fresh = await this.connections.get(conn.id);
        const { outcome, lagSeconds } = await this.worker.act(fresh, hint, receivedAt, log);
        this.onOutcome(conn.provider, outcome, lagSeconds);
      } catch (err) {
        log.warn('notification work failed; the scheduled run remains the safety net', { error: (err as Error).message });
        const at = this.deps.clock.now().toISOString();
        await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, lastError: { message: (err as Error).message, at } })).catch(() => undefined);
      } finally {
        this.release(conn.id);
      }
    };
    const next = (this.users.get(key) ?? Promise.resolve()).then(work).finally(() => {
      if (this.users.get(key) === next) this.users.delete(key);
    });
    this.users.set(key, next);
  }

  private async slot(connectionId: string): Promise<void> {
    const n = this.inFlight.get(connectionId) ?? 0;
    if (n < HINTS_IN_FLIGHT) {
      this.inFlight.set(connectionId, n + 1);
      return;
    }
    // The releasing hint hands its slot over: the count stays as it is.
    await new Promise<void>((resolve) => this.waiting.set(connectionId, [...(this.waiting.get(connectionId) ?? []), resolve]));
  }

  private release(connectionId: string): void {
    const queue = this.waiting.get(connectionId) ?? [];
    const next = queue.shift();
    if (queue.length === 0) this.waiting.delete(connectionId);
    if (next) next();
    else if ((this.inFlight.get(connectionId) ?? 1) <= 1) this.inFlight.delete(connectionId);
    else this.inFlight.set(connectionId, this.inFlight.get(connectionId)! - 1);
  }

  /** Work for after the answer, in order per connection; a failure is logged and recorded, never thrown. */
  private later(conn: DirectoryConnection, work: () => Promise<void>): void {
    const prev = this.queues.get(conn.id) ?? Promise.resolve();
    const next = prev
      .then(work)
      .catch(async (err: unknown) => {
        const at = this.deps.clock.now().toISOString();
        this.deps.logger.warn('notification work failed; the scheduled run remains the safety net', { connectionId: conn.id, error: (err as Error).message });
        await updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, lastError: { message: (err as Error).message, at } })).catch(() => undefined);
      })
      .finally(() => {
        if (this.queues.get(conn.id) === next) this.queues.delete(conn.id);
      });
    this.queues.set(conn.id, next);
  }

  /** Records when the last verified message came (throttled per connection). */
  private seen(conn: DirectoryConnection): void {
    const now = this.deps.clock.now();
    if (now.getTime() - (this.lastMessage.get(conn.id) ?? 0) < LAST_MESSAGE_EVERY_MS) return;
    this.lastMessage.set(conn.id, now.getTime());
    this.later(conn, () => updateRealtime(this.deps.store, conn, (cur) => ({ ...cur, lastMessageAt: now.toISOString() })));
  }
}
