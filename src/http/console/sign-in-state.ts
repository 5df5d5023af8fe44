import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { JoinProvider } from '../join/providers.js';

export const SIGN_IN_COOKIE = 'idsync_console_signin';
const TTL_MS = 10 * 60_000;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** What the browser carries from /console/sign-in/{provider} to the callback. */
export interface ConsoleSignInState {
  provider: JoinProvider;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A checked console path (safeNext) to return to after sign-in; absent: the console's start. */
  next?: string;
  /** Epoch milliseconds after which the sign-in must be started again. */
  exp: number;
}

/**
 * The console sign-in's state cookie, AES-256-GCM under an HKDF sub-key of the deployment secret
 * key with its own label, so neither it nor the join page's state cookie opens as the other.
 * Altered, foreign or expired cookies open to undefined.
 */
export class SignInStateCookie {
  private readonly key: Buffer;

  constructor(secretKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'idsync console sign-in state cookie (AES-256-GCM)', 32));
  }

  seal(s: Omit<ConsoleSignInState, 'exp'>, nowMs: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...s, exp: nowMs + TTL_MS }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  open(value: string | undefined, nowMs: number): ConsoleSignInState | undefined {
    if (!value) return undefined;
    const raw = Buffer.from(value, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const s = JSON.parse(Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8')) as Partial<ConsoleSignInState>;
      const ok = typeof s.provider === 'string' && typeof s.state === 'string' && typeof s.nonce === 'string' && typeof s.codeVerifier === 'string' && typeof s.exp === 'number' && (s.next === undefined || typeof s.next === 'string');
      if (!ok || s.exp! <= nowMs) return undefined;
      return s as ConsoleSignInState;
    } catch {
      return undefined;
    }
  }
}

const ORIGIN = 'http://idsync.invalid';

/**
 * The `next` of a sign-in, kept only when it is a path of this console: relative, starting with
 * `/console/`, resolving to the same origin and to a console page that is not the sign-in itself.
 * Anything else (absolute URLs, `//host`, backslashes, control characters, `..` out of /console,
 * over 1,000 characters) is dropped, so the sign-in never redirects off the console.
 */
export function safeNext(raw: unknown): string | undefined {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 1000) return undefined;
  if (!raw.startsWith('/console/') || raw.includes('\\') || /[\u0000-\u001f\u007f]/.test(raw)) return undefined;
  let u: URL;
  try {
    u = new URL(raw, ORIGIN);
  } catch {
    return undefined;
  }
  if (u.origin !== ORIGIN || !u.pathname.startsWith('/console/') || u.pathname.startsWith('/console/sign-in') || u.pathname.startsWith('/console/start')) return undefined;
  return `${u.pathname}${u.search}`;
}
