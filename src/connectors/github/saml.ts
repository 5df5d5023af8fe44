/**
 * SAML external identities of the organization through GraphQL (DIRECTORY-APIS.md §3.2): the map
 * login → {NameID, SCIM username} that turns a GitHub login into a corporate email. The query is
 * the documented one; `samlIdentityProvider` is null when SAML SSO is not configured.
 */
import { z } from 'zod';
import type { HttpClient } from '../http/client.js';
import { connectorError } from '../http/errors.js';
import type { BearerAuth } from '../http/token-cache.js';
import { describe, readJson, throttle, type Classifier, type HttpResponse } from '../http/verdict.js';
import { classifyGithub, GITHUB_HEADERS } from './client.js';
import type { GithubConfig } from './config.js';
import type { SamlLink } from './mapper.js';

export const SAML_QUERY = `query($org: String!, $cursor: String) {
  organization(login: $org) { samlIdentityProvider { externalIdentities(first: 100, after: $cursor) {
    pageInfo { hasNextPage endCursor }
    edges { node { guid samlIdentity { nameId } scimIdentity { username } user { login } } } } } }
}`;

const gqlErrors = z.array(z.looseObject({ type: z.string().optional(), message: z.string().optional() }));

const samlPage = z.object({
  data: z
    .object({
      organization: z
        .object({
          samlIdentityProvider: z
            .object({
              externalIdentities: z.object({
                pageInfo: z.object({ hasNextPage: z.boolean(), endCursor: z.string().nullish() }),
                edges: z.array(
                  z.object({
                    node: z.object({
                      guid: z.string().optional(),
                      samlIdentity: z.object({ nameId: z.string().nullish() }).nullish(),
                      scimIdentity: z.object({ username: z.string().nullish() }).nullish(),
                      user: z.object({ login: z.string() }).nullish(),
                    }),
                  }),
                ),
              }),
            })
            .nullable(),
        })
        .nullable(),
    })
    .nullish(),
  errors: gqlErrors.optional(),
});

/** GraphQL reports rate limiting in a 200 body with type RATE_LIMITED. */
export const classifyGithubGraphql: Classifier = (res, ctx) => {
  if (res.status === 200) {
    const errors = gqlErrors.safeParse((readJson(res) as { errors?: unknown } | undefined)?.errors);
    const limited = errors.success ? errors.data.find((e) => e.type === 'RATE_LIMITED') : undefined;
    if (limited) {
      const reset = Number(res.headers.get('x-ratelimit-reset'));
      const waitMs = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - ctx.now) + 1000 : undefined;
      return throttle('github', res, ctx, { code: 'RATE_LIMITED', message: limited.message }, { waitMs });
    }
  }
  return classifyGithub(res, ctx);
};

function graphqlError(res: HttpResponse, errors: z.output<typeof gqlErrors>): Error {
  const first = errors[0];
  const code = first?.type === 'NOT_FOUND' ? 'connector.not_found' : first?.type === 'FORBIDDEN' ? 'connector.forbidden' : 'connector.upstream_error';
  const hint = code === 'connector.forbidden' ? 'cannot read SAML identities (needs organization owner rights: admin:org for a token, Organization administration: read for an app)' : 'GraphQL error';
  return connectorError(code, `${hint}: ${describe(res, { code: first?.type, message: first?.message })}`, { provider: 'github', op: 'saml.identities', status: res.status, upstreamCode: first?.type });
}

/** Reads every page; the map holds one short entry per linked identity (bounded by the org size). */
export async function readSamlLinks(client: HttpClient, auth: BearerAuth, config: GithubConfig, signal?: AbortSignal): Promise<Map<string, SamlLink>> {
  const links = new Map<string, SamlLink>();
  let cursor: string | null = null;
  for (;;) {
    const res = await client.send({
      op: 'saml.identities',
      url: config.graphqlUrl,
      method: 'POST',
      headers: { ...GITHUB_HEADERS, 'content-type': 'application/json' },
      body: JSON.stringify({ query: SAML_QUERY, variables: { org: config.org, cursor } }),
      auth,
      signal,
      classify: classifyGithubGraphql,
    });
    const parsed = samlPage.safeParse(readJson(res));
    if (!parsed.success) throw connectorError('connector.upstream_error', `malformed GraphQL response: ${describe(res, {})}`, { provider: 'github', op: 'saml.identities', status: res.status });
    if (parsed.data.errors?.length) throw graphqlError(res, parsed.data.errors);
    const org = parsed.data.data?.organization;
    if (!org) throw graphqlError(res, [{ type: 'NOT_FOUND', message: `no organization ${config.org}` }]);
    const identities = org.samlIdentityProvider?.externalIdentities;
    if (!identities) return links;
    for (const { node } of identities.edges) {
      if (!node.user) continue; // an identity not linked to an account
      links.set(node.user.login.toLowerCase(), { nameId: node.samlIdentity?.nameId ?? null, scimUsername: node.scimIdentity?.username ?? null });
    }
    if (!identities.pageInfo.hasNextPage) return links;
    const next = identities.pageInfo.endCursor ?? null;
    if (next === null || next === cursor) throw connectorError('connector.upstream_error', 'SAML identities: hasNextPage without a new endCursor', { provider: 'github', op: 'saml.identities' });
    cursor = next;
  }
}
