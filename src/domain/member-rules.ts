import { IdsyncError } from './errors.js';
import { assertNotRemoved, assertWriterMayChange, isActiveOwner } from './invariants.js';
import { emailKey } from './keys.js';
import type { Actor, Identity, InviteLink, ManagedBy, Member, MemberProfile, Organization, PersonName, Role } from './model.js';
import { deactivated, reactivated } from './member-status.js';

/**
 * The rules every member writer shares, as pure functions: building a new member, applying a
 * profile change, the allowed-domain check and linking an identity. The writer service stores what
 * they return; nothing else builds or edits a Member.
 */

/** Identity and timestamp of a member about to be created (the caller mints the id, the clock gives `at`). */
export interface Birth {
  id: string;
  orgId: string;
  at: string;
}

// ---- allowed domains ----

export function emailDomain(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).trim().toLowerCase();
}

/** Whose domain list applies, and which code refuses an address outside it. */
export interface DomainRule {
  allowed: readonly string[];
  code: 'member.domain_not_allowed' | 'link.domain_not_allowed';
  /** Names the owner of the list in the message ("organization X", "this invite link"). */
  owner: string;
}

export const orgDomains = (org: Organization): DomainRule => ({ allowed: org.settings.allowedDomains, code: 'member.domain_not_allowed', owner: `organization ${org.id}` });
export const linkDomains = (link: InviteLink): DomainRule => ({ allowed: link.allowedDomains, code: 'link.domain_not_allowed', owner: 'this invite link' });

/** The one allowed-domain check: every address must be in the list; an empty list allows any. */
export function assertDomainsAllowed(rule: DomainRule, addresses: readonly string[]): void {
  if (rule.allowed.length === 0) return;
  for (const address of addresses) {
    const domain = emailDomain(address);
    if (!rule.allowed.includes(domain)) {
      throw new IdsyncError(rule.code, `${domain} is not an allowed email domain of ${rule.owner}`, { domain, allowed: [...rule.allowed] });
    }
  }
}

// ---- new members ----

interface NewMemberFields {
  userName: string;
  externalId?: string | undefined;
  name: PersonName;
  displayName?: string | undefined;
  emails: Member['emails'];
  role: Role;
  managedBy: ManagedBy;
  identities?: Identity[];
  attributes?: Record<string, unknown>;
}

function born(b: Birth, f: NewMemberFields): Member {
  return {
    id: b.id,
    orgId: b.orgId,
    userName: f.userName,
    ...(f.externalId ? { externalId: f.externalId } : {}),
    name: f.name,
    ...(f.displayName ? { displayName: f.displayName } : {}),
    emails: f.emails,
    role: f.role,
    status: 'active',
    managedBy: f.managedBy,
    identities: f.identities ?? [],
    attributes: f.attributes ?? {},
    createdAt: b.at,
    updatedAt: b.at,
    version: 1,
  };
}

const nameOf = (givenName?: string, familyName?: string): PersonName => ({ ...(givenName ? { givenName } : {}), ...(familyName ? { familyName } : {}) });

export interface AdminMemberInput {
  email: string;
  userName?: string | undefined;
  givenName?: string | undefined;
  familyName?: string | undefined;
  displayName?: string | undefined;
  externalId?: string | undefined;
  role: Role;
}

/** A member an admin adds by email: active, named by the email unless a userName is given. */
export function memberFromAdmin(b: Birth, org: Organization, input: AdminMemberInput, writer: ManagedBy): Member {
  assertDomainsAllowed(orgDomains(org), [input.email]);
  return born(b, {
    userName: input.userName ?? input.email,
    externalId: input.externalId,
    name: nameOf(input.givenName, input.familyName),
    displayName: input.displayName,
    emails: [{ value: input.email, type: 'work', primary: true }],
    role: input.role,
    managedBy: writer,
  });
}

/** A member a provisioning writer (SCIM, a directory) creates from a profile; inactive when told so. */
export function memberFromProfile(b: Birth, org: Organization, profile: MemberProfile, p: { active: boolean; actor: Actor; writer: ManagedBy; reason: string }): Member {
  assertProfile(org, profile);
  const m = born(b, { ...clean(profile), role: 'member', managedBy: p.writer });
  return p.active ? m : deactivated(m, { by: p.actor, reason: p.reason, at: b.at });
}

export interface JoinMemberInput {
  email: string;
  givenName?: string | undefined;
  familyName?: string | undefined;
  role: Role;
  identity: Identity & { email: string };
}

