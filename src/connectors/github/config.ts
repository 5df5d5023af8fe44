/**
 * GitHub connection config. Key names are the contract of issue 4: org, either appId +
 * installationId + privateKey (a GitHub App) or token, apiBaseUrl, graphqlUrl (derived from
 * apiBaseUrl when absent: api.github.com/graphql, or HOST/api/graphql for GHES HOST/api/v3), and
 * webhookSecret (issue 15: the org webhook's HMAC secret, sealed like the other secrets).
 */
import { z } from 'zod';
import { githubGroupsSchema } from '../groups-selection.js';
import { baseUrl, httpUrl, nonEmpty, parseConfigWith, pemPrivateKey } from '../config-common.js';

const numericId = z.union([z.string().regex(/^\d+$/, 'must be a number'), z.number().int().positive()]).transform(String);

export const githubConfigSchema = z
  .strictObject({
    org: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/, 'must be the organization login'),
    appId: z.union([nonEmpty, z.number().int().positive()]).transform(String).optional(),
    installationId: numericId.optional(),
    privateKey: pemPrivateKey.optional(),
    token: nonEmpty.optional(),
    apiBaseUrl: baseUrl('https://api.github.com'),
    graphqlUrl: httpUrl().optional(),
    /** The secret of the GitHub App's webhook (X-Hub-Signature-256); needed only with policy.realtime. */
    webhookSecret: z.string().min(16, 'must be at least 16 characters (a random secret)').optional(),
    /** Directory groups kept as idsync teams (issue 17; see ../groups-selection.ts). */
    groups: githubGroupsSchema.optional(),
  })
  .superRefine((c, ctx) => {
    const app = { appId: c.appId, installationId: c.installationId, privateKey: c.privateKey };
    const given = Object.entries(app).filter(([, v]) => v !== undefined).map(([k]) => k);
    if (c.token !== undefined && given.length > 0) {
      ctx.addIssue({ code: 'custom', path: ['token'], message: `give either token or appId + installationId + privateKey, not both (found ${given.join(', ')})` });
    } else if (c.token === undefined && given.length < 3) {
      for (const k of Object.keys(app).filter((k) => !given.includes(k))) {
        ctx.addIssue({ code: 'custom', path: [k], message: given.length ? 'required with a GitHub App (appId + installationId + privateKey)' : 'required unless token is given' });
      }
    }
  })
  .transform((c) => ({ ...c, graphqlUrl: c.graphqlUrl ?? deriveGraphqlUrl(c.apiBaseUrl) }));

export type GithubConfig = z.output<typeof githubConfigSchema>;

export function deriveGraphqlUrl(apiBaseUrl: string): string {
  return apiBaseUrl.endsWith('/api/v3') ? `${apiBaseUrl.slice(0, -'/v3'.length)}/graphql` : `${apiBaseUrl}/graphql`;
}

export function parseGithubConfig(input: unknown): GithubConfig {
  return parseConfigWith('github', githubConfigSchema, input);
}

export function redactGithubConfig(c: GithubConfig): Record<string, unknown> {
  return {
    org: c.org,
    credential: c.token !== undefined ? 'token' : { appId: c.appId, installationId: c.installationId },
    apiBaseUrl: c.apiBaseUrl,
    graphqlUrl: c.graphqlUrl,
    webhookSecret: c.webhookSecret !== undefined ? 'set' : 'none',
    ...(c.groups !== undefined ? { groups: c.groups } : {}),
  };
}
