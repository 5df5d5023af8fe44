import { describe } from '@jest/globals';
import { useStore, type StoreFactory } from './harness.js';
import { auditConformance } from './suite-audit.js';
import { credentialConformance } from './suite-credentials.js';
import { crossOrgConformance } from './suite-cross-org.js';
import { leaseConformance } from './suite-leases.js';
import { memberBatchConformance } from './suite-member-batch.js';
import { memberSearchConformance } from './suite-member-search.js';
import { memberConformance } from './suite-members.js';
import { mergeConformance } from './suite-merges.js';
import { orgConformance } from './suite-orgs.js';
import { roleMappingConformance } from './suite-role-mappings.js';
import { scimLogConformance } from './suite-scim-log.js';
import { sessionConformance } from './suite-sessions.js';
import { supportConformance } from './suite-support.js';
import { signupConformance } from './suite-signup.js';
import { teamConformance } from './suite-teams.js';

export type { StoreFactory } from './harness.js';

/**
 * The storage contract, run against every backend (dex's storage/conformance pattern). Each
 * backend's test file only supplies a factory.
 */
export function runStoreConformance(name: string, factory: StoreFactory): void {
  describe(`store conformance: ${name}`, () => {
    const h = useStore(factory);

    orgConformance(h);
    memberConformance(h);
    memberBatchConformance(h);
    memberSearchConformance(h);
    teamConformance(h);
    auditConformance(h);
    credentialConformance(h);
    leaseConformance(h);
    scimLogConformance(h);
    sessionConformance(h);
    roleMappingConformance(h);
    mergeConformance(h);
    supportConformance(h);
    signupConformance(h);
    crossOrgConformance(h);
  });
}
