import nodemailer from 'nodemailer';
import type { Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool/index.js';
import { IdsyncError } from '../../domain/errors.js';
import type { MailMessage, Mailer } from '../../ports/mailer.js';

export interface SmtpMailerOptions {
  /** smtp://[user:pass@]host[:port] (STARTTLS when offered) or smtps://… (TLS from the start). */
  url: string;
  from: string;
  /** Verify the server certificate (default true). */
  tlsRejectUnauthorized?: boolean;
}

/** Where a transport connects to; never holds the credentials, so it is safe in messages and logs. */
export interface SmtpTarget {
  host: string;
  port: number;
  secure: boolean;
}

/** Parses an smtp:// or smtps:// URL into pool options; the credentials stay inside the options. */
export function smtpPoolOptions(url: string, tlsRejectUnauthorized = true): { target: SmtpTarget; options: SMTPPool.Options; secrets: string[] } {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new IdsyncError('config.invalid', 'mail.smtpUrl is not a valid URL', { key: 'mail.smtpUrl' });
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new IdsyncError('config.invalid', 'mail.smtpUrl must start with smtp:// or smtps://', { key: 'mail.smtpUrl' });
  }
  const secure = parsed.protocol === 'smtps:';
  const target: SmtpTarget = { host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'), port: parsed.port ? Number(parsed.port) : secure ? 465 : 587, secure };
  const user = decodeURIComponent(parsed.username);
  const pass = decodeURIComponent(parsed.password);
  const options: SMTPPool.Options = {
    pool: true,
    host: target.host,
    port: target.port,
    secure,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 20_000,
    maxConnections: 3,
    tls: { rejectUnauthorized: tlsRejectUnauthorized },
    logger: false,
    debug: false,
    ...(user ? { auth: { user, pass } } : {}),
  };
  const secrets = [pass, parsed.password, user && pass ? Buffer.from(`\u0000${user}\u0000${pass}`).toString('base64') : '', pass ? Buffer.from(pass).toString('base64') : ''].filter((s) => s.length >= 1);
  return { target, options, secrets };
}

/** Removes every occurrence of the given secrets from a text (longest first). */
function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join('[redacted]');
  return out;
}

interface SmtpErrorFields {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/**
 * Sends mail through an SMTP server with a pooled nodemailer transport (IDSYNC_SMTP_URL): a
 * multipart/alternative plain-text + HTML message from the configured address. A failure becomes
 * `mail.send_failed` naming the host, port and the server's answer, never the credentials.
 */
export class SmtpMailer implements Mailer {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo, SMTPPool.Options>;
  private readonly target: SmtpTarget;
  private readonly secrets: string[];

  constructor(private readonly opts: SmtpMailerOptions) {
    const { target, options, secrets } = smtpPoolOptions(opts.url, opts.tlsRejectUnauthorized ?? true);
    this.target = target;
    this.secrets = secrets;
    this.transport = nodemailer.createTransport(options);
  }

  async send(message: MailMessage): Promise<{ id: string }> {
    try {
      const info = await this.transport.sendMail({ from: this.opts.from, to: message.to, subject: message.subject, text: message.text, html: message.html });
      return { id: info.messageId };
    } catch (err) {
      throw this.failure(err);
    }
  }

  /** Closes the pooled connections (daemon shutdown, end of a CLI command). */
  async close(): Promise<void> {
    this.transport.close();
  }

  private failure(err: unknown): IdsyncError {
    const e: SmtpErrorFields = typeof err === 'object' && err !== null ? (err as SmtpErrorFields) : { message: String(err) };
    const code = typeof e.code === 'string' ? e.code : undefined;
    const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
    const answer = typeof e.response === 'string' ? e.response : typeof e.message === 'string' ? e.message : 'unknown error';
    const where = `${this.target.host}:${this.target.port}`;
    const reason = scrub(answer.replace(/[\r\n]+/g, ' ').slice(0, 300), this.secrets);
    return new IdsyncError('mail.send_failed', `could not send mail through SMTP server ${where}${code ? ` (${code})` : ''}: ${reason}`, {
      host: this.target.host,
      port: this.target.port,
      ...(code ? { smtpCode: code } : {}),
      ...(responseCode !== undefined ? { responseCode } : {}),
    });
  }
}
