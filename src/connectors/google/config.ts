/**
 * Google Workspace connection config. Key names are the contract of issue 4:
 * customer (default my_customer) or domain, adminEmail, serviceAccountKey (the JSON key file's
 * content, as text or as an object), orgUnitPath, query, apiBaseUrl, tokenUrl.
 */
import { z } from 'zod';
import { googleGroupsSchema } from '../groups-selection.js';
import { baseUrl, nonEmpty, parseConfigWith, pemPrivateKey } from '../config-common.js';

const serviceAccountKey = z.looseObject({
  type: z.literal('service_account', { error: 'must be "service_account" (a service account JSON key)' }).optional(),
  client_email: z.email({ error: 'must be the service account email' }),
  private_key: pemPrivateKey,
  private_key_id: z.string().optional(),
});

const keyInput = z.union([z.string(), z.record(z.string(), z.unknown())]).transform((v, ctx) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be the JSON key file content (it did not parse as JSON)' });
    return z.NEVER;
  }
});

export const googleConfigSchema = z
  .strictObject({
    customer: nonEmpty.optional(),
    domain: nonEmpty.optional(),
    adminEmail: z.email({ error: 'must be the email of a Workspace administrator to impersonate' }),
    serviceAccountKey: keyInput.pipe(serviceAccountKey),
    orgUnitPath: z.string().startsWith('/', 'must start with "/"').optional(),
    query: nonEmpty.optional(),
    apiBaseUrl: baseUrl('https://admin.googleapis.com'),
    tokenUrl: baseUrl('https://oauth2.googleapis.com/token'),
    /** Directory groups kept as idsync teams (issue 17; see ../groups-selection.ts). */
    groups: googleGroupsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if (c.customer !== undefined && c.domain !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['domain'], message: 'give customer or domain, not both (customer lists every domain of the account)' });
    }
  })
  .transform((c) => ({ ...c, customer: c.domain === undefined ? (c.customer ?? 'my_customer') : undefined }));

export type GoogleConfig = z.output<typeof googleConfigSchema>;

export const GOOGLE_SCOPE = 'https://www.googleapis.com/auth/admin.directory.user.readonly';
/** groups.list and members.list; asked for only when the connection selects groups (delegation must grant it then). */
export const GOOGLE_GROUP_SCOPE = 'https://www.googleapis.com/auth/admin.directory.group.readonly';

/** The scopes the service account asks for: the users scope, plus the groups scope with `groups`. */
export function googleScopes(c: GoogleConfig): string {
  return c.groups === undefined ? GOOGLE_SCOPE : `${GOOGLE_SCOPE} ${GOOGLE_GROUP_SCOPE}`;
}

export function parseGoogleConfig(input: unknown): GoogleConfig {
  return parseConfigWith('google', googleConfigSchema, input);
}

/** What may be printed and logged: no key material. */
export function redactGoogleConfig(c: GoogleConfig): Record<string, unknown> {
  return {
    ...(c.customer !== undefined ? { customer: c.customer } : { domain: c.domain }),
    adminEmail: c.adminEmail,
    serviceAccount: c.serviceAccountKey.client_email,
    ...(c.orgUnitPath !== undefined ? { orgUnitPath: c.orgUnitPath } : {}),
    ...(c.query !== undefined ? { query: c.query } : {}),
    apiBaseUrl: c.apiBaseUrl,
    tokenUrl: c.tokenUrl,
    ...(c.groups !== undefined ? { groups: c.groups } : {}),
  };
}
