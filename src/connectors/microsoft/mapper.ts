/** Graph `user` → DirectoryUser. */
import { z } from 'zod';
import type { DirectoryUser } from '../../ports/directory.js';
import { uniqueEmails } from '../mapping.js';

/** accountEnabled, userType and deletedDateTime are not in the default set: they must be selected. */
export const GRAPH_USER_SELECT = 'id,userPrincipalName,mail,otherMails,proxyAddresses,givenName,surname,displayName,accountEnabled,userType,deletedDateTime';

export const graphUserSchema = z.looseObject({
  id: z.string().min(1),
  userPrincipalName: z.string().nullish(),
  mail: z.string().nullish(),
  otherMails: z.array(z.string()).nullish(),
  proxyAddresses: z.array(z.string()).nullish(),
  givenName: z.string().nullish(),
  surname: z.string().nullish(),
  displayName: z.string().nullish(),
  accountEnabled: z.boolean().nullish(),
  userType: z.string().nullish(),
  deletedDateTime: z.string().nullish(),
  '@removed': z.looseObject({ reason: z.string().optional() }).optional(),
});
export type GraphUser = z.output<typeof graphUserSchema>;

/** "SMTP:primary@x" / "smtp:alias@x" → the address. */
function smtpAddresses(proxies: readonly string[] | null | undefined): string[] {
  return (proxies ?? []).filter((p) => /^smtp:/i.test(p)).map((p) => p.slice(5));
}

/**
 * A delta `@removed` entry carries only the id: it maps to state `deleted` with an empty login.
 * accountEnabled false is `suspended`.
 */
export function mapGraphUser(u: GraphUser): DirectoryUser {
  const removed = u['@removed'] !== undefined;
  const state = removed || u.deletedDateTime ? 'deleted' : u.accountEnabled === false ? 'suspended' : 'active';
  const emails = uniqueEmails([u.mail, ...smtpAddresses(u.proxyAddresses), ...(u.otherMails ?? [])]);
  return {
    provider: 'microsoft',
    id: u.id,
    login: u.userPrincipalName ?? '',
    primaryEmail: u.mail ? u.mail.toLowerCase() : (emails[0] ?? null),
    emails,
    name: { given: u.givenName || null, family: u.surname || null, display: u.displayName || null },
    state,
    ...(u.deletedDateTime ? { stateChangedAt: u.deletedDateTime } : {}),
    isAdmin: false,
    raw: u,
  };
}
