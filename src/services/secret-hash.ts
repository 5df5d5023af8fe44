import { createHash } from 'node:crypto';

/** How shown-once secrets (SCIM tokens, admin keys, OAuth client secrets) are kept: SHA-256, hex. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
