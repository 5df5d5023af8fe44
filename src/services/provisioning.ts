import { applyProfileChange, memberFromProfile, type ProfileChange } from '../domain/member-rules.js';
import { defaultReason, sourceOf } from '../domain/member-status.js';
import type { Actor, ChangeSource, ManagedBy, Member, MemberProfile, StatusEvidence } from '../domain/model.js';
import type { ServiceDeps } from './deps.js';
import { MemberWriter } from './members/writer.js';

export type { ProfileChange } from '../domain/member-rules.js';

/**
 * The write path of provisioning writers (SCIM today, directory connections next): members are
 * created and changed from a profile by the domain rules (status, writer ownership, adoption) and
 * written by the MemberWriter, one audit event per change.
 */
export class ProvisioningService {
  constructor(
    deps: ServiceDeps,
    private readonly writer: MemberWriter = new MemberWriter(deps),
  ) {}

  async create(orgId: string, profile: MemberProfile, active: boolean, actor: Actor, writer: ManagedBy, reason?: string): Promise<Member> {
    const org = await this.writer.org(orgId);
    const why = reason ?? 'provisioned inactive';
    const member = memberFromProfile(this.writer.birth(orgId), org, profile, { active, actor, writer, reason: why });
    return this.writer.create(member, { actor, ...(active ? {} : { reason: why, evidence: activeAttribute(false, actor) }) });
  }

  /**
   * Applies a profile and status change as one versioned write. With `ifVersion`, a concurrent
   * change fails with `version.mismatch` (callers that re-read and re-apply, like SCIM PATCH, retry).
   */
  async update(orgId: string, id: string, change: ProfileChange, actor: Actor, writer: ManagedBy, opts: { ifVersion?: number; reason?: string; source?: ChangeSource } = {}): Promise<{ member: Member; changed: boolean }> {
    const org = await this.writer.org(orgId);
    const source = opts.source ?? sourceOf(actor, writer);
    const { member, changed } = await this.writer.update(
      orgId,
      id,
      { actor, source, ...(opts.reason ? { reason: opts.reason } : {}) },
      writer,
      (cur, at) => {
        const flip = change.active === false ? 'member.deactivated' : 'member.activated';
        const r = applyProfileChange(cur, change, { org, actor, writer, reason: opts.reason ?? defaultReason(source, flip), at });
        // Evidence only where the status flips: the client's `active` attribute is what justified it.
        return r && (r.action === 'member.deactivated' || r.action === 'member.activated') ? { ...r, evidence: activeAttribute(r.action === 'member.activated', actor) } : r;
      },
      opts.ifVersion === undefined ? {} : { ifVersion: opts.ifVersion },
    );
    return { member, changed };
  }
}

/** The provisioning client's `active` attribute, as status evidence (SCIM: the token that sent it). */
function activeAttribute(active: boolean, actor: Actor): StatusEvidence {
  return { kind: 'activeAttribute', active, ...(actor.id ? { tokenId: actor.id } : {}) };
}
