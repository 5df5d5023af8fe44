import { randomUUID } from 'node:crypto';
import { AdminService } from './admin.js';
import { AuditService } from './audit.js';
import { AuditVerifications } from './audit-verifications.js';
import { AuditTrail } from './console/audit-trail.js';
import { ConsoleMembers } from './console/members.js';
import { ConsoleSessionService } from './console/sessions.js';
import { ConsoleAddExisting } from './console/add-existing.js';
import { ConsoleSignInService } from './console/sign-in.js';
import { CredentialService } from './credentials.js';
import type { ConnectorRegistry } from '../ports/directory.js';
import { ConnectionService } from './connections/service.js';
import { InvitationService } from './invitations/service.js';
import { JoinService } from './join/service.js';
import { LinkService } from './invitations/links.js';
import type { Mailer } from '../ports/mailer.js';
import type { ServiceDeps } from './deps.js';
import { SEAL_PURPOSE, SecretBox } from './secret-box.js';
import { MemberService } from './members.js';
import { MemberWriter } from './members/writer.js';
import { MergeService } from './merge/service.js';
import { OrgService } from './orgs.js';
import { OrgDeletionService, type PurgeOutcome } from './org-deletion/service.js';
import { SupportAccessService } from './support/service.js';
import { ProvisioningService } from './provisioning.js';
import { InviteLinkKeeper } from './reconcile/invite-link.js';
import { ReconcileService } from './reconcile/service.js';
import { TeamSync } from './reconcile/team-sync.js';
import { RoleEvaluator } from './role-mappings/evaluate.js';
import { RoleMappingService } from './role-mappings/service.js';
import { IdpEntitlements } from './role-mappings/idp-entitlements.js';
import { ServiceAccountService } from './service-accounts.js';
import { ScimLogService, type ScimLogRetention } from './scim-log/service.js';
import { OAuthTokenService } from './scim-clients/oauth.js';
import { SecretExpiryWatch } from './scim-clients/expiry.js';
import { ScimClientService } from './scim-clients/service.js';
import { PlanExecutor } from './reconcile/execute.js';
import { HintWorker } from './notifications/act.js';
import { ChannelKeeper } from './notifications/channels.js';
import { NotificationService, type NotificationOutcome } from './notifications/service.js';
import { SubscriptionKeeper } from './notifications/subscriptions.js';
import { SigningKeys } from './signals/keys.js';
import { SignalPoll } from './signals/poll.js';
import { SignalService } from './signals/streams.js';
import { TeamService } from './teams.js';
import { UniversalLogoutReceiver } from './universal-logout/receiver.js';
import { UniversalLogoutSettingsService } from './universal-logout/settings.js';
import { dnsTxtResolver, type TxtResolver } from './signup/dns.js';
import { DomainService } from './signup/domains.js';
import { JoinRequestService } from './signup/join-requests.js';
import { SignupService, type SignupConfig } from './signup/service.js';
import { WebhookService, type WebhookHttpOptions } from './webhooks/service.js';

export interface Services {
  orgs: OrgService;
  members: MemberService;
  teams: TeamService;
  roleMappings: RoleMappingService;
  /** Team memberships from the entitlements a SCIM user carries (Okta Identity Governance). */
  idpEntitlements: IdpEntitlements;
  credentials: CredentialService;
  scimClients: ScimClientService;
  oauth: OAuthTokenService;
  scimClientExpiry: SecretExpiryWatch;
  audit: AuditService;
  /** Chain verification as a background run with stored progress (the console's Verify chain). */
  auditVerifications: AuditVerifications;
  provisioning: ProvisioningService;
  admin: AdminService;
  connections: ConnectionService;
  reconcile: ReconcileService;
  webhooks: WebhookService;
  invitations: InvitationService;
  links: LinkService;
  join: JoinService;
  scimLog: ScimLogService;
  notifications: NotificationService;
  /** Portal links and console sessions. */
  console: ConsoleSessionService;
  /** The console's members page (over admin, with the console's managed-member rule). */
  consoleMembers: ConsoleMembers;
  /** Console sign-in of org owners and admins (join-page providers) and the operator's view. */
  consoleSignIn: ConsoleSignInService;
  consoleAddExisting: ConsoleAddExisting;
  /** The console's audit page: newest first, filtered, with verify. */
  auditTrail: AuditTrail;
  signals: SignalService;
  signalPoll: SignalPoll;
  merges: MergeService;
  serviceAccounts: ServiceAccountService;
  /** Okta Universal Logout: the per-org settings and the revocation endpoint's work. */
  universalLogout: UniversalLogoutSettingsService;
  universalLogoutReceiver: UniversalLogoutReceiver;
  /** Support access with consent (grants, and the gate provider-wide principals pass). */
  support: SupportAccessService;
  /** Org deletion with a grace period, restore, purge and receipts. */
  orgDeletion: OrgDeletionService;
  /** Domain capture (claims verified by DNS or an owner's sign-in). */
  domains: DomainService;
  joinRequests: JoinRequestService;
  signup: SignupService;
}

