/** One outgoing email: a plain-text body and an HTML alternative of the same content. */
export interface MailMessage {
  to: string;
  subject: string;
  text: string;
  html: string;
}

/**
 * Sends email. Today the file mailer (src/services/invitations/file-mailer.ts) writes .eml files
 * under DATA_DIR/mail; an SMTP transport (IDSYNC_SMTP_URL) will implement the same port.
 */
export interface Mailer {
  /** Resolves with an id of the sent message (a file name, a Message-ID). */
  send(message: MailMessage): Promise<{ id: string }>;
}
