/**
 * The `groups` key of a connection config (issue 17): which directory groups the reconciler keeps
 * as idsync teams. Each provider names groups the way its API does:
 * - google: `"all"`, `{ emails: [...] }` (group addresses) or `{ query: "email:eng*" }` (groups.list query);
 * - microsoft: `"all"`, `{ ids: [...] }` (object ids, at most 50: Graph's group delta filter takes
 *   no more) or `{ filter: "startswith(displayName,'Eng')" }` (a /groups $filter);
 * - github: `"all"` or `{ slugs: [...] }` (team slugs).
 * Absent: no groups are read. Errors name the key (`google.groups.emails.0: …`).
 */
import { z } from 'zod';
import { nonEmpty } from './config-common.js';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Graph's group delta accepts `$filter=id eq '…' or …` for at most 50 ids. */
export const GRAPH_DELTA_MAX_IDS = 50;

const all = z.literal('all', { error: 'must be "all" or an object naming the groups' });
const distinct = <T extends z.ZodType<string>>(item: T) =>
  z
    .array(item)
    .min(1, 'must name at least one group')
    .refine((v) => new Set(v.map((x) => x.toLowerCase())).size === v.length, 'must not name a group twice');
const exactlyOne = (a: string, b: string) => (v: Record<string, unknown>, ctx: z.RefinementCtx) => {
  if ((v[a] === undefined) === (v[b] === undefined)) ctx.addIssue({ code: 'custom', path: [a], message: `give exactly one of ${a} or ${b}` });
};

/**
 * `"all"` or the provider's object. Not a z.union: a union reports "invalid input" at `groups`,
 * where an admin needs the inner key (`groups.emails.0`).
 */
function selection<O extends z.ZodType>(obj: O) {
  return z.unknown().transform((v, ctx): 'all' | z.output<O> => {
    const r = (typeof v === 'string' ? all : obj).safeParse(v);
    if (r.success) return r.data as 'all' | z.output<O>;
    for (const i of r.error.issues) ctx.addIssue({ code: 'custom', message: i.message, path: [...i.path] });
    return z.NEVER;
  });
}

export const googleGroupsSchema = selection(
  z
    .strictObject({
      emails: distinct(z.email({ error: 'must be a group email address' }).transform((v) => v.toLowerCase())).optional(),
      query: nonEmpty.optional(),
    })
    .superRefine(exactlyOne('emails', 'query')),
);

export const microsoftGroupsSchema = selection(
  z
    .strictObject({
      ids: distinct(z.string().regex(GUID, 'must be a group object id GUID').transform((v) => v.toLowerCase()))
        .max(GRAPH_DELTA_MAX_IDS, `at most ${GRAPH_DELTA_MAX_IDS} ids (Graph group delta filter limit); use a filter for more`)
        .optional(),
      filter: nonEmpty.optional(),
    })
    .superRefine(exactlyOne('ids', 'filter')),
);

export const githubGroupsSchema = selection(
  z.strictObject({
    slugs: distinct(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/i, 'must be a team slug (letters, digits, -, _, .)').transform((v) => v.toLowerCase())),
  }),
);

export type GoogleGroups = z.output<typeof googleGroupsSchema>;
export type MicrosoftGroups = z.output<typeof microsoftGroupsSchema>;
export type GithubGroups = z.output<typeof githubGroupsSchema>;

/** One line for logs and the state key of a cursor: a changed selection starts a full read. */
export function selectionKey(groups: unknown): string {
  return JSON.stringify(groups ?? null);
}