export interface ServiceExtras {
  connectors: ConnectorRegistry;
  /** The deployment's secret key (config or DATA_DIR/secret.key). */
  secretKey: Buffer;
  /** Where invitation emails go (the file mailer under DATA_DIR/mail until SMTP lands); default: dropped with a warning. */
  mailer?: Mailer;
  /** Base of join links (config server.publicUrl). */
  publicUrl?: string;
  /** Told about every finished reconcile run (the daemon's metrics). */
  onRunFinished?: ConstructorParameters<typeof ReconcileService>[5];
  /** Webhook destination policy (config webhooks.allowPrivateNetworks); default: internal addresses refused. */
  webhooks?: WebhookHttpOptions;
  /** SCIM request log retention (config scim.requestLog*); default 30 days, 100,000 entries per org. */
  scimLog?: ScimLogRetention;
  /** Access token lifetime of SCIM OAuth clients (config scim.oauthTokenTtlSeconds); default one hour. */
  oauthTokenTtlSeconds?: number;
  /** This replica's name in store leases (notification claims); default: a random one. */
  holder?: string;
  /** Told about every inbound notification's outcome (the daemon's metrics). */
  onNotification?: (provider: string, outcome: NotificationOutcome, lagSeconds?: number) => void;
  /** Console session timeouts (config console.*); default 30 minutes idle, 6 hours at most. */
  console?: { idleMinutes: number; maxHours: number };
  /** Days a deleted org can be restored (config orgs.deletionGraceDays); default 30. */
  orgDeletionGraceDays?: number;
  /** Told the outcome of every purge pass (the daemon's idsync_org_purges_total). */
  onPurgePass?: (outcome: PurgeOutcome) => void;
  /** Sign-up mode and the global continue URL (config signup.mode, join.continueUrl); default: off, none. */
  signup?: SignupConfig;
  /** Answers domain verification's TXT lookups; default: node:dns with config domains.dnsServers (dnsServers below). */
  dnsResolver?: TxtResolver;
  /** DNS servers of the default resolver (config domains.dnsServers); empty: the system's. */
  dnsServers?: readonly string[];
  /** Accept an owner's verified sign-in as proof of a domain (config domains.ownerSignInProof); default true. */
  ownerSignInProof?: boolean;
}

