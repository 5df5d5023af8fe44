import type { Member } from './model.js';

/**
 * What a member search by text looks in, in one fixed shape every store reproduces: userName,
 * display name, "given family", formatted name and each email, one per line, with ASCII letters
 * folded to lower case (SQLite's lower() folds only those, so every backend folds the same).
 */
export function memberSearchText(m: Member): string {
  return asciiLower([m.userName, m.displayName ?? '', `${m.name.givenName ?? ''} ${m.name.familyName ?? ''}`, m.name.formatted ?? '', m.emails.map((e) => e.value).join('\n')].join('\n'));
}

export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (c) => c.toLowerCase());
}
