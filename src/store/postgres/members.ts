import { IdsyncError } from '../../domain/errors.js';
import { losesActiveOwner, lastOwnerError } from '../../domain/invariants.js';
import { emailKey, userNameKey } from '../../domain/keys.js';
import { asciiLower } from '../../domain/member-search.js';
import type { AuditDraft, Member } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type MemberBatchItem, type MemberKeysetPage, type MemberQuery, type MemberStore, type Page, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { assertDistinctIds, sameEmails, sameIdentities } from '../shared/member-batch.js';
import { isUniqueViolation, parse, type DataRow, type Params, type PostgresContext, type Sql, type Tx } from './context.js';

const LIVE = "m.status <> 'removed'";

/**
 * Members and their lookup indexes: userName (a partial unique index over live members' case-folded
 * key), externalId, every email, upstream identities. Creates and updates run under the org's write
 * lock, so the last-owner count and the members' seq order are exact.
 */
export class PostgresMembers implements MemberStore {
  constructor(private readonly ctx: PostgresContext) {}

  async createMember(member: Member, audit: AuditDraft): Promise<Member> {
    return this.ctx.write(member.orgId, async (tx) => {
      await this.ctx.assertOrg(tx, member.orgId);
      await tx
        .exec('INSERT INTO members (id, org_id, user_name_key, external_id, status, role, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)', [
          member.id,
          member.orgId,
          userNameKey(member.userName),
          member.externalId ?? null,
          member.status,
          member.role,
          member.version,
          JSON.stringify(member),
        ])
        .catch((err: unknown) => {
          throw uniqueViolation(err, member);
        });
      await writeEmails(tx, member);
      await writeIdentities(tx, member, true);
      await this.ctx.appendTx(tx, audit);
      return member;
    });
  }

  async getMember(orgId: string, id: string): Promise<Member | undefined> {
    return this.ctx.read((sql) => memberOf(sql, orgId, id));
  }

  async findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined> {
    return this.ctx.read(async (sql) =>
      parse<Member>(await sql.one<DataRow>(`SELECT data FROM members m WHERE org_id = $1 AND user_name_key = $2 AND ${LIVE}`, [orgId, userNameKey(userName)])),
    );
  }