export function createServices(deps: ServiceDeps, extras: ServiceExtras): Services {
  // The one writer of members: every service that creates or changes a member shares it.
  const writer = new MemberWriter(deps);
  const roles = new RoleEvaluator(deps, writer);
  const members = new MemberService(deps, writer, roles);
  const teams = new TeamService(deps);
  const roleMappings = new RoleMappingService(deps, roles);
  const connections = new ConnectionService(deps, extras.connectors, new SecretBox(extras.secretKey, SEAL_PURPOSE.connectorCredentials), { writer, teams });
  const invitations = new InvitationService(deps, { secretKey: extras.secretKey, mailer: extras.mailer ?? droppingMailer(deps), publicUrl: extras.publicUrl ?? 'http://localhost:8080' }, writer);
  const links = new LinkService(deps, extras.publicUrl ?? 'http://localhost:8080');
  const publicUrl = extras.publicUrl ?? 'http://localhost:8080';
  const oauth = new OAuthTokenService(deps, { secretKey: extras.secretKey, publicUrl, tokenTtlSeconds: extras.oauthTokenTtlSeconds ?? 3600, allowPrivateNetworks: extras.webhooks?.allowPrivateNetworks ?? false });
  const keeper = new InviteLinkKeeper(deps, links, new SecretBox(extras.secretKey, SEAL_PURPOSE.inviteLinkUrls));
  const reconcile = new ReconcileService(deps, connections, members, invitations, keeper, extras.onRunFinished, new TeamSync(deps, teams, roleMappings));
  const credentials = new CredentialService(deps, oauth);
  const holder = extras.holder ?? `services:${randomUUID().slice(0, 8)}`;
  const notificationBox = new SecretBox(extras.secretKey, SEAL_PURPOSE.notificationSecrets);
  const notifications = new NotificationService(
    deps,
    connections,
    reconcile,
    new HintWorker(deps, connections, new PlanExecutor(members, invitations), holder),
    new SubscriptionKeeper(deps, connections, notificationBox, publicUrl),
    new ChannelKeeper(deps, connections, notificationBox, publicUrl, holder),
    notificationBox,
    holder,
    extras.onNotification,
  );
  const admin = new AdminService(deps, members, teams);
  const support = new SupportAccessService(deps);
  const signals = new SignalService(
    deps,
    new SigningKeys(deps.store, new SecretBox(extras.secretKey, SEAL_PURPOSE.signalKeys), deps.clock),
    new SecretBox(extras.secretKey, SEAL_PURPOSE.signalReceiverAuth),
    { publicUrl, allowPrivateNetworks: extras.webhooks?.allowPrivateNetworks ?? false },
  );
  const consoleSessions = new ConsoleSessionService(deps, { publicUrl, idleMinutes: extras.console?.idleMinutes ?? 30, maxHours: extras.console?.maxHours ?? 6 }, support);
  const consoleSignIn = new ConsoleSignInService(deps, consoleSessions);
  // Sign-up composes its own (stateless) org, join and portal-link services over the same deps and writer.
  const domains = new DomainService(deps, extras.dnsResolver ?? dnsTxtResolver(extras.dnsServers ?? []), { ownerSignInProof: extras.ownerSignInProof ?? true });
  const joinRequests = new JoinRequestService(deps, writer);
  const signup = new SignupService(
    deps,
    extras.signup ?? { mode: 'off', continueUrl: '' },
    new JoinService(deps, invitations, links, connections, writer),
    new OrgService(deps),
    domains,
    joinRequests,
    writer,
    consoleSessions,
  );
  return {
    domains,
    joinRequests,
    signup,
    signals,
    signalPoll: new SignalPoll(deps, signals),
    orgs: new OrgService(deps),
    members,
    teams,
    roleMappings,
    idpEntitlements: new IdpEntitlements(deps, teams, roleMappings),
    admin,
    console: consoleSessions,
    consoleSignIn,
    consoleAddExisting: new ConsoleAddExisting(deps, consoleSignIn, teams),
    consoleMembers: new ConsoleMembers(deps, admin, teams),
    auditTrail: new AuditTrail(deps, new AuditService(deps)),
    invitations,
    links,
    join: new JoinService(deps, invitations, links, connections, writer),
    connections,
    reconcile,
    notifications,
    credentials,
    serviceAccounts: new ServiceAccountService(deps, writer, credentials),
    scimClients: new ScimClientService(deps, oauth.tokenUrl),
    oauth,
    scimClientExpiry: new SecretExpiryWatch(deps),
    audit: new AuditService(deps),
    auditVerifications: new AuditVerifications(deps, new AuditService(deps), holder),
    provisioning: new ProvisioningService(deps, writer),
    webhooks: new WebhookService(deps, new SecretBox(extras.secretKey, SEAL_PURPOSE.webhookSecrets), extras.webhooks),
    scimLog: new ScimLogService(deps, extras.scimLog ?? { days: 30, maxPerOrg: 100_000 }),
    merges: new MergeService(deps, invitations, publicUrl, members, writer),
    universalLogout: new UniversalLogoutSettingsService(deps, { publicUrl, allowPrivateNetworks: extras.webhooks?.allowPrivateNetworks ?? false }),
    universalLogoutReceiver: new UniversalLogoutReceiver(deps, invitations, { publicUrl, allowPrivateNetworks: extras.webhooks?.allowPrivateNetworks ?? false }),
    support,
    orgDeletion: new OrgDeletionService(deps, { graceDays: extras.orgDeletionGraceDays ?? 30, ...(extras.onPurgePass ? { onPurgePass: extras.onPurgePass } : {}) }),
  };
}

function droppingMailer(deps: ServiceDeps): Mailer {
  return {
    send: async (m) => {
      deps.logger.warn('no mailer configured; an email was dropped', { subject: m.subject });
      return { id: 'dropped' };
    },
  };
}
