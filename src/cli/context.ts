import { openStore } from '../app/open-store.js';
import { resolveSecretKey } from '../config/secret-key.js';
import { createBuiltinRegistry } from '../connectors/index.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../logging/winston-logger.js';
import type { Actor } from '../domain/model.js';
import { systemClock } from '../ports/clock.js';
import { createServices, type Services } from '../services/index.js';
import { createMailer } from '../app/mailer-factory.js';
import type { CliIo } from './io.js';
import { Writable } from 'node:stream';

export const CLI_ACTOR: Actor = { kind: 'cli', label: 'idsync CLI' };

/** Opens the configured store (the same one a running daemon uses), runs fn, closes the store. */
export async function withServices<T>(io: CliIo, fn: (services: Services, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig({ env: io.env, cwd: io.cwd });
  const stderr = new Writable({
    write(chunk, _enc, cb) {
      io.err(String(chunk));
      cb();
    },
  });
  const logger = createLogger({ level: 'warn', format: 'pretty', stream: stderr });
  const store = await openStore(config, logger);
  const mail = createMailer(config, systemClock);
  try {
    const services = createServices(
      { store, clock: systemClock, logger },
      {
        connectors: createBuiltinRegistry(),
        secretKey: resolveSecretKey(config).key,
        // SMTP when IDSYNC_SMTP_URL is set, otherwise .eml files under DATA_DIR/mail.
        mailer: mail.mailer,
        publicUrl: config.server.publicUrl,
        webhooks: { allowPrivateNetworks: config.webhooks.allowPrivateNetworks },
        scimLog: { days: config.scim.requestLogDays, maxPerOrg: config.scim.requestLogMaxPerOrg },
        oauthTokenTtlSeconds: config.scim.oauthTokenTtlSeconds,
        console: { idleMinutes: config.console.sessionIdleMinutes, maxHours: config.console.sessionMaxHours },
        orgDeletionGraceDays: config.orgs.deletionGraceDays,
        signup: { mode: config.signup.mode, continueUrl: config.join.continueUrl },
        dnsServers: config.domains.dnsServers,
        ownerSignInProof: config.domains.ownerSignInProof,
      },
    );
    return await fn(services, config);
  } finally {
    await mail.close();
    await store.close();
  }
}