  async findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]> {
    return this.ctx.read(async (sql) =>
      (await sql.rows<DataRow>(`SELECT data FROM members m WHERE org_id = $1 AND external_id = $2 AND ${LIVE} ORDER BY seq`, [orgId, externalId])).map((r) => parse<Member>(r)!),
    );
  }

  async findMembersByEmail(orgId: string, email: string): Promise<Member[]> {
    return this.ctx.read(async (sql) =>
      (
        await sql.rows<DataRow>(
          `SELECT m.data FROM member_emails e JOIN members m ON m.id = e.member_id
           WHERE e.org_id = $1 AND e.email_key = $2 AND ${LIVE} ORDER BY m.seq`,
          [orgId, emailKey(email)],
        )
      ).map((r) => parse<Member>(r)!),
    );
  }

  async findMemberByIdentity(orgId: string, provider: string, subject: string): Promise<Member | undefined> {
    return this.ctx.read(async (sql) =>
      parse<Member>(
        await sql.one<DataRow>(
          `SELECT m.data FROM member_identities i JOIN members m ON m.id = i.member_id
           WHERE i.org_id = $1 AND i.provider = $2 AND i.subject = $3 AND ${LIVE} ORDER BY m.seq LIMIT 1`,
          [orgId, provider, subject],
        ),
      ),
    );
  }

  async listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    const { clause, args } = filter(orgId, query);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow>(`SELECT data FROM members WHERE ${clause} ORDER BY seq LIMIT $${args.length + 1} OFFSET $${args.length + 2}`, [...args, limit, offset]),
        sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM members WHERE ${clause}`, args),
      ]);
      return { items: rows.map((r) => parse<Member>(r)!), total: count!.n };
    });
  }

  async listMembersAfter(orgId: string, query: MemberQuery & { after?: string; countTotal?: boolean }): Promise<MemberKeysetPage> {
    const { limit } = clampPage({ limit: query.limit }, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
    const { clause, args } = filter(orgId, query);
    return this.ctx.read(async (sql) => {
      const [rows, count] = await Promise.all([
        sql.rows<DataRow & { seq: number }>(`SELECT seq, data FROM members WHERE ${clause} AND seq > $${args.length + 1} ORDER BY seq LIMIT $${args.length + 2}`, [
          ...args,
          positionOf(query.after),
          limit,
        ]),
        // Without the total (countTotal: false) a later page costs its own rows only, not a walk of the org's index.
        query.countTotal === false ? undefined : sql.one<{ n: number }>(`SELECT count(*)::int AS n FROM members WHERE ${clause}`, args),
      ]);
      const page = { items: rows.map((r) => parse<Member>(r)!), positions: rows.map((r) => String(r.seq)) };
      return count ? { ...page, total: count.n } : page;
    });
  }

  /**
   * Every member read comes back as its position; only matches bring their data. The text is
   * memberSearchText (domain/member-search.ts) built in SQL, folded ASCII-only with translate().
   */
  async searchMembers(orgId: string, query: MemberQuery & { text: string; after?: string; scan: number; limit: number }): Promise<{ items: Member[]; next?: string }> {
    const { clause, args } = filter(orgId, query);
    const scan = Math.max(1, Math.floor(query.scan));
    const n = args.length;
    const rows = await this.ctx.read((sql) =>
      sql.rows<{ seq: number; data: string | null }>(
        `SELECT seq, CASE WHEN strpos(${SEARCH_TEXT}, $${n + 1}) > 0 THEN data END AS data
         FROM members, LATERAL (SELECT data::jsonb AS d) AS j WHERE ${clause} AND seq > $${n + 2} ORDER BY seq LIMIT $${n + 3}`,
        [...args, asciiLower(query.text), positionOf(query.after), scan],
      ),
    );
    const items: Member[] = [];
    for (let i = 0; i < rows.length; i++) {
      if (rows[i]!.data === null) continue;
      items.push(JSON.parse(rows[i]!.data!) as Member);
      if (items.length === query.limit) return i + 1 < rows.length || rows.length === scan ? { items, next: String(rows[i]!.seq) } : { items };
    }
    return rows.length === scan ? { items, next: String(rows.at(-1)!.seq) } : { items };
  }

  async updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>> {
    return this.ctx.write(orgId, (tx) => this.#updateTx(tx, orgId, id, updater, opts));
  }

  /** One transaction under the org's advisory lock; members are locked in item order, after the org lock (so no deadlock). */
  async updateMembers(orgId: string, items: readonly MemberBatchItem[]): Promise<UpdateResult<Member>[]> {
    assertDistinctIds(items);
    if (items.length === 0) return [];
    return this.ctx.write(orgId, async (tx) => {
      const out: UpdateResult<Member>[] = [];
      for (const item of items) out.push(await this.#updateTx(tx, orgId, item.id, item.updater, undefined));
      return out;
    });
  }

  async #updateTx(tx: Tx, orgId: string, id: string, updater: Updater<Member>, opts: UpdateOptions | undefined): Promise<UpdateResult<Member>> {
    const current = await memberOf(tx, orgId, id, true);
    if (!current) throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
    return this.ctx.applyUpdate(tx, current, updater, opts, async (next) => {
      if (losesActiveOwner(current, next)) {
        const others = await tx.one<{ n: number }>("SELECT count(*)::int AS n FROM members WHERE org_id = $1 AND role = 'owner' AND status = 'active' AND id <> $2", [orgId, id]);
        if (others!.n === 0) throw lastOwnerError(current);
      }
      await tx
        .exec('UPDATE members SET user_name_key = $1, external_id = $2, status = $3, role = $4, version = $5, data = $6 WHERE id = $7', [
          userNameKey(next.userName),
          next.externalId ?? null,
          next.status,
          next.role,
          next.version,
          JSON.stringify(next),
          id,
        ])
        .catch((err: unknown) => {
          throw uniqueViolation(err, next);
        });
      // A role or status change leaves the lookup indexes as they are (each rewrite is a round trip).
      if (!sameEmails(current, next)) {
        await tx.exec('DELETE FROM member_emails WHERE member_id = $1', [id]);
        await writeEmails(tx, next);
      }
      if (!sameIdentities(current, next)) await writeIdentities(tx, next);
    });
  }
}

function filter(orgId: string, query: MemberQuery | undefined): { clause: string; args: Params } {
  const where = ['org_id = $1'];
  const args: (string | readonly string[])[] = [orgId];
  if (query?.statuses?.length) {
    args.push([...query.statuses]);
    where.push(`status = ANY($${args.length}::text[])`);
  }
  if (query?.roles?.length) {
    args.push([...query.roles]);
    where.push(`role = ANY($${args.length}::text[])`);
  }
  if (query?.kinds?.length) {
    args.push([...query.kinds]);
    // The expression of members_org_kind_seq (pg migration 6).
    where.push(`coalesce(data::jsonb ->> 'kind', 'person') = ANY($${args.length}::text[])`);
  }
  return { clause: where.join(' AND '), args };
}

async function memberOf(sql: Sql, orgId: string, id: string, forUpdate = false): Promise<Member | undefined> {
  return parse<Member>(await sql.one<DataRow>(`SELECT data FROM members WHERE id = $1 AND org_id = $2${forUpdate ? ' FOR UPDATE' : ''}`, [id, orgId]));
}

async function writeEmails(sql: Sql, member: Member): Promise<void> {
  if (member.emails.length === 0) return;
  await sql.exec('INSERT INTO member_emails (org_id, email_key, member_id) SELECT $1, k, $2 FROM unnest($3::text[]) AS k ON CONFLICT DO NOTHING', [
    member.orgId,
    member.id,
    member.emails.map((e) => emailKey(e.value)),
  ]);
}

/** The identity index holds live members only; a removed member is never found by its upstream identity. */
async function writeIdentities(sql: Sql, member: Member, fresh = false): Promise<void> {
  if (!fresh) await sql.exec('DELETE FROM member_identities WHERE member_id = $1', [member.id]);
  const ids = member.status === 'removed' ? [] : (member.identities ?? []);
  if (ids.length === 0) return;
  await sql.exec(
    'INSERT INTO member_identities (org_id, provider, subject, member_id) SELECT $1, p, s, $2 FROM unnest($3::text[], $4::text[]) AS i(p, s) ON CONFLICT DO NOTHING',
    [member.orgId, member.id, ids.map((i) => i.provider), ids.map((i) => i.subject)],
  );
}

function uniqueViolation(err: unknown, member: Member): unknown {
  if (isUniqueViolation(err, 'members_live_user_name')) {
    return new IdsyncError('member.user_name_taken', `userName ${member.userName} is already taken in this organization`, { userName: member.userName });
  }
  return err;
}

/** A keyset position as this backend writes it (the members table's seq); anything else starts at the beginning. */
/** memberSearchText in SQL over `d` (the record as jsonb): the same fields, order and separators; only ASCII letters folded. */
const SEARCH_TEXT = `translate(
  coalesce(d ->> 'userName', '') || E'\\n' || coalesce(d ->> 'displayName', '') || E'\\n' ||
  coalesce(d -> 'name' ->> 'givenName', '') || ' ' || coalesce(d -> 'name' ->> 'familyName', '') || E'\\n' ||
  coalesce(d -> 'name' ->> 'formatted', '') || E'\\n' ||
  coalesce((SELECT string_agg(e.v ->> 'value', E'\\n' ORDER BY e.o) FROM jsonb_array_elements(d -> 'emails') WITH ORDINALITY AS e(v, o)), ''),
  'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')`;

function positionOf(after: string | undefined): number {
  const n = after === undefined ? 0 : Number(after);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}