/** A member who joined by invitation or link: invite-managed, with the identity they signed in with. */
export function memberFromJoin(b: Birth, org: Organization, input: JoinMemberInput): Member {
  if (emailKey(input.email) !== emailKey(input.identity.email)) throw new IdsyncError('invite.wrong_email', 'the identity email does not match');
  assertDomainsAllowed(orgDomains(org), [input.email]);
  return born(b, {
    userName: input.email,
    name: nameOf(input.givenName, input.familyName),
    emails: [{ value: input.email, type: 'work', primary: true }],
    role: input.role,
    managedBy: { kind: 'invite' },
    identities: [{ provider: input.identity.provider, subject: input.identity.subject, email: input.identity.email }],
  });
}

/**
 * A copy of a member's account in another org (add or move): same userName, name, emails and the
 * identities the caller found free there; admin-managed with the given role; no extension data.
 */
export function memberCopy(b: Birth, target: Organization, source: Member, role: Role, freeIdentities: Identity[]): Member {
  assertNotRemoved(source);
  const primary = source.emails.find((e) => e.primary)?.value ?? source.emails[0]?.value;
  if (primary) assertDomainsAllowed(orgDomains(target), [primary]);
  return born(b, {
    userName: source.userName,
    name: { ...source.name },
    displayName: source.displayName,
    emails: source.emails.map((e) => ({ ...e })),
    role,
    managedBy: { kind: 'admin' },
    identities: freeIdentities.map((i) => ({ ...i })),
  });
}

// ---- profile changes ----

export interface ProfileChange {
  /** Fields to set; absent fields are left as they are (a PUT without `active` deactivates nobody). */
  profile?: Partial<MemberProfile>;
  active?: boolean;
  /** Take over the member's lifecycle (SCIM adoption of an admin- or invite-created member). */
  adoptAs?: ManagedBy;
}

export type ProfileAction = 'member.updated' | 'member.adopted' | 'member.deactivated' | 'member.activated';

const PROFILE_KEYS = ['userName', 'externalId', 'name', 'displayName', 'emails', 'attributes'] as const;

/**
 * A provisioning writer's change as one new version of the member, or null when nothing changes.
 * A profile key present with value undefined clears the field, as a PUT must. A status flip makes
 * the action a status action (the writer then writes the status audit shape).
 */
