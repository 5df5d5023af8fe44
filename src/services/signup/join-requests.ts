import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError, isIdsyncError } from '../../domain/errors.js';
import { emailKey } from '../../domain/keys.js';
import { ROLES, type Actor, type Member, type Role } from '../../domain/model.js';
import type { JoinRequest, JoinRequestStatus } from '../../domain/signup.js';
import type { ServiceDeps } from '../deps.js';
import { admit, findJoiningMember, identityActor, type VerifiedIdentity } from '../join/members.js';
import { openOrg } from '../merge/sides.js';
import type { MemberWriter } from '../members/writer.js';
import { parseInput } from '../validate.js';

const SYSTEM: Actor = { kind: 'system', label: 'join request' };
const approveSchema = z.object({ role: z.enum(ROLES as unknown as [Role, ...Role[]]).optional() }).strict();
const declineSchema = z.object({ reason: z.string().trim().max(500).optional() }).strict();

/**
 * Requests to join an org that captured the person's email domain. The org's admins approve (the
 * person becomes a member, with their sign-in identity linked, through the member writer) or
 * decline. Every step is audited, so it reaches webhooks as join_request.created / approved /
 * declined.
 */
export class JoinRequestService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly writer: MemberWriter,
  ) {}

  /** Files a request; one already pending for the same email is returned instead of a second. */
  async request(orgId: string, who: VerifiedIdentity & { givenName?: string; familyName?: string }): Promise<{ request: JoinRequest; created: boolean }> {
    if (!who.emailVerified) throw new IdsyncError('join.email_unverified', `the ${who.provider} account's email address is not verified`, { provider: who.provider });
    await openOrg(this.deps, orgId);
    const pending = (await this.deps.store.listJoinRequests(orgId, { statuses: ['pending'] })).find((r) => emailKey(r.email) === emailKey(who.email));
    if (pending) return { request: pending, created: false };
    const at = this.deps.clock.now().toISOString();
    const req: JoinRequest = {
      id: randomUUID(),
      orgId,
      email: who.email,
      ...(who.givenName ? { givenName: who.givenName } : {}),
      ...(who.familyName ? { familyName: who.familyName } : {}),
      identity: { provider: who.provider, subject: who.subject, email: who.email },
      status: 'pending',
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createJoinRequest(req, { orgId, actor: identityActor(who), action: 'join_request.created', target: { type: 'join_request', id: req.id }, after: { email: req.email, provider: who.provider } });
    this.deps.logger.info('join request filed', { orgId, joinRequestId: req.id });
    return { request: req, created: true };
  }

  async list(orgId: string, statuses?: JoinRequestStatus[]): Promise<JoinRequest[]> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    return this.deps.store.listJoinRequests(orgId, statuses ? { statuses } : undefined);
  }

  async get(orgId: string, id: string): Promise<JoinRequest> {
    const r = await this.deps.store.getJoinRequest(orgId, id);
    if (!r) throw new IdsyncError('join_request.not_found', `join request ${id} not found`, { joinRequestId: id });
    return r;
  }

  /**
   * Approves: the request is marked approved first (compare-and-swap: of two admins approving at
   * once one wins, the other gets join_request.decided), then the member is written; when that
   * write is refused (domain not allowed, removed member, …) the request goes back to pending.
   */
  async approve(orgId: string, id: string, input: { role?: Role }, actor: Actor): Promise<{ request: JoinRequest; member: Member }> {
    const { role = 'member' } = parseInput(approveSchema, input);
    const org = await openOrg(this.deps, orgId);
    const req = await this.get(orgId, id);
    const identity: VerifiedIdentity = { ...req.identity, email: req.identity.email ?? req.email, emailVerified: true };
    const existing = await findJoiningMember(this.deps, orgId, identity);
    const memberId = existing?.id ?? randomUUID();
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateJoinRequest(orgId, id, (cur) => {
      assertPending(cur);
      return {
        next: { ...cur, status: 'approved', role, memberId, decidedBy: actorLabel(actor), decidedAt: at, updatedAt: at },
        audit: { orgId, actor, action: 'join_request.approved', target: { type: 'join_request', id }, before: { status: cur.status }, after: { status: 'approved', role, memberId, email: cur.email } },
      };
    });
    try {
      const member = await admit(this.writer, org, { existing, memberId, email: req.email, givenName: req.givenName, familyName: req.familyName, role, identity });
      return { request: record, member };
    } catch (err) {
      await this.reopen(orgId, id, err);
      throw err;
    }
  }

  async decline(orgId: string, id: string, input: { reason?: string }, actor: Actor): Promise<JoinRequest> {
    const { reason } = parseInput(declineSchema, input);
    await this.get(orgId, id);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateJoinRequest(orgId, id, (cur) => {
      assertPending(cur);
      return {
        next: { ...cur, status: 'declined', decidedBy: actorLabel(actor), decidedAt: at, ...(reason ? { reason } : {}), updatedAt: at },
        audit: { orgId, actor, action: 'join_request.declined', target: { type: 'join_request', id }, before: { status: cur.status }, after: { status: 'declined', email: cur.email }, ...(reason ? { reason } : {}) },
      };
    });
    return record;
  }

  private async reopen(orgId: string, id: string, cause: unknown): Promise<void> {
    const code = isIdsyncError(cause) ? cause.code : 'internal';
    const at = this.deps.clock.now().toISOString();
    try {
      await this.deps.store.updateJoinRequest(orgId, id, (cur) => {
        if (cur.status !== 'approved') return null;
        const { memberId: _m, decidedBy: _b, decidedAt: _a, role: _r, ...rest } = cur;
        return { next: { ...rest, status: 'pending', updatedAt: at }, audit: { orgId, actor: SYSTEM, action: 'join_request.approve_failed', target: { type: 'join_request', id }, after: { status: 'pending' }, reason: code } };
      });
    } catch (err) {
      this.deps.logger.error('could not reopen a join request after a failed approval', { orgId, joinRequestId: id, error: String(err) });
    }
  }
}

function assertPending(r: JoinRequest): void {
  if (r.status !== 'pending') throw new IdsyncError('join_request.decided', `join request ${r.id} was already ${r.status}`, { joinRequestId: r.id, status: r.status });
}

function actorLabel(a: Actor): string {
  return a.label ?? a.id ?? a.kind;
}
