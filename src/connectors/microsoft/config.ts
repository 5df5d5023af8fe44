/**
 * Microsoft Graph connection config. Key names are the contract of issue 4: tenantId, clientId,
 * clientSecret or certificate {privateKey, thumbprint}, groupId, graphBaseUrl, authorityHost.
 */
import { z } from 'zod';
import { microsoftGroupsSchema } from '../groups-selection.js';
import { baseUrl, nonEmpty, parseConfigWith, pemPrivateKey } from '../config-common.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DNS_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,}$/i;

const certificate = z.strictObject({
  privateKey: pemPrivateKey,
  /** The certificate thumbprint Entra shows: SHA-1 (40 hex digits), or SHA-256 (64); colons and spaces ignored. */
  thumbprint: z
    .string()
    .transform((v) => v.replace(/[\s:]/g, '').toLowerCase())
    .refine((v) => /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(v), 'must be the certificate thumbprint in hex (40 digits for SHA-1, 64 for SHA-256)'),
});

export const microsoftConfigSchema = z
  .strictObject({
    tenantId: z.string().refine((v) => GUID.test(v) || DNS_NAME.test(v), 'must be the directory (tenant) id GUID or a verified domain name'),
    clientId: z.string().regex(GUID, 'must be the application (client) id GUID'),
    clientSecret: nonEmpty.optional(),
    certificate: certificate.optional(),
    groupId: z.string().regex(GUID, 'must be a group object id GUID').optional(),
    graphBaseUrl: baseUrl('https://graph.microsoft.com'),
    authorityHost: baseUrl('https://login.microsoftonline.com'),
    /** Directory groups kept as idsync teams (issue 17; see ../groups-selection.ts). */
    groups: microsoftGroupsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.clientSecret === undefined) === (c.certificate === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['clientSecret'], message: 'give exactly one of clientSecret or certificate' });
    }
  });

export type MicrosoftConfig = z.output<typeof microsoftConfigSchema>;

export function parseMicrosoftConfig(input: unknown): MicrosoftConfig {
  return parseConfigWith('microsoft', microsoftConfigSchema, input);
}

export function redactMicrosoftConfig(c: MicrosoftConfig): Record<string, unknown> {
  return {
    tenantId: c.tenantId,
    clientId: c.clientId,
    credential: c.certificate ? { certificateThumbprint: c.certificate.thumbprint } : 'clientSecret',
    ...(c.groupId !== undefined ? { groupId: c.groupId } : {}),
    graphBaseUrl: c.graphBaseUrl,
    authorityHost: c.authorityHost,
    ...(c.groups !== undefined ? { groups: c.groups } : {}),
  };
}

/** Tokens are per cloud: the scope names the configured Graph root (DIRECTORY-APIS.md §2.6). */
export function graphScope(c: MicrosoftConfig): string {
  return `${new URL(c.graphBaseUrl).origin}/.default`;
}

export function tokenEndpoint(c: MicrosoftConfig): string {
  return `${c.authorityHost}/${encodeURIComponent(c.tenantId)}/oauth2/v2.0/token`;
}
