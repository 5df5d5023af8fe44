import { z } from 'zod';
import { CONSOLE_INTENTS, type ConsoleIntent } from '../../domain/console.js';
import type { Services } from '../../services/index.js';
import type { ApiRegistry } from './define.js';
import { errorSchema, orgParams } from './schemas.js';

const intent = z.enum(CONSOLE_INTENTS as [ConsoleIntent, ...ConsoleIntent[]]);
const e = (description: string) => ({ description, schema: errorSchema });

/** One-time links into the console for the customer's IT admin (the host product asks, the admin opens). */
export function portalLinkRoutes(api: ApiRegistry, s: Services): void {
  api.add(
    {
      method: 'post',
      path: '/orgs/{org}/portal-links',
      tag: 'console',
      summary: "A one-time console link for the org (valid 5 minutes, opens once): it starts a session of at most console.sessionMaxHours limited to the org and the intent. Needs owner standing.",
      params: orgParams,
      body: z.object({ intent: intent.default('all').describe('members, scim, directory or all') }),
      responses: {
        201: {
          description: 'The link; treat its URL as a secret',
          schema: z.object({ url: z.string().describe('Open in a browser: /console/start?token=…'), expiresAt: z.string(), intent }),
        },
        403: e('The key acts for a member below owner'),
        404: e('No such organization'),
      },
    },
    async ({ params, body, res }) => ({ status: 201, body: await s.console.createPortalLink(res.locals.principal, params.org, body.intent) }),
  );
  api.add(
    {
      method: 'post',
      path: '/portal-links',
      tag: 'console',
      summary: "A one-time link to the operator's console (valid 5 minutes, opens once): its session lists every organization (name, members, status) and opens any of them, audited as the key. Needs a provider-wide key.",
      responses: {
        201: { description: 'The link; treat its URL as a secret', schema: z.object({ url: z.string().describe('Open in a browser: /console/start?token=…'), expiresAt: z.string(), intent }) },
        403: e('The key is scoped to one organization'),
      },
    },
    async ({ res }) => ({ status: 201, body: await s.console.createOperatorLink(res.locals.principal) }),
  );
}
