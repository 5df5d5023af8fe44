import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../domain/errors.js';
import { assertNotRemoved, assertWriterMayChange, isActiveOwner } from '../domain/invariants.js';
import type { Actor, ManagedBy, Member, MemberProfile, Organization } from '../domain/model.js';
import type { ServiceDeps } from './deps.js';
import { withdrawPendingInvitations } from './invitations/withdraw.js';
import { memberSummary } from './members.js';

export interface ProfileChange {
  /** Fields to set; absent fields are left as they are (a PUT without `active` deactivates nobody). */
  profile?: Partial<MemberProfile>;
  active?: boolean;
  /** Take over the member's lifecycle (SCIM adoption of an admin- or invite-created member). */
  adoptAs?: ManagedBy;
}

const PROFILE_KEYS = ['userName', 'externalId', 'name', 'displayName', 'emails', 'attributes'] as const;

/**
 * The write path of provisioning writers (SCIM today, directory connections next): members are
 * created and changed from a profile, with status changes, writer ownership and adoption checked
 * here, and one audit event per change.
 */
export class ProvisioningService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(orgId: string, profile: MemberProfile, active: boolean, actor: Actor, writer: ManagedBy, reason?: string): Promise<Member> {
    const org = await this.org(orgId);
    assertProfile(org, profile);
    const at = this.deps.clock.now().toISOString();
    const member: Member = {
      id: randomUUID(),
      orgId,
      ...clean(profile),
      role: 'member',
      status: active ? 'active' : 'inactive',
      ...(active ? {} : { deactivation: { by: actor, reason: reason ?? 'provisioned inactive', at } }),
      managedBy: writer,
      identities: [],
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createMember(member, { orgId, actor, action: 'member.created', target: { type: 'member', id: member.id }, after: memberSummary(member) });
    return member;
  }

  /**
   * Applies a profile and status change as one versioned write. With `ifVersion`, a concurrent
   * change fails with `version.mismatch` (callers that re-read and re-apply, like SCIM PATCH, retry).
   */
  async update(orgId: string, id: string, change: ProfileChange, actor: Actor, writer: ManagedBy, opts: { ifVersion?: number; reason?: string } = {}): Promise<{ member: Member; changed: boolean }> {
    const org = await this.org(orgId);
    const at = this.deps.clock.now().toISOString();
    const { record, changed } = await this.deps.store.updateMember(
      orgId,
      id,
      (cur) => {
        assertNotRemoved(cur);
        if (change.adoptAs) {
          if (isActiveOwner(cur)) throw new IdsyncError('member.managed_elsewhere', `member ${id} is the organization's owner and cannot be adopted by a provisioning writer`, { memberId: id });
        } else {
          assertWriterMayChange(cur, writer);
        }
        // A key present with value undefined clears the field (clean() drops it), as a PUT must.
        const base: Member = change.profile ? withoutOptionalProfile(cur) : cur;
        let next: Member = { ...base, ...(change.profile ? clean({ ...pickProfile(cur), ...change.profile }) : {}), ...(change.adoptAs ? { managedBy: change.adoptAs } : {}) };
        let action = change.adoptAs ? 'member.adopted' : 'member.updated';
        if (change.active === false && cur.status === 'active') {
          next = { ...next, status: 'inactive', deactivation: { by: actor, reason: opts.reason ?? `deactivated by ${actor.kind}`, at } };
          action = 'member.deactivated';
        } else if (change.active === true && cur.status === 'inactive') {
          const { deactivation: _d, ...rest } = next;
          next = { ...rest, status: 'active' };
          action = 'member.activated';
        }
        if (change.profile) assertProfile(org, pickProfile(next));
        if (same(cur, next)) return null;
        return {
          next: { ...next, updatedAt: at },
          audit: { orgId, actor, action, target: { type: 'member', id }, before: memberSummary(cur), after: memberSummary(next), ...(opts.reason ? { reason: opts.reason } : {}) },
        };
      },
      opts.ifVersion === undefined ? undefined : { ifVersion: opts.ifVersion },
    );
    if (changed && change.active === false && record.status === 'inactive') {
      await withdrawPendingInvitations(this.deps, orgId, record.emails.map((e) => e.value), 'member deactivated', actor);
    }
    return { member: record, changed };
  }

  private async org(orgId: string): Promise<Organization> {
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return org;
  }
}

function pickProfile(m: Member): MemberProfile {
  return {
    userName: m.userName,
    ...(m.externalId !== undefined ? { externalId: m.externalId } : {}),
    name: m.name,
    ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
    emails: m.emails,
    attributes: m.attributes,
  };
}

function withoutOptionalProfile(m: Member): Member {
  const { externalId: _e, displayName: _d, ...rest } = m;
  return rest;
}

/** Drops undefined members so that stored JSON and comparisons are stable. */
function clean(p: MemberProfile): MemberProfile {
  return JSON.parse(JSON.stringify(p)) as MemberProfile;
}

function same(a: Member, b: Member): boolean {
  return (
    a.status === b.status &&
    JSON.stringify(a.managedBy) === JSON.stringify(b.managedBy) &&
    PROFILE_KEYS.every((k) => JSON.stringify(a[k] ?? null) === JSON.stringify(b[k] ?? null))
  );
}

function assertProfile(org: Organization, p: MemberProfile): void {
  if (typeof p.userName !== 'string' || p.userName.trim() === '') throw new IdsyncError('request.invalid', 'userName is required');
  if (p.userName.length > 320) throw new IdsyncError('request.invalid', 'userName is longer than 320 characters');
  const allowed = org.settings.allowedDomains;
  if (allowed.length === 0) return;
  for (const e of p.emails) {
    const domain = e.value.slice(e.value.lastIndexOf('@') + 1).toLowerCase();
    if (!allowed.includes(domain)) {
      throw new IdsyncError('member.domain_not_allowed', `${domain} is not an allowed email domain of organization ${org.id}`, { domain, allowed });
    }
  }
}
