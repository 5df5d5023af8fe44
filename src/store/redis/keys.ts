import { IdsyncError } from '../../domain/errors.js';
import type { DeliveryStatus, InvitationStatus, MemberKind, MemberStatus, Role } from '../../domain/model.js';

/**
 * The one place that builds Redis key names (bullmq's queue-keys pattern).
 *
 * Layout: `<prefix>:{<tag>}:<kind>[:<variable part>]`.
 * - Every key of one org (its record, members, teams, tokens, admin keys and its audit chain) carries
 *   the hash tag `{o:<orgId>}`, so each multi-key Lua script touches one slot and runs on a Cluster.
 *   The provider-level audit chain and provider-wide admin keys use the scope `provider` the same way.
 * - Global indexes have tags of their own: `{orgs}` (creation-ordered org list), `{scim}` (token hash
 *   to token), `{admin}` (admin key hash/id to scope, creation-ordered key list), `{invites}` (token
 *   hash to invitation or invite link), `{conns}` (connection id to org, creation-ordered list),
 *   `{runs}` (run id to org), `{scim-clients}` (OAuth client id to org), `{webhooks}` (due deliveries of every org), `{outbox}` (scopes with
 *   an outbox) `{scim-log}` (orgs with a SCIM request log), `{domains}` (verified domain to org), `{xorg}` (cross-org candidate sets, cross-org.ts) and `{console}` (sessions and portal links by secret hash, each key its own record). Writes that span an org and one of these are made safe without cross-slot atomicity:
 *   the global entry is written idempotently before (and where needed after) the org's script, and
 *   every read through it checks the org's record; see credentials.ts.
 * - A variable part is always the last segment and every kind is distinct, so no two kinds can produce
 *   the same name whatever the ids contain. Braces and `%` in an org id are escaped, so an id can never
 *   end the hash tag early.
 */
export const DEFAULT_KEY_PREFIX = 'idsync';

