import { IdsyncError } from '../../domain/errors.js';
import { isTombstone, type DirectoryTombstone, type DirectoryUser } from '../../ports/directory.js';
import type { ConnectionService } from '../connections/service.js';
import type { ServiceDeps } from '../deps.js';
import type { JoinSignIn } from './members.js';

/**
 * Directory gating: the person must be listed as active by the link's directory connection. The
 * check is one point lookup by the id the directory knows them under, so it needs a sign-in with the
 * connection's own provider (Google user id = OIDC sub, Entra object id = oid, GitHub user id);
 * any other provider is refused as "not in the directory".
 */
export async function assertInDirectory(deps: ServiceDeps, connections: ConnectionService, connectionId: string, who: JoinSignIn): Promise<void> {
  const conn = await deps.store.getConnection(connectionId);
  const notListed = () => new IdsyncError('join.not_in_directory', 'the invite link is for people its directory lists as active', { connectionId });
  if (!conn || conn.provider !== who.provider) throw notListed();
  let user: DirectoryUser | DirectoryTombstone;
  try {
    user = await connections.open(conn).getUser(who.directoryId);
  } catch (err) {
    // A connector failure is coded (auth, throttled, unreachable …); the joiner can only retry.
    if (err instanceof IdsyncError) throw new IdsyncError('join.failed', 'the directory could not be asked whether the person is listed', { connectionId, cause: err.code }, { cause: err });
    throw err;
  }
  if (isTombstone(user) || user.state !== 'active') throw notListed();
}
