import { deletingError } from '../org-deletion/service.js';
import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../../domain/errors.js';
import type { Birth } from '../../domain/member-rules.js';
import { withIdentity } from '../../domain/member-rules.js';
import { defaultReason, isStatusAction, memberSummary, sourceOf, statusAction, toStatusEvidence, transition } from '../../domain/member-status.js';
import type { Actor, AuditDraft, ChangeSource, Identity, ManagedBy, Member, MemberStatus, Organization, StatusEvidence } from '../../domain/model.js';
import type { ServiceDeps } from '../deps.js';
import { withdrawPendingInvitations } from '../invitations/withdraw.js';

/** Who writes, from where, and why; `source` is derived from the actor and writer when absent. */
export interface WriteMeta {
  actor: Actor;
  source?: ChangeSource;
  /** Status changes always carry one: a default per source is written when absent. */
  reason?: string;
  /** Typed evidence; an untyped record is stored under the kind `unclassified`. */
  evidence?: StatusEvidence | Readonly<Record<string, unknown>>;
}

/** A new version of a member from a domain rule, and the audit action it is recorded as. */
export interface MemberEdit {
  next: Member;
  action: string;
  /** Added to the event's `after` (e.g. the identity linked), beside the member summary. */
  detail?: Record<string, unknown>;
  /** Set by an edit that knows only now whether it is a status change (a profile write that flips `active`). */
  evidence?: StatusEvidence;
  /** Set by an edit that knows only now why (a role decided from the member's current groups). */
  reason?: string;
}

export interface WriteResult {
  member: Member;
  changed: boolean;
  /** The action written, when something changed. */
  action?: string;
}

/**
 * The only caller of the store's member create and update. Every writer (admin API and CLI, SCIM,
 * the reconciler, invitation accept, link join, add/move to another org) hands it a member built or
 * changed by the rules in domain/; it stamps the write, builds the audit event in the one shape
 * (actor, source, reason, before/after, evidence) and withdraws the pending invitations of a member
 * who stops being active.
 */
export class MemberWriter {
  constructor(private readonly deps: ServiceDeps) {}

  now(): string {
    return this.deps.clock.now().toISOString();
  }

  birth(orgId: string, id: string = randomUUID()): Birth {
    return { id, orgId, at: this.now() };
  }

  async org(orgId: string): Promise<Organization> {
    const org = await this.deps.store.getOrg(orgId);
    if (!org) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    // An org scheduled for deletion takes no member changes, whoever writes (SCIM, a directory, an admin, a join).
    if (org.state === 'deleting') throw deletingError(org);
    return org;
  }

