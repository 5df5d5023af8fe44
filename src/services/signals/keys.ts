import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { SigningKey } from '../../domain/signals.js';
import type { Clock } from '../../ports/clock.js';
import type { Store } from '../../ports/store.js';
import type { SecretBox } from '../secret-box.js';

/** Keys published at the JWKS URL: the signing one and the one before it, so SETs signed before a rotation still verify. */
export const LIVE_KEYS = 2;

export interface PublicJwks {
  keys: (Record<string, string> & { kid: string; alg: string; use: 'sig' })[];
}

/**
 * The SET signing keys: ES256, the private JWK sealed at rest, the kid its RFC 7638 thumbprint.
 * Every replica signs with the newest key in the store and publishes the live ones; rotation adds a
 * key and keeps the previous one live (two in all).
 */
export class SigningKeys {
  private readonly opened = new Map<string, CryptoKey>();

  constructor(
    private readonly store: Store,
    private readonly box: SecretBox,
    private readonly clock: Clock,
  ) {}

  /** The newest key, creating the first one when there is none. */
  async current(): Promise<{ kid: string; key: CryptoKey }> {
    const [newest] = await this.store.listSigningKeys();
    const k = newest ?? (await this.rotate());
    return { kid: k.kid, key: await this.open(k) };
  }

  /** A new signing key; the previous one stays published, older ones go. Returns the new key. */
  async rotate(): Promise<SigningKey> {
    const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
    const pub = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(pub);
    const key: SigningKey = {
      kid,
      alg: 'ES256',
      publicJwk: Object.fromEntries(Object.entries(pub).filter(([, v]) => typeof v === 'string')) as Record<string, string>,
      privateCiphertext: this.box.seal(JSON.stringify(await exportJWK(privateKey))),
      createdAt: this.clock.now().toISOString(),
    };
    await this.store.addSigningKey(key, LIVE_KEYS);
    return key;
  }

  /** The JWKS document: the live public keys, newest first. */
  async jwks(): Promise<PublicJwks> {
    let keys = await this.store.listSigningKeys();
    if (keys.length === 0) keys = [await this.rotate()];
    return { keys: keys.slice(0, LIVE_KEYS).map((k) => ({ ...k.publicJwk, kid: k.kid, alg: k.alg, use: 'sig' as const })) };
  }

  private async open(k: SigningKey): Promise<CryptoKey> {
    let key = this.opened.get(k.kid);
    if (!key) {
      key = (await importJWK(JSON.parse(this.box.open(k.privateCiphertext)) as JWK, k.alg)) as CryptoKey;
      this.opened.set(k.kid, key);
    }
    return key;
  }
}
