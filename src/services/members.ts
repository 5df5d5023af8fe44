import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError, isIdsyncError, type ErrorCode } from '../domain/errors.js';
import { assertNotRemoved, assertWriterMayChange } from '../domain/invariants.js';
import { ROLES, type Actor, type Identity, type ManagedBy, type Member, type Organization, type Role } from '../domain/model.js';
import type { MemberQuery, Page } from '../ports/store.js';
import type { ServiceDeps } from './deps.js';
import { withdrawPendingInvitations } from './invitations/withdraw.js';
import { parseInput } from './validate.js';

const email = z.string().trim().max(320).email('expected an email address');
const roleSchema = z.enum(ROLES as [Role, ...Role[]]);

const createSchema = z.object({
  email,
  userName: z.string().trim().min(1).max(320).optional(),
  givenName: z.string().trim().max(200).optional(),
  familyName: z.string().trim().max(200).optional(),
  displayName: z.string().trim().max(400).optional(),
  externalId: z.string().trim().min(1).max(400).optional(),
  role: roleSchema.default('member'),
});

export type CreateMemberInput = z.input<typeof createSchema>;

export interface BulkRemoveResult {
  removed: number;
  removedIds: string[];
  skipped: { id: string; code: ErrorCode; message: string }[];
}

/** What a member looked like, for audit before/after: enough to explain a change, no bulk data. */
export function memberSummary(m: Member) {
  return {
    userName: m.userName,
    status: m.status,
    role: m.role,
    externalId: m.externalId,
    emails: m.emails.map((e) => e.value),
    managedBy: m.managedBy,
  };
}

/**
 * The write path for members. SCIM, the reconciler, the admin API, the CLI and the join flow all
 * come through here: every change is validated, checked against the invariants and audited.
 */
export class MemberService {
  constructor(private readonly deps: ServiceDeps) {}

