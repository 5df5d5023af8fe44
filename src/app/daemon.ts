import type { Config } from '../config/schema.js';
import { resolveSecretKey } from '../config/secret-key.js';
import { createBuiltinRegistry } from '../connectors/index.js';
import { createHttpApp } from '../http/app.js';
import type { ConnectorRegistry } from '../ports/directory.js';
import { createMetrics } from '../http/metrics.js';
import { createLogger } from '../logging/winston-logger.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import { listen } from '../runtime/http-server.js';
import { createServices, type Services } from '../services/index.js';
import { openStore } from './open-store.js';

export interface Daemon {
  port: number;
  url: string;
  store: Store;
  services: Services;
  /** Graceful: stop accepting, drain in-flight requests (bounded), close the store. Idempotent. */
  stop(): Promise<void>;
}

export interface DaemonOptions {
  logger?: Logger;
  clock?: Clock;
  /** Tests register fakes; the built-in Google, Microsoft and GitHub connectors otherwise. */
  connectors?: ConnectorRegistry;
}

/** Composes and starts the daemon from a validated config. */
export async function startDaemon(config: Config, opts: DaemonOptions = {}): Promise<Daemon> {
  const logger = opts.logger ?? createLogger(config.log);
  const secret = resolveSecretKey(config);
  if (secret.source === 'generated') logger.info('generated a new secret key', { file: `${config.dataDir}/secret.key` });
  const store = await openStore(config, logger);
  const services = createServices({ store, clock: opts.clock ?? systemClock, logger }, { connectors: opts.connectors ?? createBuiltinRegistry(), secretKey: secret.key });
  const metrics = createMetrics();
  const app = createHttpApp({
    store,
    services,
    logger,
    metrics,
    bodyLimit: config.server.bodyLimit,
    trustProxy: config.server.trustProxy,
    publicUrl: config.server.publicUrl,
    scim: config.scim,
  });
  let running;
  try {
    running = await listen(app, config.server.host, config.server.port);
  } catch (err) {
    await store.close();
    throw err;
  }
  logger.info('idsync listening', { port: running.port, store: store.kind, publicUrl: config.server.publicUrl });

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down');
      await running.close(config.server.shutdownTimeoutMs);
      await store.close();
      logger.info('stopped');
    })());

  return { port: running.port, url: `http://127.0.0.1:${running.port}`, store, services, stop };
}
