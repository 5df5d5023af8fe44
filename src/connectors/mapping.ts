/** Small helpers the three mappers share. */

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function isEmail(v: string): boolean {
  return EMAIL.test(v);
}

/** Lower-cased, de-duplicated, order kept; non-addresses dropped. */
export function uniqueEmails(values: ReadonlyArray<string | null | undefined>): string[] {
  const out: string[] = [];
  for (const v of values) {
    if (!v) continue;
    const e = v.trim().toLowerCase();
    if (isEmail(e) && !out.includes(e)) out.push(e);
  }
  return out;
}

/**
 * Checks that a next-page link the directory handed back points at the configured API root, so the
 * bearer token is never sent to another host.
 */
export function sameOrigin(link: string, base: string): boolean {
  try {
    return new URL(link).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
