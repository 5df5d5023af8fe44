/** Normalised lookup keys. userName, email and team displayName compare case-insensitively. */
export function userNameKey(userName: string): string {
  return userName.trim().toLowerCase();
}

export function emailKey(email: string): string {
  return email.trim().toLowerCase();
}

export function teamNameKey(displayName: string): string {
  return displayName.trim().toLowerCase();
}

/** The lookup keys of an invite link's allowedDomains: trimmed, lower-cased, distinct (what emailDomain yields). */
export function linkDomainKeys(allowedDomains: readonly string[]): string[] {
  return [...new Set(allowedDomains.map((d) => d.trim().toLowerCase()).filter((d) => d !== ''))];
}

/** Whether two allowedDomains lists have the same lookup keys. */
export function sameLinkDomains(a: readonly string[], b: readonly string[]): boolean {
  return linkDomainKeys(a).join('\n') === linkDomainKeys(b).join('\n');
}
