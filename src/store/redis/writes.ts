import { IdsyncError } from '../../domain/errors.js';
import type { Member, Team } from '../../domain/model.js';
import type { UpdateOptions, UpdateResult, Updater } from '../../ports/store.js';
import { parseHead, parseJson, RETRY, unexpectedReply, type Attempt, type AuditParts, type RedisContext, type ScriptReply } from './context.js';

export interface CasUpdate<T> {
  /** The in-process lock (the record's org). */
  lockKey: string;
  recordKey: string;
  /** The org (or scope) the record belongs to. */
  scope: string;
  notFound: () => IdsyncError;
  updater: Updater<T>;
  opts: UpdateOptions | undefined;
  /**
   * Runs the record's script with the JSON as read (the script compares it before writing), the next
   * record and the audit part. Returns RETRY when the script lost a race.
   */
  persist: (raw: string, next: T, audit: AuditParts, current: T) => Promise<Attempt<'ok'>>;
}

/**
 * The store's compare-and-swap update: read the record (and the org's audit head in the same
 * snapshot), check ifVersion, run the updater, and let the script write only if neither the record
 * nor the chain head moved. A lost race re-reads and calls the updater again; with ifVersion, the
 * re-read then fails the version check, as the port requires.
 */
export async function casUpdate<T extends { version: number }>(ctx: RedisContext, spec: CasUpdate<T>): Promise<UpdateResult<T>> {
  const headKey = ctx.keys.forOrg(spec.scope).auditHead;
  return ctx.write(spec.lockKey, async () => {
    const [raw, head] = (await ctx.snapshot((m) => m.get(spec.recordKey).hmget(headKey, 'seq', 'hash'))) as [string | null, (string | null)[]];
    const current = parseJson<T>(raw);
    if (raw === null || current === undefined) throw spec.notFound();
    const ifVersion = spec.opts?.ifVersion;
    if (ifVersion !== undefined && ifVersion !== current.version) {
      throw new IdsyncError('version.mismatch', `version ${ifVersion} does not match current version ${current.version}`, {
        expected: ifVersion,
        actual: current.version,
      });
    }
    const result = spec.updater(current);
    if (!result) return { record: current, changed: false };
    ctx.assertOneSlot(result.audit, spec.scope);
    const next: T = { ...result.next, version: current.version + 1 };
    const chainHead = result.audit.orgId === spec.scope ? parseHead(head[0] ?? null, head[1] ?? null) : await ctx.readHead(result.audit.orgId);
    const outcome = await spec.persist(raw, next, ctx.audit(result.audit, chainHead), current);
    return outcome === RETRY ? RETRY : { record: next, changed: true };
  });
}

/** Ids are chosen by callers; a second record with one id is a programming error, as in SQLite. */
export function duplicateId(what: string, id: string): IdsyncError {
  return new IdsyncError('internal', `${what} ${id} already exists`, { id });
}

/** `ok` → done, a lost race (`head_moved`, `conflict`) → RETRY, anything else was not expected. */
export function okOrRetry(name: string, r: ScriptReply): Attempt<'ok'> {
  if (r[0] === 'ok') return 'ok';
  if (r[0] === 'head_moved' || r[0] === 'conflict') return RETRY;
  throw unexpectedReply(name, r);
}

export const orgNotFound = (orgId: string) => new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
export const teamNotFound = (teamId: string) => new IdsyncError('team.not_found', `team ${teamId} not found`, { teamId });
export const userNameTaken = (m: Member) =>
  new IdsyncError('member.user_name_taken', `userName ${m.userName} is already taken in this organization`, { userName: m.userName });
export const teamNameTaken = (t: Team) =>
  new IdsyncError('team.name_taken', `team ${t.displayName} already exists in this organization`, { displayName: t.displayName });
