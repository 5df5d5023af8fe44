/** Validation helpers shared by the three connection configs. */
import { z } from 'zod';
import { IdsyncError } from '../domain/errors.js';
import type { DirectoryProvider } from '../ports/directory.js';

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

/** https everywhere; plain http only for loopback hosts (tests, local development). No trailing slash. */
export function baseUrl(defaultUrl: string) {
  return httpUrl().default(defaultUrl);
}

export function httpUrl() {
  return z
    .string()
    .superRefine((v, ctx) => {
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'must be an absolute URL' });
        return;
      }
      if (u.username || u.password) ctx.addIssue({ code: 'custom', message: 'must not carry credentials' });
      if (u.search || u.hash) ctx.addIssue({ code: 'custom', message: 'must not have a query or fragment' });
      if (u.protocol === 'https:') return;
      if (u.protocol === 'http:' && LOOPBACK.test(u.hostname)) return;
      ctx.addIssue({ code: 'custom', message: 'must use https (http is accepted only for loopback hosts)' });
    })
    .transform((v) => v.replace(/\/+$/, ''));
}

export const nonEmpty = z.string().trim().min(1, 'must not be empty');

/** A PEM private key (PKCS#8 or PKCS#1), possibly with a certificate around it. */
export const pemPrivateKey = z
  .string()
  .refine((v) => /-----BEGIN (RSA )?PRIVATE KEY-----[\s\S]+-----END (RSA )?PRIVATE KEY-----/.test(v), 'must be a PEM private key (BEGIN PRIVATE KEY or BEGIN RSA PRIVATE KEY)');

/**
 * Parses with the schema, or throws `connector.invalid_config` listing every problem with the key it
 * belongs to ("microsoft.certificate.thumbprint: …"). Values are never echoed: they may be secrets.
 */
export function parseConfigWith<S extends z.ZodType>(provider: DirectoryProvider, schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ key: [provider, ...i.path.map(String)].join('.'), message: i.message }));
  throw new IdsyncError('connector.invalid_config', issues.map((i) => `${i.key}: ${i.message}`).join('; '), { issues });
}

