import SCIMMY from 'scimmy';
import SCIMMYRouters from 'scimmy-routers';
import { Router } from 'express';
import { listResponse } from './list.js';
import { oktaResourceTypes, oktaSchemas } from './okta-resources.js';
import { CURSOR_TIMEOUT_SECONDS } from './cursor.js';
import { DEFAULT_COUNT, MAX_RESULTS } from './schemas.js';
import { openSubAttributeVocabularies } from './vocabularies.js';

let declared = false;

/** scimmy's resource declarations are process-global: declare once (User with the enterprise extension, Group). */
function declareResources(): void {
  if (declared) return;
  openSubAttributeVocabularies();
  SCIMMY.Resources.declare(SCIMMY.Resources.User.extend(SCIMMY.Schemas.EnterpriseUser, false));
  SCIMMY.Resources.declare(SCIMMY.Resources.Group);
  declared = true;
}

/**
 * /ServiceProviderConfig, /ResourceTypes and /Schemas from scimmy-routers. Users and Groups are
 * served by our own routers mounted before this one. The router's constructor turns every feature
 * on (bulk included), so the configuration is set afterwards to advertise only what works.
 */
export function discoveryRouter(publicBase: string, docsUrl: string, bulk: { maxOperations: number; maxPayloadSize: number }): Router {
  declareResources();
  const router = new SCIMMYRouters({
    type: 'bearer',
    docUri: docsUrl,
    // Authentication already happened (scimAuth); this only feeds the /Me endpoint, which we do not serve.
    handler: (req) => String((req.res?.locals as { scim?: { tokenId: string } } | undefined)?.scim?.tokenId ?? ''),
    baseUri: () => publicBase,
  });
  SCIMMY.Config.set({
    documentationUri: docsUrl,
    patch: true,
    bulk: { supported: true, maxOperations: bulk.maxOperations, maxPayloadSize: bulk.maxPayloadSize },
    filter: { supported: true, maxResults: MAX_RESULTS },
    sort: true,
    etag: true,
    changePassword: false,
  });
  const discovery = Router();
  // scimmy-routers answers these two lists with itemsPerPage echoing its default count (20) whatever
  // it returns; the list response is ours, so itemsPerPage is the number of resources sent.
  // Okta's Role and Entitlement types (okta-resources.ts) follow scimmy's User and Group.
  const okta = { types: oktaResourceTypes(publicBase), schemas: oktaSchemas(publicBase) };
  discovery.get('/Schemas', async (_req, res) => sendList(res, await new SCIMMY.Resources.Schema().read(), okta.schemas));
  discovery.get('/ResourceTypes', async (_req, res) => sendList(res, await new SCIMMY.Resources.ResourceType().read(), okta.types));
  // By id: scimmy-routers knows only its own declarations. Matched on the path (a URN's colons are route parameters to express).
  discovery.get(/^\/(ResourceTypes|Schemas)\/(.+)$/, (req, res, next) => {
    const [, kind, id] = /^\/(ResourceTypes|Schemas)\/(.+)$/.exec(req.path)!;
    const found = (kind === 'ResourceTypes' ? okta.types : okta.schemas).find((x) => x.id === decodeURIComponent(id!));
    if (!found) {
      next();
      return;
    }
    res.status(200).send(JSON.stringify(found));
  });
  // RFC 9865 §4: the pagination block scimmy does not know about.
  discovery.get('/ServiceProviderConfig', async (_req, res) => {
    const config = JSON.parse(JSON.stringify(await new SCIMMY.Resources.ServiceProviderConfig().read())) as Record<string, unknown>;
    const pagination = { cursor: true, index: true, defaultPaginationMethod: 'index', defaultPageSize: DEFAULT_COUNT, maxPageSize: MAX_RESULTS, cursorTimeout: CURSOR_TIMEOUT_SECONDS };
    res.status(200).send(JSON.stringify({ ...config, pagination }));
  });
  discovery.use(router as unknown as Router);
  return discovery;
}

function sendList(res: import('express').Response, list: unknown, more: unknown[]): void {
  const { Resources } = JSON.parse(JSON.stringify(list)) as { Resources?: unknown[] };
  const resources = [...(Resources ?? []), ...more];
  res.status(200).send(JSON.stringify(listResponse(resources, resources.length, 1)));
}
