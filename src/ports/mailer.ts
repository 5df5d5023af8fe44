/** One outgoing email: a plain-text body and an HTML alternative of the same content. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends email: the SMTP mailer (src/services/invitations/smtp-mailer.ts, IDSYNC_SMTP_URL), or the
 * file mailer (file-mailer.ts) writing .eml files under DATA_DIR/mail; see src/app/mailer-factory.ts.
 */
export interface Mailer {
  /** Resolves with an id of the sent message (a file name, a Message-ID). */
  send(message: MailMessage): Promise<{ id: string }>;
}
