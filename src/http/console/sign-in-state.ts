import type { JoinProvider } from '../join/providers.js';
import { SealedCookie } from '../middleware/sealed-cookie.js';

export const SIGN_IN_COOKIE = 'idsync_console_signin';
const TTL_MS = 10 * 60_000;

/** What the browser carries from /console/sign-in/{provider} to the callback. */
export interface ConsoleSignInState {
  provider: JoinProvider;
  state: string;
  nonce: string;
  codeVerifier: string;
  /** A checked console path (safeNext) to return to after sign-in; absent: the console's start. */
  next?: string;
}

const isState = (v: unknown): v is ConsoleSignInState => {
  const s = v as Partial<ConsoleSignInState> | null;
  return !!s && typeof s.provider === 'string' && typeof s.state === 'string' && typeof s.nonce === 'string' && typeof s.codeVerifier === 'string' && (s.next === undefined || typeof s.next === 'string');
};

/**
 * The console sign-in's state cookie: sealed (AES-256-GCM) under a sub-key of the deployment secret
 * key with its own purpose, so neither it nor the join page's or sign-up's state opens as another;
 * valid ten minutes. Altered, foreign or expired cookies open to undefined.
 */
export class SignInStateCookie extends SealedCookie<ConsoleSignInState> {
  constructor(secretKey: Buffer) {
    super(secretKey, 'console sign-in state cookie', TTL_MS, isState);
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
