import { randomUUID } from 'node:crypto';
import { IdsyncError } from '../../domain/errors.js';
import type { Invitation, InviteLink, Member, Organization } from '../../domain/model.js';
import { isTombstone } from '../../ports/directory.js';
import type { Clock } from '../../ports/clock.js';
import type { Logger } from '../../ports/logger.js';
import type { Store } from '../../ports/store.js';
import type { ServiceDeps } from '../../services/deps.js';
import type { Services } from '../../services/index.js';
import { displayStatus } from '../../services/invitations/service.js';
import { createJoinedMember, findJoiningMember, identityActor, joinTeams, linkIdentity } from '../../services/invitations/join.js';
import { linkState } from '../../services/invitations/links.js';
import { emailDomain, hashToken, INVITATION_TOKEN_PREFIX, LINK_TOKEN_PREFIX, sameHash } from '../../services/invitations/tokens.js';
import type { SignedIn } from './providers.js';

export type Found = { kind: 'invitation'; inv: Invitation; org: Organization } | { kind: 'link'; link: InviteLink; org: Organization };

/** A coded refusal of the join flow that is not a service error (the pages map its code). */
export class JoinRefusal extends Error {
  constructor(readonly code: string) {
    super(code);
  }
}

export interface JoinDeps {
  store: Store;
  services: Services;
  clock: Clock;
  logger: Logger;
}

/** Finds what a join token opens, without consuming anything; refuses what can no longer be used. */
export async function lookup(deps: JoinDeps, token: string): Promise<Found> {
  const hash = hashToken(token);
  if (token.startsWith(INVITATION_TOKEN_PREFIX)) {
    const inv = await deps.store.findInvitationByTokenHash(hash);
    if (!inv || !sameHash(inv.tokenHash, hash)) throw new JoinRefusal('invite.not_found');
    const org = await deps.store.getOrg(inv.orgId);
    if (!org) throw new JoinRefusal('invite.not_found');
    const status = displayStatus(inv, deps.clock.now());
    if (status === 'accepted') throw new JoinRefusal('invite.used');
    if (status !== 'pending') throw new JoinRefusal(`invite.${status}`);
    return { kind: 'invitation', inv, org };
  }
  if (token.startsWith(LINK_TOKEN_PREFIX)) {
    const link = await deps.store.findInviteLinkByTokenHash(hash);
    if (!link || !sameHash(link.tokenHash, hash)) throw new JoinRefusal('link.not_found');
    const org = await deps.store.getOrg(link.orgId);
    if (!org) throw new JoinRefusal('link.not_found');
    const state = linkState(link, deps.clock.now());
    if (state !== 'active') throw new JoinRefusal(`link.${state}`);
    return { kind: 'link', link, org };
  }
  throw new JoinRefusal('invite.not_found');
}

/** Accepts the invitation or uses the link with the signed-in identity; returns the member. */
export async function complete(deps: JoinDeps, token: string, who: SignedIn): Promise<{ member: Member; org: Organization }> {
  const found = await lookup(deps, token);
  const identity = { provider: who.provider, subject: who.subject, email: who.email, emailVerified: who.emailVerified };
  if (found.kind === 'invitation') {
    const member = await deps.services.invitations.accept(token, identity, found.org.id);
    return { member, org: found.org };
  }
  const { link, org } = found;
  if (!who.emailVerified) throw new JoinRefusal('join.email_unverified');
  const domain = emailDomain(who.email);
  if (link.allowedDomains.length > 0 && !link.allowedDomains.includes(domain)) throw new JoinRefusal('link.domain_not_allowed');
  if (org.settings.allowedDomains.length > 0 && !org.settings.allowedDomains.includes(domain)) throw new JoinRefusal('member.domain_not_allowed');
  if (link.directoryConnectionId) await assertInDirectory(deps, link.directoryConnectionId, who);
  const d: ServiceDeps = { store: deps.store, clock: deps.clock, logger: deps.logger };
  const existing = await findJoiningMember(d, org.id, identity);
  const actor = identityActor(identity);
  // The use is consumed first (atomic: racing last uses, one wins), then the member is written.
  await deps.services.links.use(token, who.email, actor);
  const member = existing
    ? await linkIdentity(d, org.id, existing.id, identity, actor)
    : await createJoinedMember(d, org.id, randomUUID(), { email: who.email, role: link.role, identity }, actor);
  if (link.teamId) await joinTeams(d, org.id, member.id, [link.teamId], actor);
  return { member, org };
}

/**
 * Directory gating: the person must be listed as active by the link's directory connection. The
 * check is one point lookup by the id the directory knows them under, so it needs a sign-in with the
 * connection's own provider (Google user id = OIDC sub, Entra object id = oid, GitHub user id);
 * any other provider is refused with the "not in the directory" page.
 */
async function assertInDirectory(deps: JoinDeps, connectionId: string, who: SignedIn): Promise<void> {
  const conn = await deps.store.getConnection(connectionId);
  if (!conn || conn.provider !== who.provider) throw new JoinRefusal('join.not_in_directory');
  let user;
  try {
    user = await deps.services.connections.open(conn).getUser(who.directoryId);
  } catch (err) {
    throw err instanceof IdsyncError ? new JoinRefusal('join.failed') : err;
  }
  if (isTombstone(user) || user.state !== 'active') throw new JoinRefusal('join.not_in_directory');
}
