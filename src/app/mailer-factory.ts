import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import type { Clock } from '../ports/clock.js';
import type { Mailer } from '../ports/mailer.js';
import { defaultFromAddress, FileMailer } from '../services/invitations/file-mailer.js';
import { SmtpMailer } from '../services/invitations/smtp-mailer.js';

/** A mailer and how to release it (the SMTP pool's connections; nothing for files). */
export interface OwnedMailer {
  mailer: Mailer;
  kind: 'smtp' | 'file';
  close(): Promise<void>;
}

/**
 * The invitation mailer of a process: SMTP when mail.smtpUrl (IDSYNC_SMTP_URL) is set, otherwise
 * .eml files under DATA_DIR/mail. The daemon and the CLI both build their mailer here.
 */
export function createMailer(config: Pick<Config, 'mail' | 'dataDir' | 'server'>, clock: Clock): OwnedMailer {
  const from = config.mail.from || defaultFromAddress(config.server.publicUrl);
  if (config.mail.smtpUrl) {
    const smtp = new SmtpMailer({ url: config.mail.smtpUrl, from, tlsRejectUnauthorized: config.mail.tlsRejectUnauthorized });
    return { mailer: smtp, kind: 'smtp', close: () => smtp.close() };
  }
  return { mailer: new FileMailer(join(config.dataDir, 'mail'), from, clock), kind: 'file', close: async () => {} };
}
