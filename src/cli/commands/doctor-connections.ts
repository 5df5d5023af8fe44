import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../app/open-store.js';
import type { Config } from '../../config/schema.js';
import { decodeSecretKey, SECRET_KEY_FILE } from '../../config/secret-key.js';
import { createBuiltinRegistry } from '../../connectors/index.js';
import { failureHint } from '../../domain/failures.js';
import { silentLogger } from '../../logging/winston-logger.js';
import { systemClock } from '../../ports/clock.js';
import { policySchema } from '../../services/connections/policy.js';
import { createServices } from '../../services/index.js';

export interface ConnectionCheck {
  name: 'connection';
  ok: boolean;
  message: string;
  fix?: string;
}

/** Fixes for retriable failures; terminal ones use the hint the connection shows (domain/failures). */
const FIXES: Record<string, string> = {
  'connector.unreachable': 'the directory API cannot be reached: check DNS, proxies and the NetworkPolicy egress (allowExternalEgress)',
  'connector.throttled': 'the directory is rate limiting this client: try again later, or lower the schedule frequency',
};

/**
 * Authenticates and lists each directory connection (the same test as `idsync connections test`).
 * Read-only: a missing secret key is reported, never generated.
 */
export async function checkConnections(config: Config): Promise<ConnectionCheck[]> {
  const key = secretKeyOf(config);
  const store = await openStore(config, silentLogger);
  try {
    const conns = await store.listConnections();
    if (conns.length === 0) return [];
    if (!key) return [{ name: 'connection', ok: false, message: `${conns.length} connection(s) are stored but no secret key is available to decrypt their credentials`, fix: 'restore DATA_DIR/secret.key or set IDSYNC_SECRET_KEY to the key they were stored with' }];
    const services = createServices({ store, clock: systemClock, logger: silentLogger }, { connectors: createBuiltinRegistry(), secretKey: key });
    const out: ConnectionCheck[] = [];
    for (const c of conns.filter((x) => x.enabled)) {
      const label = `connection ${c.name} (${c.provider}, ${c.id})`;
      try {
        // Read-only: a passing check does not release a connection stopped by a terminal failure.
        const r = await services.connections.test(c.id, undefined, { release: false });
        out.push(
          r.ok
            ? { name: 'connection', ok: true, message: `${label}: ${r.users} users listed, ${r.apiCalls} API calls, ${r.durationMs} ms` }
            : { name: 'connection', ok: false, message: `${label}: ${r.error?.code ?? 'connector.incomplete'}: ${r.error?.message ?? 'the listing did not complete'}`, fix: failureHint(r.error?.code ?? '') ?? FIXES[r.error?.code ?? ''] ?? 'run `idsync connections test ID --json` for details' },
        );
      } catch (err) {
        out.push({ name: 'connection', ok: false, message: `${label}: ${(err as Error).message}`, fix: 'check the connection settings with `idsync connections get ID`' });
      }
      if (policySchema.parse(c.policy).realtime) out.push(await realtimeCheck(label, config.server.publicUrl, c.provider === 'github' && !services.connections.webhookSecret(c)));
    }
    return out;
  } finally {
    await store.close().catch(() => undefined);
  }
}

/**
 * policy.realtime needs a public https URL the directory can POST to (Graph refuses anything else)
 * and, for GitHub, the webhook secret. Reachability is tried from here (`/healthz` under the public
 * URL): a pass says the URL leads to an idsync, not that the directory can reach it from outside.
 */
async function realtimeCheck(label: string, publicUrl: string, missingSecret: boolean): Promise<ConnectionCheck> {
  const fixUrl = 'set IDSYNC_PUBLIC_URL to the https URL the directory reaches this daemon at (an Ingress or load balancer)';
  if (missingSecret) return { name: 'connection', ok: false, message: `${label}: policy.realtime is on but no webhookSecret is stored: every delivery will be refused`, fix: 'give the connection the GitHub App webhook secret: `idsync connections update ID --config` with webhookSecret' };
  if (!/^https:\/\//i.test(publicUrl)) return { name: 'connection', ok: false, message: `${label}: policy.realtime is on but the public URL ${publicUrl || '(unset)'} is not https`, fix: fixUrl };
  try {
    const res = await fetch(`${publicUrl.replace(/\/+$/, '')}/healthz`, { signal: AbortSignal.timeout(3000) });
    if (res.ok) return { name: 'connection', ok: true, message: `${label}: notifications reach ${publicUrl}/hooks/…` };
    return { name: 'connection', ok: false, message: `${label}: ${publicUrl}/healthz answered ${res.status}`, fix: fixUrl };
  } catch (err) {
    return { name: 'connection', ok: false, message: `${label}: ${publicUrl} is not reachable from here (${(err as Error).message})`, fix: fixUrl };
  }
}

function secretKeyOf(config: Config): Buffer | undefined {
  if (config.secretKey !== '') return decodeSecretKey(config.secretKey);
  const file = join(config.dataDir, SECRET_KEY_FILE);
  return existsSync(file) ? decodeSecretKey(readFileSync(file, 'utf8')) : undefined;
}
