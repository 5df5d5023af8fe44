import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import type { JoinProvider } from './providers.js';

export const STATE_COOKIE = 'idsync_join';
const TTL_MS = 10 * 60_000;

/** What the browser carries between /join/{token}/start/{provider} and /auth/callback/{provider}. */
export interface JoinState {
  token: string;
  provider: JoinProvider;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** Epoch milliseconds after which the sign-in must be started again. */
  exp: number;
}

/**
 * The sign-in state cookie: base64url(JSON) + '.' + base64url(HMAC-SHA256). The HMAC key is an
 * HKDF sub-key of the deployment secret key, so it signs nothing else. Not encrypted: it holds the
 * join token the browser already has in its address bar, and one-time PKCE/state/nonce values.
 */
export class StateCookie {
  private readonly key: Buffer;

  constructor(secretKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'idsync join state cookie', 32));
  }

  seal(s: Omit<JoinState, 'exp'>, nowMs: number): string {
    const body = Buffer.from(JSON.stringify({ ...s, exp: nowMs + TTL_MS })).toString('base64url');
    return `${body}.${this.mac(body)}`;
  }

  /** The state, or undefined when the cookie is missing, tampered with or expired. */
  open(value: string | undefined, nowMs: number): JoinState | undefined {
    if (!value) return undefined;
    const dot = value.indexOf('.');
    if (dot <= 0) return undefined;
    const body = value.slice(0, dot);
    const given = Buffer.from(value.slice(dot + 1), 'base64url');
    const want = Buffer.from(this.mac(body), 'base64url');
    if (given.length !== want.length || !timingSafeEqual(given, want)) return undefined;
    try {
      const s = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as Partial<JoinState>;
      const ok = typeof s.token === 'string' && typeof s.provider === 'string' && typeof s.state === 'string' && typeof s.nonce === 'string' && typeof s.codeVerifier === 'string' && typeof s.exp === 'number';
      if (!ok || s.exp! <= nowMs) return undefined;
      return s as JoinState;
    } catch {
      return undefined;
    }
  }

  private mac(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** Constant-time string equality (different lengths are unequal, without an early exit on content). */
export function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