export function applyProfileChange(
  cur: Member,
  change: ProfileChange,
  ctx: { org: Organization; actor: Actor; writer: ManagedBy; reason: string; at: string },
): { next: Member; action: ProfileAction } | null {
  assertNotRemoved(cur);
  if (change.adoptAs) {
    if (cur.kind === 'service') throw new IdsyncError('member.managed_elsewhere', `member ${cur.id} is a service account and cannot be adopted by a provisioning writer`, { memberId: cur.id });
    if (isActiveOwner(cur)) throw new IdsyncError('member.managed_elsewhere', `member ${cur.id} is the organization's owner and cannot be adopted by a provisioning writer`, { memberId: cur.id });
  } else {
    assertWriterMayChange(cur, ctx.writer);
  }
  const base: Member = change.profile ? withoutOptionalProfile(cur) : cur;
  let next: Member = { ...base, ...(change.profile ? clean({ ...pickProfile(cur), ...change.profile }) : {}), ...(change.adoptAs ? { managedBy: change.adoptAs } : {}) };
  let action: ProfileAction = change.adoptAs ? 'member.adopted' : 'member.updated';
  if (change.active === false && cur.status === 'active') {
    next = deactivated(next, { by: ctx.actor, reason: ctx.reason, at: ctx.at });
    action = 'member.deactivated';
  } else if (change.active === true && cur.status === 'inactive') {
    next = reactivated(next);
    action = 'member.activated';
  }
  if (change.profile) assertProfile(ctx.org, pickProfile(next));
  return sameProfileAndStatus(cur, next) ? null : { next, action };
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

function sameProfileAndStatus(a: Member, b: Member): boolean {
  return (
    a.status === b.status &&
    JSON.stringify(a.managedBy) === JSON.stringify(b.managedBy) &&
    PROFILE_KEYS.every((k) => JSON.stringify(a[k] ?? null) === JSON.stringify(b[k] ?? null))
  );
}

function assertProfile(org: Organization, p: MemberProfile): void {
  if (typeof p.userName !== 'string' || p.userName.trim() === '') throw new IdsyncError('request.invalid', 'userName is required');
  if (p.userName.length > 320) throw new IdsyncError('request.invalid', 'userName is longer than 320 characters');
  assertDomainsAllowed(orgDomains(org), p.emails.map((e) => e.value));
}

// ---- role ----

/** A new role, or null when it is the member's already (the last-owner rule is the store's, atomic with the write). */
export function withRole(cur: Member, role: Role, writer: ManagedBy): Member | null {
  assertNotRemoved(cur);
  assertWriterMayChange(cur, writer);
  return cur.role === role ? null : { ...cur, role };
}

// ---- identities ----

/**
 * Links an upstream identity, or returns null when the member already has it (same provider and
 * subject; a changed email is refreshed). A new subject at a provider the member already has is
 * APPENDED, never replacing the earlier one: a subject is the provider's immutable id, and the
 * reconciler finds members by the subject their directory lists. If a person signs in to join with
 * another account at the same provider (a consumer Google account on the work address, a second
 * GitHub account), replacing would drop the directory's link, the next runs would count the member
 * as missing from the listing and could offboard them, and the reconciler and the join flow would
 * undo each other's link. Appending keeps both; an extra subject only ever matches its own account.
 */
export function withIdentity(cur: Member, identity: Identity, writer: ManagedBy): Member | null {
  assertNotRemoved(cur);
  assertWriterMayChange(cur, writer);
  const at = cur.identities.findIndex((i) => i.provider === identity.provider && i.subject === identity.subject);
  const linked: Identity = { provider: identity.provider, subject: identity.subject, ...(identity.email ? { email: identity.email } : {}) };
  if (at < 0) return { ...cur, identities: [...cur.identities, linked] };
  const had = cur.identities[at]!;
  if (!identity.email || had.email === identity.email) return null;
  return { ...cur, identities: cur.identities.map((i, n) => (n === at ? linked : i)) };
}

// ---- organization merge ----

/**
 * A source member's account created in the target of a merge: same kind (a service account stays
 * one), profile, status (an inactive member stays inactive), extension data and the identities the plan found free there; the manager
 * and role the plan chose.
 */
export function memberFromMerge(b: Birth, target: Organization, source: Member, p: { role: Role; managedBy: ManagedBy; identities: Identity[] }): Member {
  assertNotRemoved(source);
  assertDomainsAllowed(orgDomains(target), source.emails.map((e) => e.value));
  const m = born(b, {
    userName: source.userName,
    externalId: source.externalId,
    name: { ...source.name },
    displayName: source.displayName,
    emails: source.emails.map((e) => ({ ...e })),
    role: p.role,
    managedBy: p.managedBy,
    identities: p.identities.map((i) => ({ ...i })),
    attributes: JSON.parse(JSON.stringify(source.attributes)) as Record<string, unknown>,
  });
  const kept = source.kind ? { ...m, kind: source.kind } : m;
  return source.status === 'inactive' && source.deactivation ? { ...kept, status: 'inactive', deactivation: { ...source.deactivation } } : kept;
}

/**
 * The target's membership of a person who was in both organizations: the higher of the two roles
 * and every identity of both (a second subject at one provider is appended, see withIdentity).
 * Null when it has both already, so applying it twice writes once.
 */
export function foldedMember(cur: Member, role: Role, identities: readonly Identity[]): Member | null {
  assertNotRemoved(cur);
  const rank: Record<Role, number> = { member: 1, admin: 2, owner: 3 };
  const nextRole = rank[role] > rank[cur.role] ? role : cur.role;
  const have = new Set(cur.identities.map((i) => `${i.provider}\u0000${i.subject}`));
  const added = identities.filter((i) => !have.has(`${i.provider}\u0000${i.subject}`)).map((i) => ({ ...i }));
  if (nextRole === cur.role && added.length === 0) return null;
  return { ...cur, role: nextRole, identities: [...cur.identities, ...added] };
}

// ---- service accounts ----

/**
 * An application's account (kind `service`): named by an admin, no email and no upstream identity,
 * so no invitation, directory or join flow ever matches it. Its userName is `service:NAME`, which no
 * email address can be. Owner is not a role it may hold.
 */
export function serviceAccount(b: Birth, input: { name: string; role: Role }): Member {
  const name = input.name.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,99}$/.test(name)) throw new IdsyncError('request.invalid', 'a service account name is 1-100 letters, digits, spaces, dots, dashes or underscores', { problems: [{ field: 'name', message: 'invalid' }] });
  if (input.role === 'owner') throw new IdsyncError('request.invalid', 'a service account cannot be an owner', { problems: [{ field: 'role', message: 'admin or member' }] });
  return { ...born(b, { userName: `service:${name}`, name: { formatted: name }, displayName: name, emails: [], role: input.role, managedBy: { kind: 'admin' } }), kind: 'service' };
}

// ---- a deleted directory connection ----

/**
 * The member handed to admins because the directory connection that managed it is being deleted
 * (nothing will run for it again), or null when that connection does not manage it (already
 * released, a removed tombstone, another writer's member): re-running a release changes nothing.
 */
export function releasedFromConnection(cur: Member, connectionId: string): { next: Member; action: 'member.released' } | null {
  if (cur.status === 'removed' || cur.managedBy.kind !== 'directory' || cur.managedBy.connectionId !== connectionId) return null;
  return { next: { ...cur, managedBy: { kind: 'admin' } }, action: 'member.released' };
}
