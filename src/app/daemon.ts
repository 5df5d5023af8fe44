import type { Config } from '../config/schema.js';
import { resolveSecretKey } from '../config/secret-key.js';
import { createBuiltinRegistry } from '../connectors/index.js';
import { createHttpApp } from '../http/app.js';
import { entryOfRequest, type LoggedRequest } from '../http/scim/request-log.js';
import { serverClasses } from '../http/server-classes.js';
import type { ConnectorRegistry } from '../ports/directory.js';
import { createMetrics } from '../http/metrics.js';
import { createLogger } from '../logging/winston-logger.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { listen } from '../runtime/http-server.js';
import { ReconcileScheduler } from '../runtime/reconcile-scheduler.js';
import { PeriodicJob } from '../runtime/periodic-job.js';
import { scimClientExpiryJob } from '../runtime/scim-client-expiry.js';
import { createReconcileMetrics } from '../runtime/reconcile-metrics.js';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { createServices, type Services } from '../services/index.js';
import { createMailer } from './mailer-factory.js';
import { SEAL_PURPOSE, SecretBox } from '../services/secret-box.js';
import { ScimLogRecorder } from '../services/scim-log/recorder.js';
import { WebhookWorker } from '../services/webhooks/worker.js';
import { SignalWorker } from '../services/signals/worker.js';
import { Gauge } from 'prom-client';
import { openBackend } from './open-store.js';

export interface Daemon {
  port: number;
  url: string;
  store: Store;
  services: Services;
  /** Graceful: stop accepting, drain in-flight requests (bounded), close the store. Idempotent. */
  stop(): Promise<void>;
  /** Present unless reconcile.scheduler is off. */
  scheduler?: ReconcileScheduler;
  /** Buffers SCIM request log entries; present unless scim.requestLogDays is 0. */
  scimLog?: ScimLogRecorder<LoggedRequest>;
}

export interface DaemonOptions {
  logger?: Logger;
  clock?: Clock;
  /** Tests register fakes; the built-in Google, Microsoft and GitHub connectors otherwise. */
  connectors?: ConnectorRegistry;
  /** Where ticks run as jobs (Redis mode, BullMQ): job lock and stalled-check timings (tests shorten them; 30 s each otherwise). */
  reconcileJobs?: { lockDurationMs?: number; stalledIntervalMs?: number };
}