const escapeTag = (s: string) => s.replace(/[%{}]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
/** For a variable part that is not the last segment: `:` and `%` escaped, so the split stays unambiguous. */
const escapeSegment = (s: string) => s.replace(/[%:]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

export interface OrgKeys {
  /** The hash tag shared by every key of the org, e.g. `{o:42}`. */
  readonly tag: string;
  readonly org: string;
  /** Per-org INCR that orders members, teams, team memberships and SCIM tokens by creation. */
  readonly ordinal: string;
  readonly member: (id: string) => string;
  /** ZSET of every member id (tombstones included), scored by ordinal. */
  readonly members: string;
  /** ZSET of the member ids with this status and role, scored by ordinal (service accounts in their own: `/service` appended). */
  readonly membersBy: (status: MemberStatus, role: Role, kind?: MemberKind) => string;
  /** HASH userNameKey -> member id, over non-removed members. */
  readonly userNames: string;
  /** SET of active owner ids (the last-owner rule). */
  readonly activeOwners: string;
  /** ZSET of non-removed member ids with this externalId, scored by ordinal. */
  readonly byExternalId: (externalId: string) => string;
  /** ZSET of non-removed member ids with this normalised email, scored by ordinal. */
  readonly byEmail: (emailKey: string) => string;
  readonly team: (id: string) => string;
  readonly teams: string;
  /** HASH teamNameKey -> team id. */
  readonly teamNames: string;
  /** ZSET of the team's member ids, scored by the ordinal of the addition. */
  readonly teamMembers: (teamId: string) => string;
  /** ZSET of the member's team ids, scored like teamMembers. */
  readonly memberTeams: (memberId: string) => string;
  readonly scimToken: (id: string) => string;
  readonly scimTokens: string;
  /** SET of unrevoked SCIM token ids. */
  readonly liveScimTokens: string;
  /** A SCIM OAuth client (JSON). */
  readonly scimClient: (id: string) => string;
  /** ZSET of the org's SCIM OAuth client ids, by ordinal. */
  readonly scimClients: string;
  /** The journal of this org's merge into another (JSON), when one was started. */
  readonly merge: string;
  readonly adminKey: (id: string) => string;
  /** ZSET of the scope's admin key ids, scored by the global admin key ordinal. */
  readonly adminKeys: string;
  /** HASH with `seq` and `hash` of the newest audit event of this chain. */
  readonly auditHead: string;
  /** HASH seq -> audit event JSON. */
  readonly auditEvents: string;
  /** STRING: JSON of the org's latest chain verification (bookkeeping). */
  readonly auditVerification: string;
  /** HASH seq -> outbox record JSON. */
  readonly outbox: string;
  /** HASH consumer -> the outbox seq it has read up to. */
  readonly outboxCursors: string;

  /** ZSET of non-removed member ids linked to this upstream identity, scored by ordinal. */
  readonly byIdentity: (provider: string, subject: string) => string;

  /** A domain claim (JSON), by domain. */
  readonly domainClaim: (domain: string) => string;
  /** ZSET of the org's claimed domains, by ordinal. */
  readonly domainClaims: string;
  readonly joinRequest: (id: string) => string;
  /** ZSET of the org's join request ids, by ordinal. */
  readonly joinRequests: string;

  readonly invitation: (id: string) => string;
  /** ZSET of every invitation id, scored by ordinal. */
  readonly invitations: string;
  /** ZSET of the invitation ids with this stored status, scored by ordinal. */
  readonly invitationsByStatus: (status: InvitationStatus) => string;
  /** ZSET of stored-pending invitation ids scored by expiry (epoch ms): the pending cap counts its unexpired part. */
  readonly pendingInvitations: string;
  /** ZSET of stored-pending invitation ids for this normalised email, scored by ordinal. */
  readonly pendingInvitationsByEmail: (emailKey: string) => string;
  readonly inviteLink: (id: string) => string;
  /** ZSET of invite link ids, scored by ordinal. */
  readonly inviteLinks: string;

  readonly connection: (id: string) => string;
  /** ZSET of the org's connection ids, scored by the global connection ordinal. */
  readonly connections: string;
  readonly run: (id: string) => string;
  /** ZSET of the connection's run ids, scored by ordinal. */
  readonly runsOf: (connectionId: string) => string;

  readonly webhook: (id: string) => string;
  /** ZSET of webhook endpoint ids, scored by ordinal. */
  readonly webhooks: string;
  readonly delivery: (id: string) => string;
  /** ZSET of every delivery id, scored by the ordinal of its first save. */
  readonly deliveries: string;
  readonly deliveriesByStatus: (status: DeliveryStatus) => string;
  readonly deliveriesOf: (endpointId: string) => string;
  readonly deliveriesOfByStatus: (endpointId: string, status: DeliveryStatus) => string;

  /** A role mapping (JSON). */
  readonly roleMapping: (id: string) => string;
  /** ZSET of the org's role mapping ids, by ordinal. */
  readonly roleMappings: string;
  /** A Shared Signals stream of this scope (JSON). */
  readonly signalStream: (id: string) => string;
  /** ZSET of the scope's stream ids, by the global stream ordinal. */
  readonly signalStreams: string;

  /** A support access grant (JSON). */
  readonly supportGrant: (id: string) => string;
  /** ZSET of the org's support grant ids, by ordinal. */
  readonly supportGrants: string;
  /** The receipt of a purged org (JSON; kept in the provider scope, which outlives every org). */
  readonly purgeReceipt: (orgId: string) => string;
  /** ZSET of purged org ids by purge time (provider scope). */
  readonly purgeReceipts: string;

  /** STREAM of the org's SCIM request log entries (field `e`: entry JSON), oldest first; stream ids are the cursors. */
  readonly scimLog: string;
}

export interface RedisKeys {
  readonly prefix: string;
  /** Keys of an org, or of an audit scope such as PROVIDER_SCOPE. */
  forOrg(orgId: string): OrgKeys;
  readonly orgs: { readonly tag: string; readonly ordinal: string; readonly all: string };
  readonly scim: { readonly tag: string; readonly byHash: string };
  /** HASH SCIM OAuth client id -> org (client ids are unique across orgs). */
  readonly scimClients: { readonly tag: string; readonly byId: string };
  readonly admin: { readonly tag: string; readonly ordinal: string; readonly all: string; readonly byHash: string; readonly byId: string };
  /** HASHes token hash -> reference JSON ({orgId, id}) of invitations and of invite links. */
  readonly invites: { readonly tag: string; readonly invitationByHash: string; readonly linkByHash: string };
  /** Connection id -> org (kept after a delete: ids are never reused, and runs outlive it), and the creation order. */
  readonly connections: { readonly tag: string; readonly ordinal: string; readonly all: string; readonly byId: string };
  /** HASH run id -> org. */
  readonly runs: { readonly tag: string; readonly byId: string };
  /** ZSET of delivery references (JSON [orgId, id]) scored by next attempt (epoch ms). */
  readonly webhooks: { readonly tag: string; readonly due: string };
  /** SET of the scopes (orgs, the provider scope) that have written to their outbox. */
  readonly outbox: { readonly tag: string; readonly scopes: string };
  /** SET of the orgs that have a SCIM request log stream (what retention walks). */
  readonly scimLog: { readonly tag: string; readonly orgs: string };
  /**
   * Shared Signals: `{signals}` holds the stream id -> scope index, the creation order across scopes,
   * the signing keys and the due push SETs (member JSON [streamId, jti], score = next attempt in epoch
   * ms); each stream's queued SETs live under a tag of their own, `{ss:<streamId>}`.
   */
  readonly signals: {
    readonly tag: string;
    readonly ordinal: string;
    readonly all: string;
    readonly byId: string;
    readonly keys: string;
    readonly due: string;
    forStream(streamId: string): { readonly tag: string; readonly set: (jti: string) => string; readonly queue: string; readonly ordinal: string };
  };
  /**
   * Cross-organization candidate indexes (cross-org.ts): SETs of org ids per member identity, member
   * email, pending-invitation email and invite-link domain; a HASH member id -> org id; and `built`,
   * set once every org's records are in them (a store without it answers every org as a candidate).
   */
  readonly crossOrg: {
    readonly tag: string;
    readonly memberIdentity: (provider: string, subject: string) => string;
    readonly memberEmail: (emailKey: string) => string;
    readonly invitationEmail: (emailKey: string) => string;
    readonly linkDomain: (domain: string) => string;
    readonly memberOrg: string;
    readonly built: string;
  };
  /** HASH domain -> org id of the verified claim (see signup.ts). */
  readonly domains: { readonly tag: string; readonly verified: string };
  /** STRING holder, with a TTL: one key per lease (scheduled work runs once across replicas). */
  readonly lease: (name: string) => string;
  /** HASHes of console sessions and portal links by the hash of their secret, each with its own TTL. */
  readonly console: {
    readonly tag: string;
    readonly session: (idHash: string) => string;
    readonly portalLink: (tokenHash: string) => string;
    /** SET of the hashes of one member's sessions (Universal Logout ends them); expires with the newest. */
    readonly memberSessions: (memberId: string) => string;
    /** SET of the hashes of the sessions opened on one org (its purge ends them); expires with the newest. */
    readonly orgSessions: (orgId: string) => string;
  };
}

export function redisKeys(prefix: string = DEFAULT_KEY_PREFIX): RedisKeys {
  if (prefix === '' || /[{}]/.test(prefix)) {
    throw new IdsyncError('config.invalid', `Redis key prefix ${JSON.stringify(prefix)} must be non-empty and contain no braces (they would move the hash tag)`);
  }
  const k = (tag: string, kind: string) => `${prefix}:${tag}:${kind}`;
  const orgsTag = '{orgs}';
  const scimTag = '{scim}';
  const adminTag = '{admin}';
  return {
    prefix,
    forOrg(orgId: string): OrgKeys {
      const tag = `{o:${escapeTag(orgId)}}`;
      return {
        tag,
        org: k(tag, 'org'),
        ordinal: k(tag, 'ordinal'),
        member: (id) => k(tag, `member:${id}`),
        members: k(tag, 'members'),
        membersBy: (status, role, kind) => k(tag, `members-by:${status}/${role}${kind === 'service' ? '/service' : ''}`),
        userNames: k(tag, 'user-names'),
        activeOwners: k(tag, 'active-owners'),
        byExternalId: (externalId) => k(tag, `by-external-id:${externalId}`),
        byEmail: (email) => k(tag, `by-email:${email}`),
        team: (id) => k(tag, `team:${id}`),
        teams: k(tag, 'teams'),
        teamNames: k(tag, 'team-names'),
        teamMembers: (teamId) => k(tag, `team-members:${teamId}`),
        memberTeams: (memberId) => k(tag, `member-teams:${memberId}`),
        scimToken: (id) => k(tag, `scim-token:${id}`),
        scimTokens: k(tag, 'scim-tokens'),
        liveScimTokens: k(tag, 'scim-tokens-live'),
        scimClient: (id) => k(tag, `scim-client:${id}`),
        scimClients: k(tag, 'scim-clients'),
        merge: k(tag, 'merge'),
        adminKey: (id) => k(tag, `admin-key:${id}`),
        adminKeys: k(tag, 'admin-keys'),
        auditHead: k(tag, 'audit-head'),
        auditEvents: k(tag, 'audit-events'),
        auditVerification: k(tag, 'audit-verification'),
        outbox: k(tag, 'outbox'),
        outboxCursors: k(tag, 'outbox-cursors'),
        byIdentity: (provider, subject) => k(tag, `by-identity:${escapeSegment(provider)}:${subject}`),
        invitation: (id) => k(tag, `invitation:${id}`),
        invitations: k(tag, 'invitations'),
        invitationsByStatus: (status) => k(tag, `invitations-by-status:${status}`),
        pendingInvitations: k(tag, 'invitations-pending'),
        pendingInvitationsByEmail: (email) => k(tag, `invitations-pending-by-email:${email}`),
        inviteLink: (id) => k(tag, `invite-link:${id}`),
        inviteLinks: k(tag, 'invite-links'),
        connection: (id) => k(tag, `connection:${id}`),
        connections: k(tag, 'connections'),
        run: (id) => k(tag, `run:${id}`),
        runsOf: (connectionId) => k(tag, `runs-of:${connectionId}`),
        webhook: (id) => k(tag, `webhook:${id}`),
        webhooks: k(tag, 'webhooks'),
        delivery: (id) => k(tag, `delivery:${id}`),
        deliveries: k(tag, 'deliveries'),
        deliveriesByStatus: (status) => k(tag, `deliveries-by-status:${status}`),
        deliveriesOf: (endpointId) => k(tag, `deliveries-of:${endpointId}`),
        deliveriesOfByStatus: (endpointId, status) => k(tag, `deliveries-of-by-status:${status}/${endpointId}`),
        scimLog: k(tag, 'scim-log'),
        roleMapping: (id) => k(tag, `role-mapping:${id}`),
        roleMappings: k(tag, 'role-mappings'),
        signalStream: (id) => k(tag, `signal-stream:${id}`),
        signalStreams: k(tag, 'signal-streams'),
        supportGrant: (id) => k(tag, `support-grant:${id}`),
        supportGrants: k(tag, 'support-grants'),
        purgeReceipt: (orgId) => k(tag, `purge-receipt:${orgId}`),
        purgeReceipts: k(tag, 'purge-receipts'),
        domainClaim: (domain) => k(tag, `domain-claim:${domain}`),
        domainClaims: k(tag, 'domain-claims'),
        joinRequest: (id) => k(tag, `join-request:${id}`),
        joinRequests: k(tag, 'join-requests'),
      };
    },
    orgs: { tag: orgsTag, ordinal: k(orgsTag, 'ordinal'), all: k(orgsTag, 'all') },
    scim: { tag: scimTag, byHash: k(scimTag, 'by-hash') },
    scimClients: { tag: '{scim-clients}', byId: k('{scim-clients}', 'by-id') },
    admin: { tag: adminTag, ordinal: k(adminTag, 'ordinal'), all: k(adminTag, 'all'), byHash: k(adminTag, 'by-hash'), byId: k(adminTag, 'by-id') },
    invites: { tag: '{invites}', invitationByHash: k('{invites}', 'invitation-by-hash'), linkByHash: k('{invites}', 'link-by-hash') },
    connections: { tag: '{conns}', ordinal: k('{conns}', 'ordinal'), all: k('{conns}', 'all'), byId: k('{conns}', 'by-id') },
    runs: { tag: '{runs}', byId: k('{runs}', 'by-id') },
    webhooks: { tag: '{webhooks}', due: k('{webhooks}', 'due') },
    outbox: { tag: '{outbox}', scopes: k('{outbox}', 'scopes') },
    scimLog: { tag: '{scim-log}', orgs: k('{scim-log}', 'orgs') },
    signals: {
      tag: '{signals}',
      ordinal: k('{signals}', 'ordinal'),
      all: k('{signals}', 'all'),
      byId: k('{signals}', 'by-id'),
      keys: k('{signals}', 'keys'),
      due: k('{signals}', 'due'),
      forStream(streamId: string) {
        const tag = `{ss:${escapeTag(streamId)}}`;
        return { tag, set: (jti: string) => k(tag, `set:${jti}`), queue: k(tag, 'queue'), ordinal: k(tag, 'ordinal') };
      },
    },
    crossOrg: {
      tag: '{xorg}',
      memberIdentity: (provider, subject) => k('{xorg}', `member-identity:${escapeSegment(provider)}:${subject}`),
      memberEmail: (email) => k('{xorg}', `member-email:${email}`),
      invitationEmail: (email) => k('{xorg}', `invitation-email:${email}`),
      linkDomain: (domain) => k('{xorg}', `link-domain:${domain}`),
      memberOrg: k('{xorg}', 'member-org'),
      built: k('{xorg}', 'built'),
    },
    domains: { tag: '{domains}', verified: k('{domains}', 'verified') },
    lease: (name) => k('{leases}', `lease:${name}`),
    console: {
      tag: '{console}',
      session: (h) => k('{console}', `session:${h}`),
      portalLink: (h) => k('{console}', `portal-link:${h}`),
      memberSessions: (m) => k('{console}', `member-sessions:${m}`),
      orgSessions: (o) => k('{console}', `org-sessions:${escapeTag(o)}`),
    },
  };
}
