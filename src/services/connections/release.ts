import { releasedFromConnection } from '../../domain/member-rules.js';
import type { Actor, DirectoryConnection } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';
import type { MemberWriter } from '../members/writer.js';
import type { TeamService } from '../teams.js';

/** Members read and released per store transaction. */
const BATCH = 500;

export interface Released {
  members: number;
  teams: number;
}

/**
 * Hands what a directory connection manages to admins before the connection is deleted: every live
 * member whose `managedBy` names it becomes admin-managed (through the member writer, one audit event
 * `member.released` per member, BATCH members a transaction), and every team it keeps from a directory
 * group loses its link (`team.released`). Each write checks the member or team as it is then, so a
 * release cut off half way is finished by running it again, and one that already ran writes nothing.
 */
export async function releaseConnection(deps: ServiceDeps, writer: MemberWriter, teams: TeamService, conn: DirectoryConnection, actor: Actor): Promise<Released> {
  const reason = `directory connection ${conn.name} (${conn.id}) was deleted: admins manage what it managed`;
  let members = 0;
  let after: string | undefined;
  for (;;) {
    const page = await deps.store.listMembersAfter(conn.orgId, { statuses: ['active', 'inactive'], limit: BATCH, countTotal: false, ...(after ? { after } : {}) });
    const mine = page.items.filter((m) => releasedFromConnection(m, conn.id));
    if (mine.length) {
      const results = await writer.updateMany(
        conn.orgId,
        mine.map((m) => ({
          id: m.id,
          edit: (cur) => {
            const r = releasedFromConnection(cur, conn.id);
            return r ? { ...r, detail: { releasedFrom: conn.id } } : null;
          },
        })),
        { actor, reason },
        { kind: 'admin' },
      );
      members += results.filter((r) => r.changed).length;
    }
    if (page.items.length < BATCH) break;
    after = page.positions[page.positions.length - 1];
  }
  const released = await teams.releaseFromConnection(conn.orgId, conn.id, actor, reason);
  return { members, teams: released };
}
