import { IdsyncError } from './errors.js';
import type { ManagedBy, Member } from './model.js';

/** The writers that own a member's lifecycle; `admin` stands for any human or CLI operator. */
export type Writer = ManagedBy['kind'];

/**
 * A writer changes only what it manages: SCIM never touches a member a directory connection
 * manages, and the reverse. Admins may touch either (the audit trail records it).
 */
export function assertWriterMayChange(member: Member, writer: ManagedBy): void {
  if (writer.kind === 'admin') return;
  if (member.kind === 'service') {
    throw new IdsyncError('member.managed_elsewhere', `member ${member.id} is a service account: only an admin changes it`, { memberId: member.id, managedBy: 'admin' });
  }
  const owner = member.managedBy;
  if (owner.kind === 'scim' && writer.kind === 'directory') {
    throw new IdsyncError('member.managed_elsewhere', `member ${member.id} is managed by SCIM provisioning`, {
      memberId: member.id,
      managedBy: owner.kind,
    });
  }
  if (owner.kind === 'directory' && writer.kind === 'scim') {
    throw new IdsyncError('member.managed_elsewhere', `member ${member.id} is managed by directory connection ${owner.connectionId}`, {
      memberId: member.id,
      managedBy: owner.kind,
    });
  }
  if (owner.kind === 'directory' && writer.kind === 'directory' && owner.connectionId !== writer.connectionId) {
    throw new IdsyncError('member.managed_elsewhere', `member ${member.id} is managed by another directory connection`, {
      memberId: member.id,
      managedBy: owner.kind,
    });
  }
}

/** A removed member is a tombstone: nothing about it changes again. */
export function assertNotRemoved(member: Member): void {
  if (member.status === 'removed') {
    throw new IdsyncError('member.removed', `member ${member.id} was removed and cannot be changed or reactivated`, {
      memberId: member.id,
    });
  }
}

export function isActiveOwner(m: Pick<Member, 'status' | 'role'>): boolean {
  return m.status === 'active' && m.role === 'owner';
}

/** True when a write turns an active owner into anything else (so the last-owner rule applies). */
export function losesActiveOwner(before: Member, after: Member): boolean {
  return isActiveOwner(before) && !isActiveOwner(after);
}

export function lastOwnerError(member: Member): IdsyncError {
  return new IdsyncError('member.last_owner', `member ${member.id} is the last active owner of organization ${member.orgId}`, {
    memberId: member.id,
    orgId: member.orgId,
  });
}
