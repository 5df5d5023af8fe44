import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBuiltinRegistry } from '../../src/connectors/index.js';
import { createHttpApp } from '../../src/http/app.js';
import { createMetrics, type HttpMetrics } from '../../src/http/metrics.js';
import { silentLogger } from '../../src/logging/winston-logger.js';
import { systemClock, type Clock } from '../../src/ports/clock.js';
import type { Store } from '../../src/ports/store.js';
import { createServices, type Services } from '../../src/services/index.js';

export interface HookApp {
  url: string;
  services: Services;
  metrics: HttpMetrics;
  /** Offboarding lags of applied notification deactivations, in seconds (the daemon observes them as source="notification"). */
  lags: number[];
  /** `idsync_notifications_total` as { "provider/outcome": count }. */
  outcomes(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * The daemon's HTTP app and services over a given store, on a loopback port known before the
 * services are made (their public URL is where the fakes send notifications). Two of these on one
 * Redis are two replicas.
 */
export async function startHookApp(store: Store, opts: { clock?: Clock; holder?: string; secretKey?: Buffer } = {}): Promise<HookApp> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const metrics = createMetrics();
  const lags: number[] = [];
  const services = createServices(
    { store, clock: opts.clock ?? systemClock, logger: silentLogger },
    { connectors: createBuiltinRegistry(), secretKey: opts.secretKey ?? Buffer.alloc(32, 7), publicUrl: url, ...(opts.holder ? { holder: opts.holder } : {}), onNotification: (provider, outcome, lag) => {
        metrics.notifications.inc({ provider, outcome });
        if (lag !== undefined) lags.push(lag);
      },
    },
  );
  const app = createHttpApp({ store, storeLabel: 'test', services, logger: silentLogger, metrics, bodyLimit: '1mb', trustProxy: false, publicUrl: url, scim: { rateLimitPerSecond: 0, rateLimitBurst: 0, bulkMaxOperations: 100 }, authFailuresPerMinute: 0 });
  server.on('request', app);
  return {
    url,
    services,
    metrics,
    lags,
    async outcomes() {
      const m = await metrics.notifications.get();
      return Object.fromEntries(m.values.map((v) => [`${String(v.labels.provider)}/${String(v.labels.outcome)}`, v.value]));
    },
    async close() {
      await services.notifications.idle();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
