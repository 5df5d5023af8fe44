import { AdminService } from './admin.js';
import { AuditService } from './audit.js';
import { CredentialService } from './credentials.js';
import type { ConnectorRegistry } from '../ports/directory.js';
import { ConnectionService } from './connections/service.js';
import type { ServiceDeps } from './deps.js';
import { SecretBox } from './secret-box.js';
import { MemberService } from './members.js';
import { OrgService } from './orgs.js';
import { ProvisioningService } from './provisioning.js';
import { TeamService } from './teams.js';

export interface Services {
  orgs: OrgService;
  members: MemberService;
  teams: TeamService;
  credentials: CredentialService;
  audit: AuditService;
  provisioning: ProvisioningService;
  admin: AdminService;
  connections: ConnectionService;
}

export interface ServiceExtras {
  connectors: ConnectorRegistry;
  /** The deployment's secret key (config or DATA_DIR/secret.key). */
  secretKey: Buffer;
}

export function createServices(deps: ServiceDeps, extras: ServiceExtras): Services {
  const members = new MemberService(deps);
  const teams = new TeamService(deps);
  return {
    orgs: new OrgService(deps),
    members,
    teams,
    admin: new AdminService(deps, members, teams),
    connections: new ConnectionService(deps, extras.connectors, new SecretBox(extras.secretKey, 'connector credentials')),
    credentials: new CredentialService(deps),
    audit: new AuditService(deps),
    provisioning: new ProvisioningService(deps),
  };
}
