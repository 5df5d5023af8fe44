import { openStore } from '../app/open-store.js';
import { resolveSecretKey } from '../config/secret-key.js';
import { createBuiltinRegistry } from '../connectors/index.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../logging/winston-logger.js';
import type { Actor } from '../domain/model.js';
import { systemClock } from '../ports/clock.js';
import { createServices, type Services } from '../services/index.js';
import { defaultFromAddress, FileMailer } from '../services/invitations/file-mailer.js';
import type { CliIo } from './io.js';
import { join } from 'node:path';
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
  try {
    const services = createServices(
      { store, clock: systemClock, logger },
      {
        connectors: createBuiltinRegistry(),
        secretKey: resolveSecretKey(config).key,
        // No SMTP transport yet: invitation mail is written as .eml files under DATA_DIR/mail.
        mailer: new FileMailer(join(config.dataDir, 'mail'), defaultFromAddress(config.server.publicUrl), systemClock),
        publicUrl: config.server.publicUrl,
      },
    );
    return await fn(services, config);
  } finally {
    await store.close();
  }
}
