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
