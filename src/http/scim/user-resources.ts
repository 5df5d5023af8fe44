import type { Member } from '../../domain/model.js';
import type { Store } from '../../ports/store.js';
import { ScimError } from './errors.js';
import { toScimUser, type ScimJson } from './user-mapper.js';

/** Reading members as SCIM Users: shared by the list and read routes and by the writes. */
export function userResources(store: Store, baseUrl: string) {
  async function render(m: Member, withGroups: boolean): Promise<ScimJson> {
    return toScimUser(m, withGroups ? await store.listMemberTeamRefs(m.orgId, m.id) : undefined, baseUrl);
  }

  /** A member SCIM can see: removed ones are tombstones and service accounts are not the IdP's; both answer 404. */
  async function live(orgId: string, id: string): Promise<Member> {
    const m = await store.getMember(orgId, id);
    if (!m || m.status === 'removed' || m.kind === 'service') throw new ScimError(404, `User ${id} not found`);
    return m;
  }

  return { render, live };
}

export type UserResources = ReturnType<typeof userResources>;
