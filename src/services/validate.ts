import { z } from 'zod';
import { IdsyncError } from '../domain/errors.js';

/** Parses input at the service boundary; every problem is reported, each naming its field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => ({ field: i.path.join('.') || '(input)', message: i.message }));
  throw new IdsyncError('request.invalid', problems.map((p) => `${p.field}: ${p.message}`).join('; '), { problems });
}
