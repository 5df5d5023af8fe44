import type { Router, Request, Response } from 'express';
import { ROLES, type Organization, type Role, type Team } from '../../domain/model.js';
import { collect } from '../../ports/paging.js';
import { ScimError } from './errors.js';
import { sendJson } from './http-util.js';
import { filterSortPage, listResponse, parseListQuery } from './list.js';
import { project } from './projection.js';
import type { ScimDeps } from './users.js';

/**
 * Okta Identity Governance's "SCIM with entitlements": the Role and Entitlement resource types with
 * Okta's schema URNs, advertised in /ResourceTypes and /Schemas, listed at /Roles (the org's roles)
 * and /Entitlements (its teams). A user's `roles` and `entitlements` then carry their ids.
 */
export const OKTA_ROLE_SCHEMA = 'urn:okta:scim:schemas:core:1.0:Role';
export const OKTA_ENTITLEMENT_SCHEMA = 'urn:okta:scim:schemas:core:1.0:Entitlement';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
/** The `type` of an Entitlement resource and of a user's entitlements naming one: the resource type's name. */
export const ENTITLEMENT_TYPE = 'Entitlement';

type Json = Record<string, unknown>;

export function oktaResourceTypes(publicBase: string): Json[] {
  const type = (id: string, endpoint: string, description: string, schema: string): Json => ({
    schemas: [RESOURCE_TYPE_SCHEMA],
    id,
    name: id,
    endpoint,
    description,
    schema,
    meta: { location: `${publicBase}/scim/v2/ResourceTypes/${id}`, resourceType: 'ResourceType' },
  });
  return [
    type('Role', '/Roles', "The organization's roles (owner, admin, member); a user's roles[] value sets its role", OKTA_ROLE_SCHEMA),
    type(ENTITLEMENT_TYPE, '/Entitlements', "The organization's teams; a user's entitlements[] values set its team memberships", OKTA_ENTITLEMENT_SCHEMA),
  ];
}

const attr = (name: string, description: string, extra: Json = {}): Json => ({
  name,
  type: 'string',
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readOnly',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

/** Okta knows these two schemas already (its guide says /Schemas may omit them); they are served so a generic client can read them too. */
export function oktaSchemas(publicBase: string): Json[] {
  const schema = (id: string, name: string, description: string, attributes: Json[]): Json => ({
    schemas: [SCHEMA_SCHEMA],
    id,
    name,
    description,
    attributes,
    meta: { resourceType: 'Schema', location: `${publicBase}/scim/v2/Schemas/${id}` },
  });
  const id = (what: string) => attr('id', `The ${what}'s id: the value a user's attribute carries`, { required: true, caseExact: true, uniqueness: 'server' });
  return [
    schema(OKTA_ROLE_SCHEMA, 'Role', 'A role of the organization', [id('role'), attr('displayName', 'The role as people read it', { required: true }), attr('description', 'What the role may do')]),
    schema(OKTA_ENTITLEMENT_SCHEMA, 'Entitlement', 'A team of the organization', [
      id('team'),
      attr('type', `Always ${ENTITLEMENT_TYPE}`, { required: true }),
      attr('displayName', "The team's name", { required: true }),
    ]),
  ];
}

const ROLE_TEXT: Record<Role, { name: string; description: string }> = {
  owner: { name: 'Owner', description: 'Full control of the organization, its members and its billing' },
  admin: { name: 'Admin', description: 'Manages members, teams and connections' },
  member: { name: 'Member', description: "The organization's default role" },
};

/** The roles an IdP may assign: owner only where the org lets mappings and IdPs set owners (settings.ownerByMapping). */
export function assignableRoles(org: Organization): Role[] {
  return ROLES.filter((r) => r !== 'owner' || org.settings.ownerByMapping === true);
}

function roleResource(role: Role, base: string): Json {
  return { schemas: [OKTA_ROLE_SCHEMA], id: role, displayName: ROLE_TEXT[role].name, description: ROLE_TEXT[role].description, meta: { resourceType: 'Role', location: `${base}/Roles/${role}` } };
}

function entitlementResource(t: Team, base: string): Json {
  return { schemas: [OKTA_ENTITLEMENT_SCHEMA], id: t.id, type: ENTITLEMENT_TYPE, displayName: t.displayName, meta: { resourceType: ENTITLEMENT_TYPE, created: t.createdAt, lastModified: t.updatedAt, location: `${base}/Entitlements/${t.id}` } };
}

/** GET /Roles, /Entitlements (filter, sort, startIndex/count paging, attributes) and each by id. */
export function oktaRoutes(r: Router, deps: ScimDeps): void {
  const { store, services, baseUrl } = deps;
  const roles = async (orgId: string) => assignableRoles(await services.orgs.get(orgId)).map((role) => roleResource(role, baseUrl));
  const entitlements = async (orgId: string) => (await collect((page) => store.listTeams(orgId, page))).map((t) => entitlementResource(t, baseUrl));
  const list = (load: (orgId: string) => Promise<Json[]>) => async (req: Request, res: Response) => {
    const q = parseListQuery(req.query as Json);
    if (q.cursor !== undefined) throw new ScimError(400, 'this endpoint pages by startIndex and count only', 'invalidValue');
    const { page, total } = filterSortPage(await load(res.locals.scim.orgId), q);
    sendJson(res, 200, listResponse(page.map((x) => project(x, q.projection)), total, q.startIndex));
  };
  const one = (load: (orgId: string) => Promise<Json[]>, what: string) => async (req: Request, res: Response) => {
    const q = parseListQuery(req.query as Json);
    const found = (await load(res.locals.scim.orgId)).find((x) => x.id === req.params.id);
    if (!found) throw new ScimError(404, `${what} ${req.params.id} not found`);
    sendJson(res, 200, project(found, q.projection));
  };
  r.get('/Roles', list(roles));
  r.get('/Roles/:id', one(roles, 'role'));
  r.get('/Entitlements', list(entitlements));
  r.get('/Entitlements/:id', async (req, res) => {
    const q = parseListQuery(req.query as Json);
    const t = await store.getTeam(res.locals.scim.orgId, req.params.id);
    if (!t) throw new ScimError(404, `entitlement ${req.params.id} not found`);
    sendJson(res, 200, project(entitlementResource(t, baseUrl), q.projection));
  });
  r.all(['/Roles', '/Roles/:id', '/Entitlements', '/Entitlements/:id'], () => {
    throw new ScimError(405, 'roles and entitlements are read-only here: assign them on the user (roles[], entitlements[])');
  });
}
