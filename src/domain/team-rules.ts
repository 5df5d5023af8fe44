import { IdsyncError } from './errors.js';
import type { Actor, DirectoryConnection, Team } from './model.js';

/**
 * A team kept from a directory group (issue 17) has one writer: the reconciler of that connection,
 * which would undo any other change at its next full read. So SCIM, admins (API, console, CLI),
 * invitations and Okta entitlements change neither its name nor its members; an emptied team (its
 * group deleted or no longer selected) may still be deleted. A link to a connection that no longer
 * exists binds nobody.
 */
export function isDirectoryTeamWriter(team: Team, actor: Actor): boolean {
  return !team.directoryGroup || (actor.kind === 'directory' && actor.id === team.directoryGroup.connectionId);
}

export function teamManagedError(team: Team, conn: Pick<DirectoryConnection, 'id' | 'name' | 'provider'>): IdsyncError {
  const group = team.directoryGroup!;
  return new IdsyncError(
    'team.managed_elsewhere',
    `team ${team.displayName} (${team.id}) is kept by directory connection ${conn.name} (${conn.id}) from ${conn.provider} group ${group.key}: change it in the directory, or stop syncing the group`,
    { teamId: team.id, connectionId: conn.id, groupId: group.groupId, group: group.key },
  );
}
