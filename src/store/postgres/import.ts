import { emailKey, teamNameKey, userNameKey } from '../../domain/keys.js';
import type { StoreImporter, TransferKind, TransferRecord } from '../../ports/store-transfer.js';
import { epochMs } from '../shared/record-errors.js';
import { createPool, mapPgError, migrate } from './connect.js';
import type { PostgresStoreOptions } from './store.js';

type Row = { text: string; values: unknown[] };

const json = (v: unknown) => JSON.stringify(v);

/** The statements that write one record verbatim; a record already there (its id, or org and seq) is skipped. */
function rowsOf(r: TransferRecord): Row[] {
  switch (r.kind) {
    case 'org':
      return [{ text: 'INSERT INTO orgs (id, version, data) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.version, json(r.record)] }];
    case 'member': {
      const m = r.record;
      const live = m.status !== 'removed';
      return [
        {
          text: 'INSERT INTO members (id, org_id, user_name_key, external_id, status, role, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING',
          values: [m.id, m.orgId, userNameKey(m.userName), m.externalId ?? null, m.status, m.role, m.version, json(m)],
        },
        ...m.emails.map((e) => ({ text: 'INSERT INTO member_emails (org_id, email_key, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', values: [m.orgId, emailKey(e.value), m.id] })),
        ...(live ? (m.identities ?? []) : []).map((i) => ({
          text: 'INSERT INTO member_identities (org_id, provider, subject, member_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
          values: [m.orgId, i.provider, i.subject, m.id],
        })),
      ];
    }
    case 'team':
      return [{ text: 'INSERT INTO teams (id, org_id, name_key, version, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, teamNameKey(r.record.displayName), r.record.version, json(r.record)] }];
    case 'teamMember':
      return [{ text: 'INSERT INTO team_members (org_id, team_id, member_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', values: [r.orgId, r.teamId, r.memberId] }];
    case 'audit':
      return [{ text: 'INSERT INTO audit_events (org_id, seq, id, hash, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', values: [r.record.orgId, r.record.seq, r.record.id, r.record.hash, json(r.record)] }];
    case 'outbox': {
      const o = r.record;
      return [{ text: 'INSERT INTO outbox (org_id, seq, id, type, created_at, payload) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING', values: [o.orgId, o.seq, o.id, o.type, o.createdAt, json(o.payload)] }];
    }
    case 'outboxCursor':
      return [{ text: 'INSERT INTO outbox_cursors (org_id, consumer, seq) VALUES ($1, $2, $3) ON CONFLICT (org_id, consumer) DO UPDATE SET seq = excluded.seq', values: [r.orgId, r.consumer, r.seq] }];
    case 'scimToken':
      return [{ text: 'INSERT INTO scim_tokens (id, org_id, hash, revoked, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, r.record.hash, Boolean(r.record.revokedAt), json(r.record)] }];
    case 'adminKey':
      return [{ text: 'INSERT INTO admin_keys (id, org_id, hash, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId ?? null, r.record.hash, json(r.record)] }];
    case 'scimClient':
      return [{ text: 'INSERT INTO scim_clients (id, org_id, version, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, r.record.version, json(r.record)] }];
    case 'invitation': {
      const i = r.record;
      return [
        {
          text: 'INSERT INTO invitations (id, org_id, email_key, status, expires_ms, token_hash, version, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING',
          values: [i.id, i.orgId, emailKey(i.email), i.status, epochMs(i.expiresAt, 'expiresAt'), i.tokenHash, i.version, json(i)],
        },
      ];
    }
    case 'inviteLink':
      return [{ text: 'INSERT INTO invite_links (id, org_id, token_hash, version, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, r.record.tokenHash, r.record.version, json(r.record)] }];
    case 'connection':
      return [{ text: 'INSERT INTO directory_connections (id, org_id, version, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, r.record.version, json(r.record)] }];
    case 'run':
      return [{ text: 'INSERT INTO reconcile_runs (id, org_id, connection_id, version, data) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, r.record.connectionId, r.record.version, json(r.record)] }];
    case 'webhook':
      return [{ text: 'INSERT INTO webhooks (id, org_id, version, data) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', values: [r.record.id, r.record.orgId, r.record.version, json(r.record)] }];
    case 'delivery': {
      const d = r.record;
      return [
        {
          text: 'INSERT INTO webhook_deliveries (org_id, id, endpoint_id, status, next_attempt_ms, data) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING',
          values: [d.orgId, d.id, d.endpointId, d.status, d.nextAttemptAt === undefined ? null : epochMs(d.nextAttemptAt, 'nextAttemptAt'), json(d)],
        },
      ];
    }
  }
}

/** Tables counted for each kind (what `migrate-store` compares with the source). */
const COUNTED: Record<TransferKind, string> = {
  org: 'orgs',
  member: 'members',
  team: 'teams',
  teamMember: 'team_members',
  audit: 'audit_events',
  outbox: 'outbox',
  outboxCursor: 'outbox_cursors',
  scimToken: 'scim_tokens',
  adminKey: 'admin_keys',
  scimClient: 'scim_clients',
  invitation: 'invitations',
  inviteLink: 'invite_links',
  connection: 'directory_connections',
  run: 'reconcile_runs',
  webhook: 'webhooks',
  delivery: 'webhook_deliveries',
};

/** Writes `migrate-store` batches into PostgreSQL (migrating the target first), one transaction per batch. */
export async function openPostgresImporter(opts: PostgresStoreOptions): Promise<StoreImporter> {
  const pool = createPool(opts);
  try {
    await migrate(pool, opts.schema ?? 'public');
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw err;
  }
  return {
    async importBatch(records) {
      const client = await pool.connect().catch((err: unknown) => {
        throw mapPgError(err);
      });
      let broken = false;
      try {
        await client.query('BEGIN');
        let added = 0;
        for (const r of records) {
          const [first, ...rest] = rowsOf(r);
          // The record's own row decides: its index rows are written only with it.
          if (((await client.query(first!.text, first!.values)).rowCount ?? 0) === 0 && r.kind !== 'outboxCursor') continue;
          added++;
          for (const row of rest) await client.query(row.text, row.values);
        }
        await client.query('COMMIT');
        return added;
      } catch (err) {
        await client.query('ROLLBACK').catch(() => {
          broken = true;
        });
        throw mapPgError(err);
      } finally {
        client.release(broken);
      }
    },
    async counts() {
      const sql = Object.entries(COUNTED)
        .map(([kind, table]) => `SELECT '${kind}' AS kind, count(*)::int AS n FROM ${table}`)
        .join(' UNION ALL ');
      const { rows } = await pool.query<{ kind: TransferKind; n: number }>(sql).catch((err: unknown) => {
        throw mapPgError(err);
      });
      return Object.fromEntries(rows.map((r) => [r.kind, r.n])) as Record<TransferKind, number>;
    },
    close: () => pool.end(),
  };
}
