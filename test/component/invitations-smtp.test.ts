import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { existsSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../../src/config/load.js';
import { isIdsyncError } from '../../src/domain/errors.js';
import { SmtpMailer } from '../../src/services/invitations/smtp-mailer.js';
import { cli, startTestDaemon, tempDir, testEnv } from '../support/harness.js';

const USER = 'mailer';
const PASSWORD = 'S3cret-p@ss/word';

interface Received {
  envelopeFrom: string;
  envelopeTo: string[];
  headers: Record<string, string>;
  parts: Record<string, string>;
}

interface Created {
  invitation: { id: string; email: string; expiresAt: string };
  link: string;
  mailed: boolean;
}

function decodeQuotedPrintable(s: string): string {
  const bytes = s.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/** Header block (unfolded, lower-case names) and body of one MIME entity. */
function splitEntity(raw: string): { headers: Record<string, string>; body: string } {
  const at = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, at).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body: raw.slice(at + 4) };
}

/** Decoded text parts of a multipart message by content type (enough MIME to assert on). */
function parseMessage(raw: string): Pick<Received, 'headers' | 'parts'> {
  const { headers, body } = splitEntity(raw);
  const boundary = /boundary="?([^";]+)"?/.exec(headers['content-type'] ?? '')?.[1];
  if (!boundary) throw new Error(`not multipart: ${headers['content-type']}`);
  const parts: Record<string, string> = {};
  for (const chunk of body.split(`--${boundary}`).slice(1, -1)) {
    const part = splitEntity(chunk.replace(/^\r\n/, ''));
    const type = (part.headers['content-type'] ?? '').split(';')[0]!.trim();
    const encoding = (part.headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
    const text = part.body.replace(/\r\n$/, '');
    parts[type] = encoding === 'base64' ? Buffer.from(text, 'base64').toString('utf8') : encoding === 'quoted-printable' ? decodeQuotedPrintable(text) : text;
  }
  return { headers, parts };
}

