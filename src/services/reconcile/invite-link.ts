import type { Actor, DirectoryConnection, InviteLink } from '../../domain/model.js';
import { collect } from '../../ports/paging.js';
import type { ServiceDeps } from '../deps.js';
import type { LinkService } from '../invitations/links.js';
import { linkState } from '../invitations/links.js';
import type { SecretBox } from '../secret-box.js';

/** The connection's own directory-gated link, as kept in `syncState.inviteLink`. */
export interface KeptLink {
  linkId: string;
  /** The join URL, sealed: the token is stored nowhere else (the link keeps only its hash). */
  sealedUrl: string;
}

export interface InviteLinkOutcome {
  /** The connection's link after this run (absent when policy.inviteLink is off). */
  linkId?: string;
  /** minted: a new link (none, or the old one stopped working); rotated: a new URL; revoked: the policy was turned off. */
  action: 'minted' | 'rotated' | 'kept' | 'revoked' | 'none';
  /** Other directory-gated links rotated because the member who made them was offboarded. */
  rotatedForOffboarding: string[];
}

/**
 * policy.inviteLink: keeps one open invite link gated to the connection's directory (only people it
 * lists as active can join through it) minted, and rotates directory-gated links whose creator the
 * reconciler just offboarded, so a departed person's copy of the URL stops working. The URL is
 * sealed in the connection's sync state, so an admin can copy it at any time.
 */
export class InviteLinkKeeper {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly links: Pick<LinkService, 'create' | 'rotate' | 'revoke'>,
    private readonly box: SecretBox,
  ) {}

  async keep(conn: DirectoryConnection, enabled: boolean, kept: KeptLink | undefined, offboarded: ReadonlySet<string>, actor: Actor): Promise<{ outcome: InviteLinkOutcome; kept?: KeptLink }> {
    const gated = await this.gatedLinks(conn);
    const rotatedForOffboarding: string[] = [];
    let next = kept;
    let action: 'none' | 'rotated' = 'none';
    for (const l of gated) {
      if (!l.createdBy.onBehalfOf || !offboarded.has(l.createdBy.onBehalfOf)) continue;
      const { url } = await this.links.rotate(conn.orgId, l.id, actor);
      rotatedForOffboarding.push(l.id);
      if (l.id === kept?.linkId) {
        next = { linkId: l.id, sealedUrl: this.box.seal(url) };
        action = 'rotated';
      }
    }
    const current = kept && gated.find((l) => l.id === kept.linkId);
    if (!enabled) {
      if (current) await this.links.revoke(conn.orgId, current.id, actor, 'policy.inviteLink turned off');
      return { outcome: { action: current ? 'revoked' : 'none', rotatedForOffboarding } };
    }
    if (current && next) return { outcome: { linkId: next.linkId, action: action === 'none' ? 'kept' : action, rotatedForOffboarding }, kept: next };
    const { link, url } = await this.links.create(conn.orgId, { role: 'member', directoryConnectionId: conn.id }, actor);
    return { outcome: { linkId: link.id, action: 'minted', rotatedForOffboarding }, kept: { linkId: link.id, sealedUrl: this.box.seal(url) } };
  }

  /** The kept link's join URL, for an admin to copy. */
  url(kept: KeptLink): string {
    return this.box.open(kept.sealedUrl);
  }

  /** Usable links gated to this connection (revoked, expired and used-up ones no longer admit anyone). */
  private async gatedLinks(conn: DirectoryConnection): Promise<InviteLink[]> {
    const now = this.deps.clock.now();
    const links = await collect((page) => this.deps.store.listInviteLinks(conn.orgId, page));
    return links.filter((l) => l.directoryConnectionId === conn.id && linkState(l, now) === 'active');
  }
}
