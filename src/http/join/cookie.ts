import { timingSafeEqual } from 'node:crypto';
import { SealedCookie } from '../middleware/sealed-cookie.js';
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
}

const isJoinState = (v: unknown): v is JoinState => {
  const s = v as Partial<JoinState> | null;
  return !!s && typeof s.token === 'string' && typeof s.provider === 'string' && typeof s.state === 'string' && typeof s.nonce === 'string' && typeof s.codeVerifier === 'string';
};

/**
 * The sign-in state cookie, encrypted and authenticated (AES-256-GCM, SealedCookie). It holds the
 * join token, the OIDC nonce and the PKCE verifier, none of which a script, a proxy log or a
 * shoulder should read; its key is a sub-key of the deployment secret key for this purpose only.
 * A cookie that was altered, sealed under another key or expired (ten minutes) opens to undefined.
 */
export class StateCookie extends SealedCookie<JoinState> {
  constructor(secretKey: Buffer) {
    super(secretKey, 'join state cookie', TTL_MS, isJoinState);
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
