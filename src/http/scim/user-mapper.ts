import type { Member, MemberProfile, Team } from '../../domain/model.js';
import { singlePrimary } from './multi-valued.js';
import { ENTERPRISE_SCHEMA, etagOf, USER_SCHEMA } from './schemas.js';

export type ScimJson = Record<string, unknown>;

/** Core attributes with first-class member fields; everything else a writer sends lives in `attributes`. */
const FIRST_CLASS = new Set(['schemas', 'id', 'meta', 'externalid', 'username', 'name', 'displayname', 'emails', 'active', 'groups', 'password']);

export function toScimUser(m: Member, groups: Pick<Team, 'id' | 'displayName'>[] | undefined, base: string): ScimJson {
  const extension = Object.keys(m.attributes).some((k) => k.toLowerCase() === ENTERPRISE_SCHEMA.toLowerCase());
  return {
    schemas: extension ? [USER_SCHEMA, ENTERPRISE_SCHEMA] : [USER_SCHEMA],
    id: m.id,
    ...(m.externalId !== undefined ? { externalId: m.externalId } : {}),
    userName: m.userName,
    ...(Object.keys(m.name).length > 0 ? { name: m.name } : {}),
    ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
    ...m.attributes,
    emails: m.emails,
    active: m.status === 'active',
    ...(groups ? { groups: groups.map((g) => ({ value: g.id, display: g.displayName, $ref: `${base}/Groups/${g.id}`, type: 'direct' })) } : {}),
    meta: { resourceType: 'User', created: m.createdAt, lastModified: m.updatedAt, location: `${base}/Users/${m.id}`, version: etagOf(m.version) },
  };
}

/** A profile from a SCIM User body already coerced by scimmy's schema (types checked); at most one primary per list. */
export function profileFromScim(coerced: ScimJson): { profile: MemberProfile; active: boolean | undefined } {
  const body = singlePrimary(coerced);
  const attributes: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!FIRST_CLASS.has(k.toLowerCase()) && v !== undefined) attributes[k] = v;
  const name = (body.name ?? {}) as MemberProfile['name'];
  const emails = ((body.emails ?? []) as MemberProfile['emails']).filter((e) => typeof e?.value === 'string' && e.value !== '');
  return {
    profile: {
      userName: String(body.userName ?? ''),
      externalId: body.externalId === undefined || body.externalId === null ? undefined : String(body.externalId),
      name,
      displayName: body.displayName === undefined || body.displayName === null ? undefined : String(body.displayName),
      emails,
      attributes,
    } as MemberProfile,
    active: typeof body.active === 'boolean' ? body.active : undefined,
  };
}
