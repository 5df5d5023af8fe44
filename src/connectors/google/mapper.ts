/** Google Directory `User` (discovery schema, DIRECTORY-APIS.md §1.2) → DirectoryUser. */
import { z } from 'zod';
import type { DirectoryUser } from '../../ports/directory.js';
import { uniqueEmails } from '../mapping.js';

/** Only what the mapper reads; everything requested is kept in `raw`. */
export const googleUserSchema = z.looseObject({
  id: z.string().min(1),
  primaryEmail: z.string().min(1),
  name: z
    .looseObject({ givenName: z.string().optional(), familyName: z.string().optional(), fullName: z.string().optional(), displayName: z.string().optional() })
    .optional(),
  suspended: z.boolean().optional(),
  archived: z.boolean().optional(),
  isAdmin: z.boolean().optional(),
  deletionTime: z.string().optional(),
  emails: z.array(z.looseObject({ address: z.string().optional() })).optional(),
  aliases: z.array(z.string()).optional(),
  orgUnitPath: z.string().optional(),
});
export type GoogleUser = z.output<typeof googleUserSchema>;

/** Partial response for users.list and users.get; `nextPageToken` and `kind` must be named or they are dropped. */
export const GOOGLE_USER_FIELDS = 'id,primaryEmail,name(givenName,familyName,fullName,displayName),suspended,archived,isAdmin,deletionTime,emails,aliases,orgUnitPath';
export const GOOGLE_LIST_FIELDS = `kind,nextPageToken,users(${GOOGLE_USER_FIELDS})`;

export function mapGoogleUser(u: GoogleUser): DirectoryUser {
  const state = u.deletionTime ? 'deleted' : u.suspended || u.archived ? 'suspended' : 'active';
  const emails = uniqueEmails([u.primaryEmail, ...(u.emails ?? []).map((e) => e.address), ...(u.aliases ?? [])]);
  return {
    provider: 'google',
    id: u.id,
    login: u.primaryEmail,
    primaryEmail: u.primaryEmail.toLowerCase(),
    emails,
    name: { given: u.name?.givenName || null, family: u.name?.familyName || null, display: u.name?.displayName || u.name?.fullName || null },
    state,
    isAdmin: u.isAdmin === true,
    raw: u,
  };
}

/** Whether a user is inside the configured orgUnitPath (the unit itself or below it). */
export function inOrgUnit(userPath: string | undefined, scope: string | undefined): boolean {
  if (scope === undefined || scope === '/') return true;
  const p = userPath ?? '/';
  return p === scope || p.startsWith(`${scope.replace(/\/+$/, '')}/`);
}
