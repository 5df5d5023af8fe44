import { createHash, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

export const INVITATION_TOKEN_PREFIX = 'idsync_inv_';
export const LINK_TOKEN_PREFIX = 'idsync_link_';

/** SHA-256 (hex) of a token: the only form a token is ever stored in. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Constant-time equality of two hex SHA-256 hashes (the index lookup found the row; this is the check). */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === 32 && y.length === 32 && timingSafeEqual(x, y);
}

/** An open invite link token: 256 random bits. Shown at create and rotate only. */
export function mintLinkToken(): { token: string; hash: string } {
  const token = `${LINK_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { token, hash: hashToken(token) };
}

/**
 * Personal invitation tokens are deterministic per (invitation, generation):
 *
 *   token = 'idsync_inv_' + base64url(HMAC-SHA256(K, invitation.id + ':' + sendCount))
 *   K     = HKDF-SHA256(deployment secret key, info 'idsync invitation tokens')
 *
 * Why: "copy link" must hand an admin the link that was emailed, without invalidating it, while the
 * store keeps only the SHA-256 of the token (a database leak yields no usable link). Deriving the
 * token from the secret key lets copyLink re-create it on demand and check it against the stored
 * hash. Each resend bumps sendCount, so the token changes and the old link stops working at once.
 * The HMAC output is 256 bits and unpredictable without the secret key, which also guards the
 * connector credentials. If the secret key is replaced, emailed links keep working (only their hash
 * is checked) but can no longer be copied: copyLink then asks for a rotation.
 */
export class InvitationTokens {
  private readonly key: Buffer;

  constructor(secretKey: Buffer) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), 'idsync invitation tokens', 32));
  }

  derive(invitationId: string, sendCount: number): { token: string; hash: string } {
    const token = `${INVITATION_TOKEN_PREFIX}${createHmac('sha256', this.key).update(`${invitationId}:${sendCount}`).digest('base64url')}`;
    return { token, hash: hashToken(token) };
  }
}

export function joinUrl(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/join/${token}`;
}