/** A real SMTP server on 127.0.0.1 that demands AUTH (plain text on loopback, no STARTTLS). */
async function startSmtp(): Promise<{ port: number; received: Received[]; authAttempts: number; close(): Promise<void> }> {
  const received: Received[] = [];
  const state = { authAttempts: 0 };
  const server = new SMTPServer({
    secure: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      state.authAttempts++;
      if (auth.username === USER && auth.password === PASSWORD) callback(null, { user: USER });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        received.push({ envelopeFrom, envelopeTo: session.envelope.rcptTo.map((r) => r.address), ...parseMessage(Buffer.concat(chunks).toString('utf8')) });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    received,
    get authAttempts() {
      return state.authAttempts;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('invitation mail over SMTP', () => {
  let dir: string;
  let smtp: Awaited<ReturnType<typeof startSmtp>>;
  const envWith = (password: string, extra: Record<string, string> = {}) =>
    testEnv(dir, { IDSYNC_PUBLIC_URL: 'https://people.example.com', IDSYNC_SMTP_URL: `smtp://${USER}:${encodeURIComponent(password)}@127.0.0.1:${smtp.port}`, ...extra });

  beforeEach(async () => {
    dir = tempDir();
    smtp = await startSmtp();
  });
  afterEach(async () => {
    await smtp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('when an invitation is created and resent with SMTP configured, then two multipart messages with the link, org, role and expiry arrive', async () => {
    const env = envWith(PASSWORD, { IDSYNC_MAIL_FROM: 'Acme People <people@acme.example>' });
    const orgId = (await cli(env, dir, 'orgs', 'create', '--name', 'Acme Corp', '--json')).json<{ id: string }>().id;
    const created = await cli(env, dir, 'invites', 'create', '--org', orgId, '--email', 'ada@example.com', '--first', 'Ada', '--role', 'admin', '--json');
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const r = created.json<Created>();
    expect(r.mailed).toBe(true);
    expect(smtp.received).toHaveLength(1);
    expect(existsSync(join(dir, 'mail'))).toBe(false);

    const first = smtp.received[0]!;
    expect(first.envelopeTo).toEqual(['ada@example.com']);
    expect(first.envelopeFrom).toBe('people@acme.example');
    expect(first.headers.to).toBe('ada@example.com');
    expect(first.headers.from).toBe('Acme People <people@acme.example>');
    expect(first.headers.subject).toContain('Acme Corp');
    expect(first.headers['message-id']).toMatch(/^<.+@.+>$/);
    expect(first.headers['content-type']).toMatch(/^multipart\/alternative;/);
    expect(Object.keys(first.parts).sort()).toEqual(['text/html', 'text/plain']);
    const expiryDay = new Date(r.invitation.expiresAt).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });
    for (const body of Object.values(first.parts)) {
      expect(body).toContain(r.link);
      expect(body).toContain('Acme Corp');
      expect(body).toContain('admin');
      expect(body).toContain(expiryDay);
    }

    const resent = await cli(env, dir, 'invites', 'resend', r.invitation.id, '--org', orgId, '--json');
    expect(resent.code).toBe(0);
    const again = resent.json<Created>();
    expect(again.mailed).toBe(true);
    expect(again.link).not.toBe(r.link);
    expect(smtp.received).toHaveLength(2);
    expect(smtp.received[1]!.parts['text/plain']).toContain(again.link);
    expect(smtp.received[1]!.parts['text/html']).toContain(again.link);
    expect(smtp.received[1]!.parts['text/plain']).not.toContain(r.link);
  });

  it('when the SMTP server rejects the password, then the invitation still succeeds with mailed false and the password is printed nowhere', async () => {
    const env = envWith('wrong-Pa55word');
    const orgId = (await cli(env, dir, 'orgs', 'create', '--name', 'Acme', '--json')).json<{ id: string }>().id;
    const created = await cli(env, dir, 'invites', 'create', '--org', orgId, '--email', 'bob@example.com', '--json');
    expect(created.code).toBe(0);
    const r = created.json<Created>();
    expect(r.mailed).toBe(false);
    expect(r.link).toMatch(/\/join\/idsync_inv_/);
    expect(smtp.authAttempts).toBeGreaterThan(0);
    expect(smtp.received).toHaveLength(0);
    expect(created.stderr).toContain('could not send an invitation email');
    expect(created.stderr).toContain(`127.0.0.1:${smtp.port}`);
    const human = await cli(env, dir, 'invites', 'create', '--org', orgId, '--email', 'carol@example.com');
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('mail NOT sent');
    for (const text of [created.stdout, created.stderr, human.stdout, human.stderr]) {
      expect(text).not.toContain('wrong-Pa55word');
      expect(text).not.toContain(Buffer.from('wrong-Pa55word').toString('base64'));
    }
    expect(existsSync(join(dir, 'mail'))).toBe(false);
  });

  it('when the daemon invites over the admin service with SMTP, then the mail arrives and a refused login is logged without the password', async () => {
    const good = await startTestDaemon(envWith(PASSWORD), dir);
    try {
      const org = await good.services.orgs.create({ name: 'Daemon Org' }, { kind: 'cli', label: 'test' });
      const r = await good.services.invitations.invite(org.id, { email: 'dee@example.com', role: 'member', teamIds: [] }, { kind: 'cli', label: 'test' });
      expect(r.mailed).toBe(true);
      expect(smtp.received.map((m) => m.headers.to)).toEqual(['dee@example.com']);
      expect(smtp.received[0]!.headers.from).toBe('idsync <no-reply@people.example.com>');
    } finally {
      await good.stop();
    }
    const bad = await startTestDaemon(envWith('Wr0ng-daemon-pass'), dir);
    try {
      const org = await bad.services.orgs.create({ name: 'Daemon Org 2' }, { kind: 'cli', label: 'test' });
      const r = await bad.services.invitations.invite(org.id, { email: 'eve@example.com', role: 'member', teamIds: [] }, { kind: 'cli', label: 'test' });
      expect(r.mailed).toBe(false);
    } finally {
      await bad.stop();
    }
    const warn = bad.logs.records().find((l) => l.message === 'could not send an invitation email');
    expect(warn).toBeDefined();
    expect(String(warn?.error)).toMatch(/could not send mail through SMTP server 127\.0\.0\.1:\d+/);
    expect(bad.logs.lines.join('\n')).not.toContain('Wr0ng-daemon-pass');
  });

  it('when the SMTP mailer cannot log in, then it throws mail.send_failed (502) without the credentials, and a non-SMTP URL is refused by config', async () => {
    const mailer = new SmtpMailer({ url: `smtp://${USER}:nope-pass-123@127.0.0.1:${smtp.port}`, from: 'idsync <no-reply@localhost>' });
    try {
      const err = await mailer.send({ to: 'x@example.com', subject: 's', text: 't', html: '<p>t</p>' }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isIdsyncError(err, 'mail.send_failed')).toBe(true);
      if (!isIdsyncError(err)) throw new Error('expected an IdsyncError');
      expect(err.status).toBe(502);
      expect(err.message).not.toContain('nope-pass-123');
      expect(JSON.stringify(err.details)).not.toContain('nope-pass-123');
    } finally {
      await mailer.close();
    }
    let configError: unknown;
    try {
      loadConfig({ env: testEnv(dir, { IDSYNC_SMTP_URL: 'http://u:leaky-pass@mail.example.com' }), cwd: dir });
    } catch (e) {
      configError = e;
    }
    expect(configError).toBeInstanceOf(Error);
    expect(String((configError as Error).message)).toContain('IDSYNC_SMTP_URL');
    expect(String((configError as Error).message)).not.toContain('leaky-pass');
  });
});
