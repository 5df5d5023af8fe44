import { AuditService } from './audit.js';
import { CredentialService } from './credentials.js';
import type { ServiceDeps } from './deps.js';
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
}

export function createServices(deps: ServiceDeps): Services {
  return {
    orgs: new OrgService(deps),
    members: new MemberService(deps),
    teams: new TeamService(deps),
    credentials: new CredentialService(deps),
    audit: new AuditService(deps),
    provisioning: new ProvisioningService(deps),
  };
}