  async create(orgId: string, input: CreateMemberInput, actor: Actor, writer: ManagedBy = { kind: 'admin' }): Promise<Member> {
    const data = parseInput(createSchema, input);
    const org = await this.org(orgId);
    assertDomainAllowed(org, data.email);
    const at = this.deps.clock.now().toISOString();
    const member: Member = {
      id: randomUUID(),
      orgId,
      userName: data.userName ?? data.email,
      ...(data.externalId ? { externalId: data.externalId } : {}),
      name: {
        ...(data.givenName ? { givenName: data.givenName } : {}),
        ...(data.familyName ? { familyName: data.familyName } : {}),
      },
      ...(data.displayName ? { displayName: data.displayName } : {}),
      emails: [{ value: data.email, type: 'work', primary: true }],
      role: data.role,
      status: 'active',
      managedBy: writer,
      identities: [],
      attributes: {},
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createMember(member, { orgId, actor, action: 'member.created', target: { type: 'member', id: member.id }, after: memberSummary(member) });
    return member;
  }

  async get(orgId: string, id: string): Promise<Member> {
    const m = await this.deps.store.getMember(orgId, id);
    if (!m) throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
    return m;
  }

  /** Resolves a member by id, or else by userName (what people type in a CLI). */
  async resolve(orgId: string, idOrUserName: string): Promise<Member> {
    const byId = await this.deps.store.getMember(orgId, idOrUserName);
    if (byId) return byId;
    const byName = await this.deps.store.findMemberByUserName(orgId, idOrUserName);
    if (byName) return byName;
    throw new IdsyncError('member.not_found', `member ${idOrUserName} not found`, { member: idOrUserName });
  }

  async list(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    await this.org(orgId);
    return this.deps.store.listMembers(orgId, query);
  }

  async deactivate(orgId: string, id: string, actor: Actor, reason: string, writer: ManagedBy = { kind: 'admin' }, evidence?: Record<string, unknown>): Promise<Member> {
    const at = this.deps.clock.now().toISOString();
    const member = await this.change(
      orgId,
      id,
      writer,
      'member.deactivated',
      actor,
      reason,
      (m) => (m.status === 'inactive' ? null : { ...m, status: 'inactive', deactivation: { by: actor, reason, at } }),
      evidence,
    );
    await withdrawPendingInvitations(this.deps, orgId, member.emails.map((e) => e.value), 'member deactivated', actor);
    return member;
  }

  async activate(orgId: string, id: string, actor: Actor, reason = 'activated', writer: ManagedBy = { kind: 'admin' }): Promise<Member> {
    return this.change(orgId, id, writer, 'member.activated', actor, reason, (m) => {
      if (m.status === 'active') return null;
      const { deactivation: _dropped, ...rest } = m;
      return { ...rest, status: 'active' };
    });
  }

  async changeRole(orgId: string, id: string, role: Role, actor: Actor, writer: ManagedBy = { kind: 'admin' }): Promise<Member> {
    const r = parseInput(roleSchema, role);
    return this.change(orgId, id, writer, 'member.role_changed', actor, undefined, (m) => (m.role === r ? null : { ...m, role: r }));
  }

  /** Links an upstream identity (provider + immutable id) to the member; the reconciler and the join flow use it. */
  async linkIdentity(orgId: string, id: string, identity: Identity, actor: Actor, writer: ManagedBy = { kind: 'admin' }): Promise<Member> {
    return this.change(orgId, id, writer, 'member.identity_linked', actor, undefined, (m) =>
      m.identities.some((i) => i.provider === identity.provider && i.subject === identity.subject) ? null : { ...m, identities: [...m.identities.filter((i) => i.provider !== identity.provider), identity] },
    );
  }

  /** Removal is final: the member becomes a tombstone, leaves its teams and is never reactivated. */
  async remove(orgId: string, id: string, actor: Actor, reason: string, writer: ManagedBy = { kind: 'admin' }): Promise<Member> {
    const at = this.deps.clock.now().toISOString();
    const removed = await this.change(orgId, id, writer, 'member.removed', actor, reason, (m) => ({ ...m, status: 'removed', removedAt: at }));
    await withdrawPendingInvitations(this.deps, orgId, removed.emails.map((e) => e.value), 'member removed', actor);
    for (const teamId of await this.deps.store.listMemberTeams(orgId, id)) {
      await this.deps.store.removeTeamMembers(orgId, teamId, [id], {
        orgId,
        actor,
        action: 'team.members_removed',
        target: { type: 'team', id: teamId },
        after: { removed: [id] },
        reason: 'member removed',
      });
    }
    return removed;
  }

  /** Removes each member it can; the others are returned with the reason they were skipped. */
  async removeMany(orgId: string, ids: string[], actor: Actor, reason: string, writer: ManagedBy = { kind: 'admin' }): Promise<BulkRemoveResult> {
    await this.org(orgId);
    const result: BulkRemoveResult = { removed: 0, removedIds: [], skipped: [] };
    for (const id of [...new Set(ids)]) {
      try {
        await this.remove(orgId, id, actor, reason, writer);
        result.removed += 1;
        result.removedIds.push(id);
      } catch (err) {
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        result.skipped.push({ id, code: err.code, message: err.message });
      }
    }
    return result;
  }

  private async change(
    orgId: string,
    id: string,
    writer: ManagedBy,
    action: string,
    actor: Actor,
    reason: string | undefined,
    apply: (m: Member) => Member | null,
    evidence?: Record<string, unknown>,
  ): Promise<Member> {
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateMember(orgId, id, (cur) => {
      assertNotRemoved(cur);
      assertWriterMayChange(cur, writer);
      const next = apply(cur);
      if (!next) return null;
      return {
        next: { ...next, updatedAt: at },
        audit: {
          orgId,
          actor,
          action,
          target: { type: 'member', id },
          before: memberSummary(cur),
          after: memberSummary(next),
          ...(reason ? { reason } : {}),
          ...(evidence ? { evidence } : {}),
        },
      };
    });
    return record;
  }

  private async org(orgId: string): Promise<Organization> {
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return org;
  }
}

function assertDomainAllowed(org: Organization, address: string): void {
  const allowed = org.settings.allowedDomains;
  if (allowed.length === 0) return;
  const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
  if (!allowed.includes(domain)) {
    throw new IdsyncError('member.domain_not_allowed', `${domain} is not an allowed email domain of organization ${org.id}`, { domain, allowed });
  }
}
