import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import { assertDomainsAllowed, linkDomains } from '../../domain/member-rules.js';
import { ROLES, type Actor, type InviteLink, type Role } from '../../domain/model.js';
import type { Page, PageRequest } from '../../ports/store.js';
import type { ServiceDeps } from '../deps.js';
import { assertTeamWritable } from '../teams.js';
import { parseInput } from '../validate.js';
import { hashToken, joinUrl, LINK_TOKEN_PREFIX, mintLinkToken, sameHash } from './tokens.js';

const HOUR_MS = 3_600_000;

const domain = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^(?=.{1,253}$)([a-z0-9](-?[a-z0-9])*\.)+[a-z]{2,}$/, 'expected a domain such as example.com');

const createSchema = z.object({
  teamId: z.string().trim().min(1).max(200).optional(),
  role: z.enum(ROLES as [Role, ...Role[]]).default('member'),
  expiresInHours: z.number().int().min(1).max(24 * 365).optional(),
  maxUses: z.number().int().min(1).max(1_000_000).optional(),
  allowedDomains: z.array(domain).max(100).default([]),
  directoryConnectionId: z.string().trim().min(1).max(200).optional(),
});
export type CreateLinkInput = z.input<typeof createSchema>;

export type LinkState = 'active' | 'expired' | 'revoked' | 'used_up';

/** A link as shown: no token hash, with its state at the time of reading. */
export type PublicLink = Omit<InviteLink, 'tokenHash'> & { state: LinkState };

export function linkState(l: InviteLink, now: Date): LinkState {
  if (l.revokedAt) return 'revoked';
  if (l.expiresAt && Date.parse(l.expiresAt) <= now.getTime()) return 'expired';
  if (l.maxUses !== undefined && l.uses >= l.maxUses) return 'used_up';
  return 'active';
}

/**
 * Open invite links: shareable, optionally for one team, limited in time, uses, email domains and
 * (recorded here, checked by the join flow) to people a directory connection lists as active.
 * Tokens are 256 random bits stored as SHA-256 only, so a link's URL is shown when it is created or
 * rotated and never again. Each use is a compare-and-swap on the link: racing last uses, one wins.
 */
