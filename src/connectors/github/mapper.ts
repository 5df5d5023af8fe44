/** GitHub org member (REST simple-user) + role + SAML external identity → DirectoryUser. */
import { z } from 'zod';
import type { DirectoryUser } from '../../ports/directory.js';
import { isEmail, uniqueEmails } from '../mapping.js';

export const githubMemberSchema = z.looseObject({
  id: z.number().int(),
  login: z.string().min(1),
  type: z.string().optional(),
  site_admin: z.boolean().optional(),
});
export type GithubMember = z.output<typeof githubMemberSchema>;

/** What SAML SSO knows about a login: the IdP's NameID and the SCIM username, when linked. */
export interface SamlLink {
  readonly nameId: string | null;
  readonly scimUsername: string | null;
}

export type GithubRole = 'admin' | 'member';

/**
 * Everyone /orgs/{org}/members returns is an active member (pending invitees are listed elsewhere).
 * The corporate email comes from SAML: the NameID when it is an address, else the SCIM username.
 */
export function mapGithubMember(m: GithubMember, role: GithubRole, saml: SamlLink | undefined): DirectoryUser {
  const emails = uniqueEmails([saml?.nameId, saml?.scimUsername]);
  const primary = [saml?.nameId, saml?.scimUsername].find((v): v is string => typeof v === 'string' && isEmail(v.trim()));
  return {
    provider: 'github',
    id: String(m.id),
    login: m.login,
    primaryEmail: primary ? primary.trim().toLowerCase() : null,
    emails,
    name: { given: null, family: null, display: null },
    state: 'active',
    isAdmin: role === 'admin',
    raw: { ...m, role, ...(saml ? { saml } : {}) },
  };
}
