import { Gauge, type Registry } from 'prom-client';
import type { Logger } from '../ports/logger.js';
import type { Store } from '../ports/store.js';
import type { SecretExpiryWatch } from '../services/scim-clients/expiry.js';
import { PeriodicJob } from './periodic-job.js';

/** Hourly: a secret entering the window is reported within the hour, and a day's warning is never missed. */
export const EXPIRY_SCAN_INTERVAL_MS = 3_600_000;

/**
 * The secret expiry watch as a periodic job under a store lease (one replica per interval), and its
 * gauge. The gauge is rebuilt on every scan, so a rotated-out or revoked secret leaves it; it is set
 * on the replica that ran the scan, which is why alerts should use max() across replicas.
 */
export function scimClientExpiryJob(watch: SecretExpiryWatch, registry: Registry, deps: { store: Store; logger: Logger; holder: string }) {
  const gauge = new Gauge({
    name: 'idsync_scim_client_secret_expiry_seconds',
    help: 'Seconds until a SCIM OAuth client secret expires (negative once expired), for unrevoked secrets within 20 days of expiry.',
    labelNames: ['org', 'client', 'secret'] as const,
    registers: [registry],
  });
  return new PeriodicJob(
    'scim-client-secret-expiry',
    EXPIRY_SCAN_INTERVAL_MS,
    async () => {
      const found = await watch.scan();
      gauge.reset();
      for (const s of found) gauge.set({ org: s.orgId, client: s.clientId, secret: s.secretId }, s.secondsLeft);
      return { expiring: found.length, warned: found.filter((s) => s.warnedToday).length };
    },
    deps,
  );
}
