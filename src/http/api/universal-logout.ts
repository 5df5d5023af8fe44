import { z } from 'zod';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams } from './schemas.js';

const e = (description: string) => ({ description, schema: errorSchema });

const settingsSchema = z.object({
  issuer: z.string().describe('The iss of the requests: the Okta org URL'),
  jwksUri: z.string().describe("Where the issuer's signing keys are"),
  audience: z.string().describe('The aud the requests must carry'),
  updatedAt: z.string(),
  endpoint: z.string().describe("The org's global token revocation endpoint: give it to Okta"),
});

/** Okta Universal Logout settings per org (owners). */
export function universalLogoutRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'get',
      path: '/orgs/{org}/universal-logout',
      tag: 'universal-logout',
      summary: "The org's Okta Universal Logout settings and its revocation endpoint",
      params: orgParams,
      responses: { 200: { description: 'The settings', schema: settingsSchema }, 403: e('Needs owner standing'), 404: e('No such organization, or Universal Logout is not set up (universal_logout.not_configured)') },
    },
    async ({ params, res }) => ({ status: 200, body: await s.universalLogout.get(res.locals.principal, params.org) }),
  );

  api.add(
    {
      method: 'put',
      path: '/orgs/{org}/universal-logout',
      tag: 'universal-logout',
      summary: 'Set up Okta Universal Logout: whose signed revocation requests the org accepts (audited)',
      params: orgParams,
      body: z.object({
        issuer: z.string().describe('https URL of the issuer (the Okta org URL, e.g. https://acme.okta.com)'),
        jwksUri: z.string().optional().describe("https URL of the issuer's JWKS; default ISSUER/oauth2/v1/keys (Okta's org keys)"),
        audience: z.string().optional().describe("The aud Okta puts in its JWT; default the org's endpoint URL"),
      }),
      responses: { 200: { description: 'The settings now in force', schema: settingsSchema }, 400: e('A URL is malformed, not https, or internal (request.invalid, naming the field)'), 403: e('Needs owner standing'), 404: e('No such organization') },
    },
    async ({ params, body, res }) => ({ status: 200, body: await s.universalLogout.set(res.locals.principal, params.org, body) }),
  );

  api.add(
    {
      method: 'delete',
      path: '/orgs/{org}/universal-logout',
      tag: 'universal-logout',
      summary: "Turn Universal Logout off: the org's endpoint then refuses every request",
      params: orgParams,
      responses: { 204: { description: 'Removed' }, 403: e('Needs owner standing'), 404: e('No such organization, or nothing was set up') },
    },
    async ({ params, res }) => {
      await s.universalLogout.remove(res.locals.principal, params.org);
      return { status: 204 };
    },
  );
}
