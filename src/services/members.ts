import { z } from 'zod';
import { IdsyncError, isIdsyncError, type ErrorCode } from '../domain/errors.js';
import { memberFromAdmin, withRole } from '../domain/member-rules.js';
import { manualRoleSource } from '../domain/role-mappings.js';
import { ROLES, type Actor, type ChangeSource, type Identity, type ManagedBy, type Member, type Organization, type Role, type StatusEvidence } from '../domain/model.js';
import type { MemberQuery, Page } from '../ports/store.js';
import type { ServiceDeps } from './deps.js';
import { openOrg } from './merge/sides.js';
import { MemberWriter } from './members/writer.js';
import { RoleEvaluator } from './role-mappings/evaluate.js';
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

export { memberSummary } from '../domain/member-status.js';

/**
 * Member operations of admins, the CLI and the reconciler. The rules are domain/'s and every write
 * goes through the MemberWriter, which audits each change in one shape.
 */
export class MemberService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly writer: MemberWriter = new MemberWriter(deps),
    private readonly roles: RoleEvaluator = new RoleEvaluator(deps, writer),
  ) {}

  async create(orgId: string, input: CreateMemberInput, actor: Actor, writer: ManagedBy = { kind: 'admin' }, source?: ChangeSource): Promise<Member> {
    const data = parseInput(createSchema, input);
    const org = await this.writer.org(orgId);
    return this.writer.create(memberFromAdmin(this.writer.birth(orgId), org, data, writer), { actor, ...(source ? { source } : {}) });
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

  /** People only unless `kinds` says otherwise (service accounts are listed and counted apart). */
  async list(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    await this.org(orgId);
    return this.deps.store.listMembers(orgId, { ...query, kinds: query?.kinds?.length ? query.kinds : ['person'] });
  }

  /** `evidence` is typed (StatusEvidence); an untyped record is kept under the kind `unclassified`. */
  async deactivate(orgId: string, id: string, actor: Actor, reason: string, writer: ManagedBy = { kind: 'admin' }, evidence?: StatusEvidence | Record<string, unknown>, source?: ChangeSource): Promise<Member> {
    return this.writer.setStatus(orgId, id, 'inactive', { actor, reason, ...(evidence ? { evidence } : {}), ...(source ? { source } : {}) }, writer);
  }

  async activate(orgId: string, id: string, actor: Actor, reason?: string, writer: ManagedBy = { kind: 'admin' }, evidence?: StatusEvidence | Record<string, unknown>, source?: ChangeSource): Promise<Member> {
    return this.writer.setStatus(orgId, id, 'active', { actor, ...(reason ? { reason } : {}), ...(evidence ? { evidence } : {}), ...(source ? { source } : {}) }, writer);
  }

  /**
   * A manual role change. Refused with `member.role_governed` (naming the mapping) when a role
   * mapping governs the member, unless the org lets manual overrides win: the override is then
   * recorded on the member (roleSource) and mappings leave it alone.
   */
  async changeRole(orgId: string, id: string, role: Role, actor: Actor, writer: ManagedBy = { kind: 'admin' }, source?: ChangeSource): Promise<Member> {
    const r = parseInput(roleSchema, role);
    const scope = await this.roles.scope(orgId);
    const matched = await this.roles.matchedFor(scope, id);
    const { member } = await this.writer.update(orgId, id, { actor, ...(source ? { source } : {}) }, writer, (m) => {
      const roleSource = manualRoleSource(m, r, matched, scope.org);
      const next = withRole(m, r, writer);
      if (!next) return null;
      return { next: { ...next, roleSource }, action: 'member.role_changed', ...(roleSource.kind === 'manual' && roleSource.overridesMapping ? { detail: { overridesMapping: roleSource.overridesMapping } } : {}) };
    });
    return member;
  }

  /**
   * Links an upstream identity (provider + immutable id) to the member; the reconciler and the join
   * flow use it. A new subject at a provider the member has already is appended (see withIdentity).
   */
  async linkIdentity(orgId: string, id: string, identity: Identity, actor: Actor, writer: ManagedBy = { kind: 'admin' }, source?: ChangeSource): Promise<Member> {
    return this.writer.linkIdentity(orgId, id, identity, { actor, ...(source ? { source } : {}) }, writer);
  }

  /** Removal is final: the member becomes a tombstone, leaves its teams and is never reactivated. */
  async remove(orgId: string, id: string, actor: Actor, reason: string, writer: ManagedBy = { kind: 'admin' }, source?: ChangeSource): Promise<Member> {
    const removed = await this.writer.setStatus(orgId, id, 'removed', { actor, reason, ...(source ? { source } : {}) }, writer);
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
  async removeMany(orgId: string, ids: string[], actor: Actor, reason: string, writer: ManagedBy = { kind: 'admin' }, source?: ChangeSource): Promise<BulkRemoveResult> {
    await this.org(orgId);
    const result: BulkRemoveResult = { removed: 0, removedIds: [], skipped: [] };
    for (const id of [...new Set(ids)]) {
      try {
        await this.remove(orgId, id, actor, reason, writer, source);
        result.removed += 1;
        result.removedIds.push(id);
      } catch (err) {
        if (!isIdsyncError(err) || err.status >= 500) throw err;
        result.skipped.push({ id, code: err.code, message: err.message });
      }
    }
    return result;
  }

  /** A merged org answers `org.merged` with where it went. */
  private async org(orgId: string): Promise<Organization> {
    return openOrg(this.deps, orgId);
  }
}