/** Composes and starts the daemon from a validated config. */
export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const logger = opts.logger ?? createLogger(config.log);
  const secret = resolveSecretKey(config);
  if (secret.source === 'generated') logger.info('generated a new secret key', { file: `${config.dataDir}/secret.key` });
  const backend = await openBackend(config, logger, { waitForStore: true });
  const { store } = backend;
  // Member changes wake the Shared Signals worker (set once it exists, below).
  let wakeSignals: () => void = () => undefined;
  const clock = opts.clock ?? systemClock;
  const mail = createMailer(config, clock);
  const metrics = createMetrics();
  const observeRun = createReconcileMetrics(metrics.registry);
  /** This replica's name in store leases (scheduled reconciles, webhook attempts, housekeeping, notifications). */
  const holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const services = createServices({ store, clock, logger, onMemberChanged: () => wakeSignals() }, {
    holder,
    onNotification: (provider, outcome, lagSeconds) => {
      metrics.notifications.inc({ provider, outcome });
      if (lagSeconds !== undefined) observeRun.notificationLag(provider, lagSeconds);
    },
    onRunFinished: observeRun,
    connectors: opts.connectors ?? createBuiltinRegistry(),
    secretKey: secret.key,
    // SMTP when IDSYNC_SMTP_URL is set, otherwise .eml files under DATA_DIR/mail.
    mailer: mail.mailer,
    publicUrl: config.server.publicUrl,
    webhooks: { allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
    scimLog: { days: config.scim.requestLogDays, maxPerOrg: config.scim.requestLogMaxPerOrg },
    oauthTokenTtlSeconds: config.scim.oauthTokenTtlSeconds,
    console: { idleMinutes: config.console.sessionIdleMinutes, maxHours: config.console.sessionMaxHours },
    orgDeletionGraceDays: config.orgs.deletionGraceDays,
    onPurgePass: (outcome) => {
      if (outcome.purged.length) metrics.orgPurges.inc({ outcome: 'purged' }, outcome.purged.length);
      if (outcome.failed.length) metrics.orgPurges.inc({ outcome: 'failed' }, outcome.failed.length);
    },
    signup: { mode: config.signup.mode, continueUrl: config.join.continueUrl },
    dnsServers: config.domains.dnsServers,
    ownerSignInProof: config.domains.ownerSignInProof,
  });
  const scimLog = services.scimLog.enabled
    ? new ScimLogRecorder({
        store,
        entryOf: entryOfRequest,
        logger: logger.child({ component: 'scim-log' }),
        onFlushFailed: (n) => metrics.scimLogFlushFailures.inc(n),
        onDropped: (n) => metrics.scimLogDropped.inc(n),
        maxPerOrg: config.scim.requestLogMaxPerOrg,
      })
    : undefined;
  const app = createHttpApp({
    store,
    services,
    logger,
    metrics,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy,
    publicUrl: config.server.publicUrl,
    scim: config.scim,
    authFailuresPerMinute: config.server.authFailuresPerMinute,
    storeLabel: backend.label,
    ...(scimLog ? { scimLog: { recorder: scimLog, now: clock === systemClock ? Date.now : () => clock.now().getTime() } } : {}),
    api: {
      rateLimitPerMinute: config.api.rateLimitPerMinute,
      ...(config.api.rateLimitPerMinute > 0 && backend.rateLimitStore ? { rateLimitStore: backend.rateLimitStore() } : {}),
    },
    join: { secretKey: secret.key, oidc: config.oidc, clock },
  });
  let running;
  try {
    running = await listen(app, config.server.host, config.server.port, serverClasses(app));
  } catch (err) {
    await mail.close();
    await store.close();
    throw err;
  }
  logger.info('idsync listening', { port: running.port, store: backend.label, publicUrl: config.server.publicUrl });
  const webhooks = new WebhookWorker({
    store,
    clock,
    logger: logger.child({ component: 'webhooks' }),
    box: new SecretBox(secret.key, SEAL_PURPOSE.webhookSecrets),
    ...config.webhooks,
    onOutcome: (status) => metrics.webhookDeliveries.inc({ status }),
    holder,
  });
  webhooks.start();
  // Shared Signals: the same outbox, signed SETs pushed to SSF receivers with the webhook delivery settings.
  const signals = new SignalWorker({
    store,
    clock,
    logger: logger.child({ component: 'signals' }),
    keys: services.signals.keys,
    box: new SecretBox(secret.key, SEAL_PURPOSE.signalReceiverAuth),
    issuer: config.server.publicUrl,
    ...config.webhooks,
    onOutcome: (stream, status) => metrics.ssfPushes.inc({ stream, status }),
    holder,
  });
  new Gauge({
    name: 'idsync_ssf_sets_pending',
    help: 'Shared Signals SETs waiting for delivery (push) or for the receiver to poll them, by stream.',
    labelNames: ['stream'] as const,
    registers: [metrics.registry],
    async collect() {
      this.reset();
      try {
        for (const s of await store.listSignalStreams()) this.set({ stream: s.id }, await store.countPendingSets(s.id));
      } catch {
        // A store outage leaves the gauge empty; /readyz and the outage log report it.
      }
    },
  });
  signals.start();
  wakeSignals = () => signals.wake();
  const scheduler = config.reconcile.scheduler
    ? new ReconcileScheduler({
        store,
        logger: logger.child({ component: 'scheduler' }),
        resyncMs: config.reconcile.resyncMs,
        runner: await backend.tickRunner({
          logger: logger.child({ component: 'scheduler' }),
          holder,
          run: { reconcile: services.reconcile, runTimeoutMs: config.reconcile.runTimeoutMs },
          failureBackoffMs: config.reconcile.failureBackoffMs,
          jobs: opts.reconcileJobs,
          clock,
        }),
      })
    : undefined;
  await scheduler?.start();
  // A Graph `missed` notification's run goes through the scheduler's single-flight and leases.
  if (scheduler) services.notifications.useRunner((connectionId, trigger) => scheduler.runNow(connectionId, trigger));
  const expiry = new PeriodicJob('expire-invitations', 60_000, () => services.invitations.expireDue(), { store, logger, holder });
  expiry.start();
  const pruneScimLog = new PeriodicJob('prune-scim-log', 600_000, () => services.scimLog.prune(), { store, logger, holder });
  // Leases double as claims and replay guards (notification deliveries, OAuth assertion jti): expired ones are forgotten.
  const sweepLeases = new PeriodicJob('sweep-leases', 600_000, () => store.sweepExpiredLeases(), { store, logger, holder });
  sweepLeases.start();
  // Ended console sessions and old portal links (Redis forgets them by itself; SQLite deletes them here).
  const sweepSessions = new PeriodicJob('sweep-console-sessions', 600_000, () => services.console.sweep(), { store, logger, holder });
  sweepSessions.start();
  // Delivered and failed SETs are kept a week (their jti stops a repeated fan-out from queueing them again).
  const forgetSets = new PeriodicJob('forget-done-sets', 3_600_000, () => store.forgetDoneSets(new Date(clock.now().getTime() - 7 * 86_400_000).toISOString()), { store, logger, holder });
  forgetSets.start();
  // Orgs past their deletion grace period are purged (each keeps a receipt); a failed purge resumes next hour.
  const purgeOrgs = new PeriodicJob('purge-deleted-orgs', 3_600_000, () => services.orgDeletion.purgeDue(), { store, logger, holder });
  purgeOrgs.start();
  if (scimLog) pruneScimLog.start();
  const secretExpiry = scimClientExpiryJob(services.scimClientExpiry, metrics.registry, { store, logger, holder });
  secretExpiry.start();
  // The first scan at start, so a restarted daemon reports expiring secrets without waiting an hour.
  void secretExpiry.tick();
  // Graph subscriptions of realtime connections: created, renewed well before expiry, deleted when off.
  const subscriptions = new PeriodicJob('graph-subscriptions', 60_000, () => services.notifications.keeper.keepAll(), { store, logger, holder });
  subscriptions.start();
  // Google push channels of realtime connections: opened, replaced before expiry, stopped when off.
  const channels = new PeriodicJob('google-channels', 60_000, () => services.notifications.channels.keepAll(), { store, logger, holder });
  channels.start();
  // A pass at start, outside the job's per-minute lease: channels that expired or whose address
  // changed while the daemon was down are reopened at once (the keeper's own lease keeps passes apart).
  void services.notifications.channels.keepAll().catch((err: unknown) => logger.warn('google channel upkeep at start failed; the job retries', { error: (err as Error).message }));

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      await scheduler?.stop();
      await expiry.stop();
      await secretExpiry.stop();
      await subscriptions.stop();
      await channels.stop();
      await webhooks.stop();
      await signals.stop();
      await pruneScimLog.stop();
      await sweepLeases.stop();
      await sweepSessions.stop();
      await forgetSets.stop();
      await purgeOrgs.stop();
      await running.close(config.server.shutdownTimeoutMs);
      // After the last request is answered, so its entry is among those flushed.
      await scimLog?.stop();
      await services.notifications.idle();
      await services.auditVerifications.stop();
      await mail.close();
      await store.close();
      logger.info('stopped');
    })());

  return { port: running.port, url: `http://127.0.0.1:${running.port}`, store, services, stop, ...(scheduler ? { scheduler } : {}), ...(scimLog ? { scimLog } : {}) };
}
