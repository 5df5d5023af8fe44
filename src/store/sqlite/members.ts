import { IdsyncError } from '../../domain/errors.js';
import { losesActiveOwner, lastOwnerError } from '../../domain/invariants.js';
import { emailKey, userNameKey } from '../../domain/keys.js';
import { asciiLower } from '../../domain/member-search.js';
import type { AuditDraft, Member } from '../../domain/model.js';
import { DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT, type MemberBatchItem, type MemberKeysetPage, type MemberQuery, type MemberStore, type Page, type UpdateOptions, type UpdateResult, type Updater } from '../../ports/store.js';
import { clampPage } from '../shared/audit-records.js';
import { assertDistinctIds, sameEmails, sameIdentities } from '../shared/member-batch.js';
import { parse, type DataRow, type SqliteContext } from './context.js';

/** Members and their lookup indexes (userName, externalId, emails, upstream identities). */
export class SqliteMembers implements MemberStore {
  constructor(private readonly ctx: SqliteContext) {}

  async createMember(member: Member, audit: AuditDraft): Promise<Member> {
    return this.ctx.write(() => {
      this.ctx.assertOrg(member.orgId);
      try {
        this.ctx
          .stmt(
            'INSERT INTO members (id, org_id, user_name_key, external_id, status, role, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(member.id, member.orgId, userNameKey(member.userName), member.externalId ?? null, member.status, member.role, member.version, JSON.stringify(member));
      } catch (err) {
        throw uniqueViolation(err, member);
      }
      writeEmails(this.ctx, member);
      writeIdentities(this.ctx, member);
      this.ctx.appendTx(audit);
      return member;
    });
  }

  async getMember(orgId: string, id: string): Promise<Member | undefined> {
    return this.ctx.run(() => memberTx(this.ctx, orgId, id));
  }

  async findMemberByUserName(orgId: string, userName: string): Promise<Member | undefined> {
    return this.ctx.run(() =>
      parse<Member>(
        this.ctx
          .stmt("SELECT data FROM members WHERE org_id = ? AND user_name_key = ? AND status <> 'removed'")
          .get(orgId, userNameKey(userName)) as DataRow | undefined,
      ),
    );
  }

  async findMembersByExternalId(orgId: string, externalId: string): Promise<Member[]> {
    return this.ctx.run(() =>
      (
        this.ctx
          .stmt("SELECT data FROM members WHERE org_id = ? AND external_id = ? AND status <> 'removed' ORDER BY seq")
          .all(orgId, externalId) as DataRow[]
      ).map((r) => parse<Member>(r)!),
    );
  }

  async findMembersByEmail(orgId: string, email: string): Promise<Member[]> {
    return this.ctx.run(() =>
      (
        this.ctx
          .stmt(
            `SELECT m.data FROM member_emails e JOIN members m ON m.id = e.member_id
             WHERE e.org_id = ? AND e.email_key = ? AND m.status <> 'removed' ORDER BY m.seq`,
          )
          .all(orgId, emailKey(email)) as DataRow[]
      ).map((r) => parse<Member>(r)!),
    );
  }

  async findMemberByIdentity(orgId: string, provider: string, subject: string): Promise<Member | undefined> {
    return this.ctx.run(() =>
      parse<Member>(
        this.ctx.stmt(
          `SELECT m.data FROM member_identities i JOIN members m ON m.id = i.member_id
           WHERE i.org_id = ? AND i.provider = ? AND i.subject = ? AND m.status <> 'removed' ORDER BY m.seq LIMIT 1`,
        ).get(orgId, provider, subject) as DataRow | undefined,
      ),
    );
  }

  async listMembers(orgId: string, query?: MemberQuery): Promise<Page<Member>> {
    return this.ctx.run(() => {
      const { offset, limit } = clampPage(query, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const { clause, args } = memberWhere(orgId, query);
      const rows = this.ctx.stmt(`SELECT data FROM members WHERE ${clause} ORDER BY seq LIMIT ? OFFSET ?`).all(...args, limit, offset) as DataRow[];
      const { n } = this.ctx.stmt(`SELECT count(*) AS n FROM members WHERE ${clause}`).get(...args) as { n: number };
      return { items: rows.map((r) => parse<Member>(r)!), total: n };
    });
  }

  async listMembersAfter(orgId: string, query: MemberQuery & { after?: string; countTotal?: boolean }): Promise<MemberKeysetPage> {
    return this.ctx.run(() => {
      const { limit } = clampPage({ limit: query.limit }, DEFAULT_PAGE_LIMIT, MAX_PAGE_LIMIT);
      const { clause, args } = memberWhere(orgId, query);
      const after = positionOf(query.after);
      const rows = this.ctx.stmt(`SELECT seq, data FROM members WHERE ${clause} AND seq > ? ORDER BY seq LIMIT ?`).all(...args, after, limit) as (DataRow & { seq: number })[];
      const page = { items: rows.map((r) => parse<Member>(r)!), positions: rows.map((r) => String(r.seq)) };
      if (query.countTotal === false) return page;
      const { n } = this.ctx.stmt(`SELECT count(*) AS n FROM members WHERE ${clause}`).get(...args) as { n: number };
      return { ...page, total: n };
    });
  }

  async searchMembers(orgId: string, query: MemberQuery & { text: string; after?: string; scan: number; limit: number }): Promise<{ items: Member[]; next?: string }> {
    return this.ctx.run(() => {
      const { clause, args } = memberWhere(orgId, query);
      const scan = Math.max(1, Math.floor(query.scan));
      // Every member read comes back as its position; only matches bring their data (compared in C, not parsed here).
      const text = asciiLower(query.text);
      // A word with nothing JSON escapes is found in the stored JSON text itself if it matches at all:
      // that cheap test runs first and spares most rows the field extraction. Text with whitespace
      // may span two fields ("ada lovelace"), so it goes straight to the exact test.
      const prefilter = /^[^\s"\\\u0000-\u001f]+$/.test(text) ? 1 : 0;
      const rows = this.ctx
        .stmt(`SELECT seq, CASE WHEN (? = 0 OR instr(lower(data), ?) > 0) AND instr(${SEARCH_TEXT}, ?) > 0 THEN data END AS data FROM members WHERE ${clause} AND seq > ? ORDER BY seq LIMIT ?`)
        .all(prefilter, text, text, ...args, positionOf(query.after), scan) as { seq: number; data: string | null }[];
      const items: Member[] = [];
      for (let i = 0; i < rows.length; i++) {
        if (rows[i]!.data === null) continue;
        items.push(JSON.parse(rows[i]!.data!) as Member);
        if (items.length === query.limit) return i + 1 < rows.length || rows.length === scan ? { items, next: String(rows[i]!.seq) } : { items };
      }
      return rows.length === scan ? { items, next: String(rows.at(-1)!.seq) } : { items };
    });
  }

  async updateMember(orgId: string, id: string, updater: Updater<Member>, opts?: UpdateOptions): Promise<UpdateResult<Member>> {
    return this.ctx.write(() => updateTx(this.ctx, orgId, id, updater, opts));
  }

  /** One IMMEDIATE transaction: an item that fails rolls back the whole batch; the owner count reads the batch's earlier writes. */
  async updateMembers(orgId: string, items: readonly MemberBatchItem[]): Promise<UpdateResult<Member>[]> {
    assertDistinctIds(items);
    if (items.length === 0) return [];
    return this.ctx.write(() => items.map((item) => updateTx(this.ctx, orgId, item.id, item.updater, undefined)));
  }
}

function updateTx(ctx: SqliteContext, orgId: string, id: string, updater: Updater<Member>, opts: UpdateOptions | undefined): UpdateResult<Member> {
  const current = memberTx(ctx, orgId, id);
  if (!current) throw new IdsyncError('member.not_found', `member ${id} not found`, { memberId: id });
  return ctx.applyUpdate(current, updater, opts, (next) => {
    if (losesActiveOwner(current, next)) {
      const { n } = ctx.stmt("SELECT count(*) AS n FROM members WHERE org_id = ? AND role = 'owner' AND status = 'active' AND id <> ?").get(orgId, id) as { n: number };
      if (n === 0) throw lastOwnerError(current);
    }
    try {
      ctx
        .stmt('UPDATE members SET user_name_key = ?, external_id = ?, status = ?, role = ?, version = ?, data = ? WHERE id = ?')
        .run(userNameKey(next.userName), next.externalId ?? null, next.status, next.role, next.version, JSON.stringify(next), id);
    } catch (err) {
      throw uniqueViolation(err, next);
    }
    // A role or status change leaves the lookup indexes as they are: rewriting them is most of a write's statements.
    if (!sameEmails(current, next)) {
      ctx.stmt('DELETE FROM member_emails WHERE member_id = ?').run(id);
      writeEmails(ctx, next);
    }
    if (!sameIdentities(current, next)) writeIdentities(ctx, next);
  });
}

/** memberSearchText (domain/member-search.ts) in SQL: the same fields, order and separators, lower() folding ASCII only. */
const SEARCH_TEXT = `lower(coalesce(json_extract(data, '$.userName'), '') || char(10) || coalesce(json_extract(data, '$.displayName'), '') || char(10) ||
  coalesce(json_extract(data, '$.name.givenName'), '') || ' ' || coalesce(json_extract(data, '$.name.familyName'), '') || char(10) ||
  coalesce(json_extract(data, '$.name.formatted'), '') || char(10) ||
  coalesce((SELECT group_concat(json_extract(e.value, '$.value'), char(10)) FROM json_each(data, '$.emails') AS e), ''))`;

function memberTx(ctx: SqliteContext, orgId: string, id: string): Member | undefined {
  return parse<Member>(ctx.stmt('SELECT data FROM members WHERE id = ? AND org_id = ?').get(id, orgId) as DataRow | undefined);
}

function writeEmails(ctx: SqliteContext, member: Member): void {
  const insert = ctx.stmt('INSERT OR IGNORE INTO member_emails (org_id, email_key, member_id) VALUES (?, ?, ?)');
  for (const e of member.emails) insert.run(member.orgId, emailKey(e.value), member.id);
}

/** The identity index holds live members only; a removed member is never found by its upstream identity. */
function writeIdentities(ctx: SqliteContext, member: Member): void {
  ctx.stmt('DELETE FROM member_identities WHERE member_id = ?').run(member.id);
  if (member.status === 'removed') return;
  const insert = ctx.stmt('INSERT OR IGNORE INTO member_identities (org_id, provider, subject, member_id) VALUES (?, ?, ?, ?)');
  for (const i of member.identities ?? []) insert.run(member.orgId, i.provider, i.subject, member.id);
}

function uniqueViolation(err: unknown, member: Member): unknown {
  if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE' && String((err as Error).message).includes('members.user_name_key')) {
    return new IdsyncError('member.user_name_taken', `userName ${member.userName} is already taken in this organization`, { userName: member.userName });
  }
  return err;
}

/** A keyset position as this backend writes it (the members table's seq); anything else starts at the beginning. */
function positionOf(after: string | undefined): number {
  const n = after === undefined ? 0 : Number(after);
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

/** The WHERE clause of a member query (org, statuses, roles, kinds), on the indexed columns, with its arguments. */
function memberWhere(orgId: string, query: MemberQuery | undefined): { clause: string; args: unknown[] } {
  const where = ['org_id = ?'];
  const args: unknown[] = [orgId];
  const inList = (column: string, values: readonly string[] | undefined) => {
    if (!values?.length) return;
    where.push(`${column} IN (${values.map(() => '?').join(',')})`);
    args.push(...values);
  };
  inList('status', query?.statuses);
  inList('role', query?.roles);
  inList('kind', query?.kinds);
  return { clause: where.join(' AND '), args };
}
