/**
 * Redaction applied to every log record: values under secret-looking keys are replaced, and
 * secret-looking substrings (bearer credentials, idsync tokens and keys) are masked anywhere in
 * strings, including the message itself.
 */
export const REDACTED = '[REDACTED]';

const SECRET_KEY_NAME = /(authorization|cookie|password|passwd|secret|token|apikey|api_key|privatekey|private_key|credential|^key$|secretkey|clientsecret|assertion)/i;

const SECRET_PATTERNS: ReadonlyArray<[RegExp, (match: string, ...groups: string[]) => string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  [/\b(idsync_scim|idsync_scs|idsync_ak|idsync_inv)_[A-Za-z0-9_-]+/g, () => REDACTED],
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, () => REDACTED],
  [/\b(rediss?):\/\/([^:@/\s]*):([^@/\s]+)@/gi, (_m, scheme, user) => `${scheme}://${user}:${REDACTED}@`],
];

export function redactString(s: string): string {
  return SECRET_PATTERNS.reduce((out, [re, replace]) => out.replace(re, replace), s);
}

export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message), ...(value.stack ? { stack: redactString(value.stack) } : {}) };
  }
  if (Array.isArray(value)) return value.map((v) => redactValue(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = SECRET_KEY_NAME.test(k) && v !== undefined && v !== null && v !== '' ? REDACTED : redactValue(v, depth + 1);
  }
  return out;
}
