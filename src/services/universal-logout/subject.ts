import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { LogoutSubject } from '../../domain/universal-logout.js';

const subject = z.discriminatedUnion('format', [
  z.object({ format: z.literal('email'), email: z.string().trim().min(3).max(320).regex(/^[^@\s]+@[^@\s]+$/, 'expected an email address') }),
  z.object({ format: z.literal('iss_sub'), iss: z.string().min(1).max(2000), sub: z.string().min(1).max(500) }),
  z.object({ format: z.literal('opaque'), id: z.string().min(1).max(200) }),
]);

/**
 * The person a revocation request names: `sub_id` (the draft since -03) or `subject` (Okta's
 * documented body, the draft's name before -03), an RFC 9493 subject in the email, iss_sub or
 * opaque format. Anything else is `universal_logout.subject_invalid` (the draft's 400).
 */
export function parseLogoutSubject(body: unknown): LogoutSubject {
  const invalid = (message: string) => new IdsyncError('universal_logout.subject_invalid', message);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid('the request body must be a JSON object with sub_id (or subject)');
  const b = body as { sub_id?: unknown; subject?: unknown };
  if (b.sub_id !== undefined && b.subject !== undefined) throw invalid('give the subject once: sub_id or subject, not both');
  const raw = b.sub_id ?? b.subject;
  if (raw === undefined) throw invalid('sub_id is required');
  const format = (raw as { format?: unknown } | null)?.format;
  if (typeof format !== 'string') throw invalid('sub_id.format is required');
  if (!['email', 'iss_sub', 'opaque'].includes(format)) throw invalid(`sub_id format ${JSON.stringify(format).slice(0, 60)} is not supported; use email, iss_sub or opaque`);
  const r = subject.safeParse(raw);
  if (!r.success) throw invalid(`sub_id: ${r.error.issues.map((i) => `${i.path.join('.') || format}: ${i.message}`).join('; ')}`);
  return r.data.format === 'email' ? { format: 'email', email: r.data.email.toLowerCase() } : r.data;
}