  /** Every member change of an org scheduled for deletion is refused here, whichever service asked. */
  async #assertNotDeleting(orgId: string): Promise<void> {
    const org = await this.deps.store.getOrg(orgId);
    if (org?.state === 'deleting') throw deletingError(org);
  }

  async create(member: Member, meta: WriteMeta, detail?: Record<string, unknown>): Promise<Member> {
    await this.#assertNotDeleting(member.orgId);
    const source = meta.source ?? sourceOf(meta.actor, member.managedBy);
    const evidence = toStatusEvidence(meta.evidence);
    const audit: AuditDraft = {
      orgId: member.orgId,
      actor: meta.actor,
      action: 'member.created',
      target: { type: 'member', id: member.id },
      source,
      after: { ...memberSummary(member), ...detail },
      ...(meta.reason ? { reason: meta.reason } : {}),
      ...(evidence ? { evidence } : {}),
    };
    await this.deps.store.createMember(member, audit);
    return member;
  }

  /**
   * One versioned write: `edit` gets the current member and the write's timestamp and returns the
   * next version (or null: nothing to write). With `ifVersion`, a concurrent change fails with
   * `version.mismatch`.
   */
  async update(orgId: string, id: string, meta: WriteMeta, writer: ManagedBy, edit: (cur: Member, at: string) => MemberEdit | null, opts: { ifVersion?: number } = {}): Promise<WriteResult> {
    await this.#assertNotDeleting(orgId);
    const at = this.now();
    let action: string | undefined;
    const { record, changed } = await this.deps.store.updateMember(
      orgId,
      id,
      (cur) => {
        const e = edit(cur, at);
        if (!e) return null;
        action = e.action;
        return { next: { ...e.next, updatedAt: at }, audit: this.audit(cur, e, meta, writer) };
      },
      opts.ifVersion === undefined ? undefined : { ifVersion: opts.ifVersion },
    );
    if (changed) this.deps.onMemberChanged?.();
    if (changed && (record.status === 'inactive' || record.status === 'removed') && (action === 'member.deactivated' || action === 'member.removed')) {
      const why = record.status === 'removed' ? 'member removed' : 'member deactivated';
      await withdrawPendingInvitations(this.deps, orgId, record.emails.map((e) => e.value), why, meta.actor);
    }
    return { member: record, changed, ...(changed && action ? { action } : {}) };
  }

  /**
   * Many members' versioned writes in one store transaction (updateMembers: all or nothing), each
   * with its own audit event in the one shape, as `update` writes them one by one. For a whole
   * group's role re-evaluation; ids must be distinct.
   */
  async updateMany(orgId: string, items: readonly { id: string; edit: (cur: Member, at: string) => MemberEdit | null }[], meta: WriteMeta, writer: ManagedBy): Promise<WriteResult[]> {
    const at = this.now();
    const actions = new Map<string, string>();
    const results = await this.deps.store.updateMembers(
      orgId,
      items.map(({ id, edit }) => ({
        id,
        updater: (cur: Member) => {
          const e = edit(cur, at);
          if (!e) return null;
          actions.set(id, e.action);
          return { next: { ...e.next, updatedAt: at }, audit: this.audit(cur, e, meta, writer) };
        },
      })),
    );
    if (results.some((r) => r.changed)) this.deps.onMemberChanged?.();
    for (const { record, changed } of results) {
      const action = actions.get(record.id);
      if (changed && (action === 'member.deactivated' || action === 'member.removed')) {
        await withdrawPendingInvitations(this.deps, orgId, record.emails.map((e) => e.value), action === 'member.removed' ? 'member removed' : 'member deactivated', meta.actor);
      }
    }
    return results.map(({ record, changed }) => {
      const action = actions.get(record.id);
      return { member: record, changed, ...(changed && action ? { action } : {}) };
    });
  }

  /** Deactivates, activates or removes (a no-op when the member is in that status already, removal aside). */
  async setStatus(orgId: string, id: string, to: MemberStatus, meta: WriteMeta, writer: ManagedBy): Promise<Member> {
    const action = statusAction(to);
    const reason = meta.reason ?? defaultReason(meta.source ?? sourceOf(meta.actor, writer), action);
    const { member } = await this.update(orgId, id, { ...meta, reason }, writer, (cur, at) => {
      const next = transition(cur, to, { writer, actor: meta.actor, reason, at });
      return next ? { next, action } : null;
    });
    return member;
  }

  /** Links an upstream identity (see `withIdentity` for why a second subject is appended). */
  async linkIdentity(orgId: string, id: string, identity: Identity, meta: WriteMeta, writer: ManagedBy): Promise<Member> {
    const { member } = await this.update(orgId, id, meta, writer, (cur) => {
      const next = withIdentity(cur, identity, writer);
      return next ? { next, action: 'member.identity_linked', detail: { identity: { provider: identity.provider, subject: identity.subject, ...(identity.email ? { email: identity.email } : {}) } } } : null;
    });
    return member;
  }

  /**
   * Records a member change that a rule refused after the fact (a role mapping that would demote
   * the last active owner): no member write, one audit event in the same shape, `after` saying
   * what was wanted.
   */
  async recordSkipped(member: Member, action: string, meta: WriteMeta & { reason: string }, wanted: Record<string, unknown>): Promise<void> {
    const evidence = toStatusEvidence(meta.evidence);
    await this.deps.store.appendAudit({
      orgId: member.orgId,
      actor: meta.actor,
      action,
      target: { type: 'member', id: member.id },
      source: meta.source ?? sourceOf(meta.actor),
      before: memberSummary(member),
      after: { ...memberSummary(member), wanted },
      reason: meta.reason,
      ...(evidence ? { evidence } : {}),
    });
  }

  private audit(cur: Member, e: MemberEdit, meta: WriteMeta, writer: ManagedBy): AuditDraft {
    const source = meta.source ?? sourceOf(meta.actor, writer);
    const reason = e.reason ?? meta.reason ?? (isStatusAction(e.action) ? defaultReason(source, e.action) : undefined);
    const evidence = toStatusEvidence(e.evidence ?? meta.evidence);
    return {
      orgId: cur.orgId,
      actor: meta.actor,
      action: e.action,
      target: { type: 'member', id: cur.id },
      source,
      before: memberSummary(cur),
      after: { ...memberSummary(e.next), ...e.detail },
      ...(reason ? { reason } : {}),
      ...(evidence ? { evidence } : {}),
    };
  }
}
