import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { IdsyncError } from '../domain/errors.js';

/**
 * Authenticated encryption (AES-256-GCM) of secrets at rest: connector credentials, webhook
 * signing secrets. The key is derived from the deployment's secret key with HKDF and a purpose
 * label, so one secret key never encrypts two kinds of data with the same key.
 * Format: `v1.<iv>.<tag>.<ciphertext>`, base64url parts.
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(secretKey: Buffer, purpose: string) {
    this.key = Buffer.from(hkdfSync('sha256', secretKey, Buffer.alloc(0), `idsync ${purpose}`, 32));
  }

  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), ct.toString('base64url')].join('.');
  }

  open(sealed: string): string {
    const [v, iv, tag, ct] = sealed.split('.');
    if (v !== 'v1' || !iv || !tag || ct === undefined) throw new IdsyncError('store.corrupt', 'sealed secret has an unknown format');
    try {
      const d = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
      d.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([d.update(Buffer.from(ct, 'base64url')), d.final()]).toString('utf8');
    } catch {
      throw new IdsyncError('config.invalid', 'cannot decrypt a stored secret: the secret key (IDSYNC_SECRET_KEY or DATA_DIR/secret.key) is not the one it was sealed with');
    }
  }
}

/** The purposes secrets are sealed for; every place that seals or opens one kind uses the same label. */
export const SEAL_PURPOSE = { connectorCredentials: 'connector credentials', webhookSecrets: 'webhook secrets', inviteLinkUrls: 'invite link urls', notificationSecrets: 'notification secrets', signalKeys: 'signal signing keys', signalReceiverAuth: 'signal receiver authorization' } as const;
