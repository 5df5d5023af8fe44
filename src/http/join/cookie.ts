import { createCipheriv, createDecipheriv, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';
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
 * The sign-in state cookie, encrypted and authenticated (AES-256-GCM): base64url(iv ‖ ciphertext ‖
 * tag). It holds the join token, the OIDC nonce and the PKCE verifier, none of which a script,
 * a proxy log or a shoulder should read; the key is an HKDF sub-key of the deployment secret key,
 * so it seals nothing else. A cookie that was altered, sealed under another key or expired opens
 * to undefined.
 */
export class StateCookie {
  private readonly key: Buffer;

  constructor(secretKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'idsync join state cookie (AES-256-GCM)', 32));
  }

  seal(s: Omit<JoinState, 'exp'>, nowMs: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ ...s, exp: nowMs + TTL_MS }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The state, or undefined when the cookie is missing, tampered with, foreign or expired. */
  open(value: string | undefined, nowMs: number): JoinState | undefined {
    if (!value) return undefined;
    const raw = Buffer.from(value, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      const s = JSON.parse(text) as Partial<JoinState>;
      const ok = typeof s.token === 'string' && typeof s.provider === 'string' && typeof s.state === 'string' && typeof s.nonce === 'string' && typeof s.codeVerifier === 'string' && typeof s.exp === 'number';
      if (!ok || s.exp! <= nowMs) return undefined;
      return s as JoinState;
    } catch {
      return undefined;
    }
  }
}

const IV_BYTES = 12;
const TAG_BYTES = 16;

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