export class LinkService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly publicUrl: string,
  ) {}

  async create(orgId: string, input: CreateLinkInput, actor: Actor): Promise<{ link: PublicLink; url: string }> {
    const data = parseInput(createSchema, input);
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    if (data.teamId) {
      const team = await this.deps.store.getTeam(orgId, data.teamId);
      if (!team) throw new IdsyncError('team.not_found', `team ${data.teamId} not found`, { teamId: data.teamId });
      // Joining would put people in a team only its directory fills.
      await assertTeamWritable(this.deps, team, actor);
    }
    if (data.directoryConnectionId) {
      const conn = await this.deps.store.getConnection(data.directoryConnectionId);
      if (!conn || conn.orgId !== orgId) throw new IdsyncError('connection.not_found', `directory connection ${data.directoryConnectionId} not found`, { connectionId: data.directoryConnectionId });
    }
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const { token, hash } = mintLinkToken();
    const link: InviteLink = {
      id: randomUUID(),
      orgId,
      ...(data.teamId ? { teamId: data.teamId } : {}),
      role: data.role,
      tokenHash: hash,
      createdBy: actor,
      createdAt: at,
      ...(data.expiresInHours ? { expiresAt: new Date(now.getTime() + data.expiresInHours * HOUR_MS).toISOString() } : {}),
      ...(data.maxUses ? { maxUses: data.maxUses } : {}),
      uses: 0,
      allowedDomains: [...new Set(data.allowedDomains)],
      ...(data.directoryConnectionId ? { directoryConnectionId: data.directoryConnectionId } : {}),
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createInviteLink(link, { orgId, actor, action: 'link.created', target: { type: 'invite_link', id: link.id }, after: summary(link) });
    return { link: this.public(link, now), url: joinUrl(this.publicUrl, token) };
  }

  async get(orgId: string, id: string): Promise<PublicLink> {
    return this.public(await this.find(orgId, id), this.deps.clock.now());
  }

  async list(orgId: string, page?: PageRequest): Promise<Page<PublicLink>> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    const now = this.deps.clock.now();
    const p = await this.deps.store.listInviteLinks(orgId, page);
    return { items: p.items.map((l) => this.public(l, now)), total: p.total };
  }

  /** A new token: the old URL stops working at once (it finds no link at all). */
  async rotate(orgId: string, id: string, actor: Actor): Promise<{ link: PublicLink; url: string }> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    let token = '';
    const { record } = await this.deps.store.updateInviteLink(orgId, id, (cur) => {
      if (cur.revokedAt) throw revoked(cur);
      const minted = mintLinkToken();
      token = minted.token;
      return { next: { ...cur, tokenHash: minted.hash, updatedAt: at }, audit: { orgId, actor, action: 'link.rotated', target: { type: 'invite_link', id } } };
    });
    return { link: this.public(record, now), url: joinUrl(this.publicUrl, token) };
  }

  async revoke(orgId: string, id: string, actor: Actor, reason?: string): Promise<PublicLink> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const { record } = await this.deps.store.updateInviteLink(orgId, id, (cur) =>
      cur.revokedAt
        ? null
        : { next: { ...cur, revokedAt: at, updatedAt: at }, audit: { orgId, actor, action: 'link.revoked', target: { type: 'invite_link', id }, after: { revokedAt: at }, ...(reason ? { reason } : {}) } },
    );
    return this.public(record, now);
  }

  /**
   * Consumes one use of the link for a joiner with this (verified) email, atomically. The join flow
   * calls it after sign-in and, for a directory-gated link, after checking the directory.
   */
  async use(token: string, email: string, actor: Actor = { kind: 'invite', label: email }): Promise<PublicLink> {
    const hash = hashToken(token);
    const found = token.startsWith(LINK_TOKEN_PREFIX) ? await this.deps.store.findInviteLinkByTokenHash(hash) : undefined;
    if (!found || !sameHash(found.tokenHash, hash)) throw new IdsyncError('link.not_found', 'no invite link has this URL (it may have been rotated)');
    return this.useFound(found, email, actor);
  }

  /** One use of a link already found (by its URL, or by the sign-up page for an email of its allowed domains). */
  async useFound(found: InviteLink, email: string, actor: Actor = { kind: 'invite', label: email }): Promise<PublicLink> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const { record } = await this.deps.store.updateInviteLink(found.orgId, found.id, (cur) => {
      if (cur.tokenHash !== found.tokenHash) throw new IdsyncError('link.not_found', 'no invite link has this URL (it was rotated)');
      assertUsable(cur, now, email);
      return {
        next: { ...cur, uses: cur.uses + 1, updatedAt: at },
        audit: { orgId: cur.orgId, actor, action: 'link.used', target: { type: 'invite_link', id: cur.id }, after: { uses: cur.uses + 1, maxUses: cur.maxUses, email } },
      };
    });
    return this.public(record, now);
  }

  /**
   * Gives back one use of a link whose joiner could not be let in (the member write failed after the
   * use was consumed): a compare-and-swap decrement, audited as `link.use_returned` with the reason.
   * A link rotated or revoked since still gets its count back; the count never goes below zero.
   */
  async giveBack(orgId: string, id: string, actor: Actor, reason: string): Promise<PublicLink> {
    const now = this.deps.clock.now();
    const at = now.toISOString();
    const { record } = await this.deps.store.updateInviteLink(orgId, id, (cur) =>
      cur.uses <= 0
        ? null
        : {
            next: { ...cur, uses: cur.uses - 1, updatedAt: at },
            audit: { orgId, actor, action: 'link.use_returned', target: { type: 'invite_link', id }, before: { uses: cur.uses }, after: { uses: cur.uses - 1, maxUses: cur.maxUses }, reason },
          },
    );
    return this.public(record, now);
  }

  private public(l: InviteLink, now: Date): PublicLink {
    const { tokenHash: _h, ...rest } = l;
    return { ...rest, state: linkState(l, now) };
  }

  private async find(orgId: string, id: string): Promise<InviteLink> {
    const l = await this.deps.store.getInviteLink(orgId, id);
    if (!l) throw new IdsyncError('link.not_found', `invite link ${id} not found`, { linkId: id });
    return l;
  }
}

const revoked = (l: InviteLink) => new IdsyncError('link.revoked', `invite link ${l.id} was revoked`, { linkId: l.id });

function assertUsable(l: InviteLink, now: Date, email: string): void {
  const state = linkState(l, now);
  if (state === 'revoked') throw revoked(l);
  if (state === 'expired') throw new IdsyncError('link.expired', `invite link ${l.id} expired at ${l.expiresAt}`, { linkId: l.id, expiresAt: l.expiresAt });
  if (state === 'used_up') throw new IdsyncError('link.used_up', `invite link ${l.id} was used ${l.uses} of ${l.maxUses} times`, { linkId: l.id, maxUses: l.maxUses });
  assertDomainsAllowed(linkDomains(l), [email]);
}

function summary(l: InviteLink) {
  return { role: l.role, teamId: l.teamId, expiresAt: l.expiresAt, maxUses: l.maxUses, allowedDomains: l.allowedDomains, directoryConnectionId: l.directoryConnectionId };
}
