import { randomUUID } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Clock } from '../../ports/clock.js';
import type { MailMessage, Mailer } from '../../ports/mailer.js';

/** RFC 2047 encoded-word for a header value that is not plain ASCII. */
function encodeHeader(value: string): string {
  const clean = value.replace(/[\r\n]+/g, ' ');
  return /^[\x20-\x7e]*$/.test(clean) ? clean : `=?UTF-8?B?${Buffer.from(clean, 'utf8').toString('base64')}?=`;
}

/** Base64 body in 76-character lines (RFC 2045), so no line limit is ever at risk. */
function base64Lines(body: string): string {
  return (Buffer.from(body, 'utf8').toString('base64').match(/.{1,76}/g) ?? []).join('\r\n');
}

/** Quoted-printable would wrap long links; 8bit keeps them greppable, and our lines are short. */
function bodyPart(contentType: string, body: string): string[] {
  const crlf = body.replace(/\r?\n/g, '\r\n');
  const tooLong = crlf.split('\r\n').some((l) => Buffer.byteLength(l) > 998);
  return tooLong
    ? [`Content-Type: ${contentType}; charset=utf-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)]
    : [`Content-Type: ${contentType}; charset=utf-8`, 'Content-Transfer-Encoding: 8bit', '', crlf];
}

/** The message as RFC 5322 text: headers and a multipart/alternative plain-text + HTML body. */
export function renderEml(message: MailMessage, from: string, date: Date, messageId: string): string {
  const boundary = `idsync-${randomUUID()}`;
  return [
    `From: ${encodeHeader(from)}`,
    `To: ${encodeHeader(message.to)}`,
    `Subject: ${encodeHeader(message.subject)}`,
    `Date: ${date.toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    `Content-Type: multipart/alternative; boundary="${boundary}"`,
    '',
    `--${boundary}`,
    ...bodyPart('text/plain', message.text),
    `--${boundary}`,
    ...bodyPart('text/html', message.html),
    `--${boundary}--`,
    '',
  ].join('\r\n');
}

/**
 * The mailer when no SMTP is configured: each message becomes an .eml file in `dir`
 * (DATA_DIR/mail), readable with any mail client. Files hold live invitation links, so the folder is
 * 0700 and the files 0600; a file appears whole (written aside, then renamed).
 * With IDSYNC_SMTP_URL set, SmtpMailer (smtp-mailer.ts) is used instead (src/app/mailer-factory.ts).
 */
export class FileMailer implements Mailer {
  constructor(
    private readonly dir: string,
    private readonly from: string,
    private readonly clock: Clock,
  ) {}

  async send(message: MailMessage): Promise<{ id: string }> {
    const now = this.clock.now();
    const id = `${now.toISOString().replace(/[:.]/g, '-')}-${randomUUID()}`;
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const file = join(this.dir, `${id}.eml`);
    const tmp = `${file}.tmp`;
    await writeFile(tmp, renderEml(message, this.from, now, `${id}@idsync`), { mode: 0o600 });
    await rename(tmp, file);
    return { id: `${id}.eml` };
  }
}

/** A From address for local mail: the public host, or localhost. */
export function defaultFromAddress(publicUrl: string): string {
  let host = 'localhost';
  try {
    host = new URL(publicUrl).hostname || host;
  } catch {
    // keep localhost
  }
  return `idsync <no-reply@${host}>`;
}
