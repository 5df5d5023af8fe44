import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IdsyncError } from '../domain/errors.js';
import type { Config } from './schema.js';

const MIN_BYTES = 32;

/** Accepts hex (64+ chars) or base64/base64url of at least 32 bytes. */
export function decodeSecretKey(text: string): Buffer | undefined {
  const s = text.trim();
  if (/^[0-9a-fA-F]+$/.test(s) && s.length % 2 === 0) {
    const b = Buffer.from(s, 'hex');
    return b.length >= MIN_BYTES ? b : undefined;
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const b = Buffer.from(s, 'base64');
    return b.length >= MIN_BYTES ? b : undefined;
  }
  return undefined;
}

export const SECRET_KEY_FILE = 'secret.key';

/**
 * The configured key, or in SQLite mode the one in DATA_DIR/secret.key, generated with mode 0600
 * on first start. Redis mode requires it configured (validated by loadConfig).
 */
export function resolveSecretKey(config: Config): { key: Buffer; source: 'config' | 'file' | 'generated' } {
  if (config.secretKey !== '') return { key: decodeSecretKey(config.secretKey)!, source: 'config' };
  const path = join(config.dataDir, SECRET_KEY_FILE);
  if (existsSync(path)) {
    const key = decodeSecretKey(readFileSync(path, 'utf8'));
    if (!key) throw new IdsyncError('config.invalid', `${path} does not hold a valid secret key (32+ bytes, base64 or hex)`, { file: path });
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    return { key, source: 'file' };
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(MIN_BYTES);
  try {
    writeFileSync(path, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process (the CLI, a second start) generated it first: use theirs.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return resolveSecretKey(config);
    throw new IdsyncError('config.invalid', `cannot write ${path}: ${(err as Error).message}`, { file: path });
  }
  return { key, source: 'generated' };
}
