import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * A small JSON value sealed into a cookie (AES-256-GCM under an HKDF sub-key of the deployment
 * secret key, with its own purpose string, so it opens nothing else and nothing else opens it),
 * with an expiry inside the sealed body. A cookie that was altered, sealed for another purpose or
 * expired opens to undefined.
 */
export class SealedCookie<T extends object> {
  private readonly key: Buffer;

  constructor(
    secretKey: Buffer,
    purpose: string,
    private readonly ttlMs: number,
    private readonly isValue: (v: unknown) => v is T,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), `idsync ${purpose} (AES-256-GCM)`, 32));
  }

  seal(value: T, nowMs: number): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify({ v: value, exp: nowMs + this.ttlMs }), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  open(raw: string | undefined, nowMs: number): T | undefined {
    if (!raw) return undefined;
    const buf = Buffer.from(raw, 'base64url');
    if (buf.length <= IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, buf.subarray(0, IV_BYTES));
      decipher.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
      const text = Buffer.concat([decipher.update(buf.subarray(IV_BYTES, buf.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      const parsed = JSON.parse(text) as { v?: unknown; exp?: unknown };
      if (typeof parsed.exp !== 'number' || parsed.exp <= nowMs || !this.isValue(parsed.v)) return undefined;
      return parsed.v;
    } catch {
      return undefined;
    }
  }
}
