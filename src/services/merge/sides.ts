import { IdsyncError } from '../../domain/errors.js';
import type { MergeSide } from '../../domain/merge-plan.js';
import type { Organization } from '../../domain/model.js';
import { collect } from '../../ports/paging.js';
import type { ServiceDeps } from '../deps.js';
import { linkState } from '../invitations/links.js';
import { deletingError } from '../org-deletion/service.js';

/** What the planner reads of one organization: its live records only. */
export async function readSide(deps: ServiceDeps, org: Organization): Promise<MergeSide> {
  const { store } = deps;
  const now = deps.clock.now();
  const members = await collect((page) => store.listMembers(org.id, { ...page, statuses: ['active', 'inactive'] }));
  const teams = [];
  for (const team of await collect((page) => store.listTeams(org.id, page))) {
    teams.push({ team, memberIds: await collect((page) => store.listTeamMembers(org.id, team.id, page)) });
  }
  const invitations = (await collect((page) => store.listInvitations(org.id, { ...page, statuses: ['pending'] }))).filter((i) => Date.parse(i.expiresAt) > now.getTime());
  const links = (await collect((page) => store.listInviteLinks(org.id, page))).filter((l) => linkState(l, now) === 'active');
  return {
    org,
    // Oldest first, so the planner's choices (which of two matches, which copy keeps an identity) are stable.
    members,
    teams,
    invitations: invitations.reverse(),
    links: links.reverse(),
    scimTokens: (await store.listScimTokens(org.id)).filter((t) => !t.revokedAt),
    scimClients: (await store.listScimClients(org.id)).filter((c) => !c.revokedAt),
    adminKeys: (await store.listAdminKeys(org.id)).filter((k) => !k.revokedAt && k.orgId === org.id).map(({ hash: _h, ...k }) => k),
    connections: await store.listConnections(org.id),
  };
}

/** An org that exists and takes changes; a merged one (or one being merged) answers `org.merged` with where it went, one being deleted `org.deleting`. */
export async function openOrg(deps: ServiceDeps, id: string): Promise<Organization> {
  const org = await deps.store.getOrg(id);
  if (!org) throw new IdsyncError('org.not_found', `organization ${id} not found`, { orgId: id });
  if (org.state === 'merged' || org.state === 'merging') throw mergedError(org);
  if (org.state === 'deleting') throw deletingError(org);
  return org;
}

export function mergedError(org: Organization): IdsyncError {
  const what = org.state === 'merging' ? 'is being merged' : 'was merged';
  return new IdsyncError('org.merged', `organization ${org.id} ${what} into ${org.mergedInto}`, { orgId: org.id, state: org.state, mergedInto: org.mergedInto, ...(org.mergedAt ? { mergedAt: org.mergedAt } : {}) });
}
