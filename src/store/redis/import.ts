import { isActiveOwner } from '../../domain/invariants.js';
import { emailKey, teamNameKey, userNameKey } from '../../domain/keys.js';
import type { Member } from '../../domain/model.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { TRANSFER_KINDS, type StoreImporter, type TransferKind, type TransferRecord } from '../../ports/store-transfer.js';
import { epochMs } from '../shared/record-errors.js';
import { createRedisClient, DEFAULT_CONNECT_TIMEOUT_MS, mapRedisError, waitUntilReady, type RedisClient, type RedisConnectionOptions } from './client.js';
import { addCrossOrgEntries, invitationEntries, linkEntries, memberEntries, type CrossOrgEntry } from './cross-org.js';
import { refJson } from './global-index.js';
import { redisKeys, type OrgKeys, type RedisKeys } from './keys.js';

/** One write: a new record answers 'OK' (SET NX) or 1 (HSETNX, ZADD NX); indexes are written again on a rerun, harmlessly. */
type Write = (c: RedisClient) => Promise<unknown>;

/** Raises a counter to at least `n` (the daemon's next ordinal comes after every imported one). */
const RAISE = "local v = tonumber(redis.call('GET', KEYS[1]) or '0') if v < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end return 0";

/**
 * Writes `migrate-store` batches into Redis with the layout the Redis store keeps (keys.ts): each
 * record verbatim under its key, and the indexes its scripts would have written. Creation orders
 * (ordinals) are the positions in the incoming stream, which is the same on a rerun, so an
 * interrupted run done again writes the same scores; a record already there is left as it is
 * (SET NX), its indexes rewritten idempotently. The org and global counters are raised past the
 * imported ordinals, and each chain's head is set to its last event.
 */
export function openRedisImporter(opts: RedisConnectionOptions): StoreImporter {
  const client = createRedisClient({ ...opts, connectionName: 'idsync-migrate-store' });
  const keys = redisKeys(opts.keyPrefix);
  const ordinals = new Map<string, number>();
  const global = { org: 0, admin: 0, conn: 0, stream: 0 };
  /** Queue positions of each stream's SETs. */
  const queued = new Map<string, number>();
  const next = (orgId: string) => {
    const n = (ordinals.get(orgId) ?? 0) + 1;
    ordinals.set(orgId, n);
    return n;
  };
  const heads = new Map<string, { seq: number; hash: string }>();
  let checkedEmpty = false;
  const writes = (r: TransferRecord): { record: Write; indexes: Write[] } => {
    switch (r.kind) {
      case 'org': {
        const ord = ++global.org;
        return { record: (c) => c.set(keys.forOrg(r.record.id).org, JSON.stringify(r.record), 'NX'), indexes: [(c) => c.zadd(keys.orgs.all, 'NX', ord, r.record.id)] };
      }
      case 'member':
        return memberWrites(keys.forOrg(r.record.orgId), r.record, next(r.record.orgId));
      case 'team': {
        const k = keys.forOrg(r.record.orgId);
        const ord = next(r.record.orgId);
        return {
          record: (c) => c.set(k.team(r.record.id), JSON.stringify(r.record), 'NX'),
          indexes: [(c) => c.zadd(k.teams, 'NX', ord, r.record.id), (c) => c.hset(k.teamNames, teamNameKey(r.record.displayName), r.record.id)],
        };
      }
      case 'teamMember': {
        const k = keys.forOrg(r.orgId);
        const ord = next(r.orgId);
        return { record: (c) => c.zadd(k.teamMembers(r.teamId), 'NX', ord, r.memberId), indexes: [(c) => c.zadd(k.memberTeams(r.memberId), 'NX', ord, r.teamId)] };
      }
      case 'audit': {
        const e = r.record;
        heads.set(e.orgId, { seq: e.seq, hash: e.hash });
        return { record: (c) => c.hsetnx(keys.forOrg(e.orgId).auditEvents, String(e.seq), JSON.stringify(e)), indexes: [] };
      }
      case 'outbox':
        return {
          record: (c) => c.hsetnx(keys.forOrg(r.record.orgId).outbox, String(r.record.seq), JSON.stringify(r.record)),
          indexes: [(c) => c.sadd(keys.outbox.scopes, r.record.orgId)],
        };
      case 'outboxCursor':
        return { record: (c) => c.hset(keys.forOrg(r.orgId).outboxCursors, r.consumer, r.seq), indexes: [] };
      case 'scimToken': {
        const t = r.record;
        const k = keys.forOrg(t.orgId);
        const ord = next(t.orgId);
        return {
          record: (c) => c.set(k.scimToken(t.id), JSON.stringify(t), 'NX'),
          indexes: [(c) => c.hset(keys.scim.byHash, t.hash, refJson(t.orgId, t.id)), (c) => c.zadd(k.scimTokens, 'NX', ord, t.id), ...(t.revokedAt ? [] : [(c: RedisClient) => c.sadd(k.liveScimTokens, t.id)])],
        };
      }
      case 'adminKey': {
        const key = r.record;
        const scope = key.orgId ?? PROVIDER_SCOPE;
        const k = keys.forOrg(scope);
        const ord = ++global.admin;
        const g = keys.admin;
        return {
          record: (c) => c.set(k.adminKey(key.id), JSON.stringify(key), 'NX'),
          indexes: [
            (c) => c.hset(g.byHash, key.hash, JSON.stringify({ scope, id: key.id })),
            (c) => c.hset(g.byId, key.id, scope),
            (c) => c.zadd(g.all, 'NX', ord, key.id),
            (c) => c.zadd(k.adminKeys, 'NX', ord, key.id),
          ],
        };
      }
      case 'scimClient': {
        const k = keys.forOrg(r.record.orgId);
        const ord = next(r.record.orgId);
        return {
          record: (c) => c.set(k.scimClient(r.record.id), JSON.stringify(r.record), 'NX'),
          indexes: [(c) => c.hset(keys.scimClients.byId, r.record.id, r.record.orgId), (c) => c.zadd(k.scimClients, 'NX', ord, r.record.id)],
        };
      }
      case 'invitation': {
        const inv = r.record;
        const k = keys.forOrg(inv.orgId);
        const ord = next(inv.orgId);
        const pending: Write[] =
          inv.status === 'pending'
            ? [(c) => c.zadd(k.pendingInvitations, 'NX', epochMs(inv.expiresAt, 'expiresAt'), inv.id), (c) => c.zadd(k.pendingInvitationsByEmail(emailKey(inv.email)), 'NX', ord, inv.id)]
            : [];
        return {
          record: (c) => c.set(k.invitation(inv.id), JSON.stringify(inv), 'NX'),
          indexes: [
            (c) => c.hset(keys.invites.invitationByHash, inv.tokenHash, refJson(inv.orgId, inv.id)),
            (c) => c.zadd(k.invitations, 'NX', ord, inv.id),
            (c) => c.zadd(k.invitationsByStatus(inv.status), 'NX', ord, inv.id),
            ...pending,
          ],
        };
      }
      case 'inviteLink': {
        const link = r.record;
        const k = keys.forOrg(link.orgId);
        const ord = next(link.orgId);
        return {
          record: (c) => c.set(k.inviteLink(link.id), JSON.stringify(link), 'NX'),
          indexes: [(c) => c.hset(keys.invites.linkByHash, link.tokenHash, refJson(link.orgId, link.id)), (c) => c.zadd(k.inviteLinks, 'NX', ord, link.id)],
        };
      }
      case 'connection': {
        const conn = r.record;
        const k = keys.forOrg(conn.orgId);
        const ord = ++global.conn;
        const g = keys.connections;
        return {
          record: (c) => c.set(k.connection(conn.id), JSON.stringify(conn), 'NX'),
          indexes: [(c) => c.hset(g.byId, conn.id, conn.orgId), (c) => c.zadd(g.all, 'NX', ord, conn.id), (c) => c.zadd(k.connections, 'NX', ord, conn.id)],
        };
      }
      case 'run': {
        const run = r.record;
        const k = keys.forOrg(run.orgId);
        const ord = next(run.orgId);
        return {
          record: (c) => c.set(k.run(run.id), JSON.stringify(run), 'NX'),
          indexes: [(c) => c.hset(keys.runs.byId, run.id, run.orgId), (c) => c.zadd(k.runsOf(run.connectionId), 'NX', ord, run.id)],
        };
      }
      case 'webhook': {
        const k = keys.forOrg(r.record.orgId);
        const ord = next(r.record.orgId);
        return { record: (c) => c.set(k.webhook(r.record.id), JSON.stringify(r.record), 'NX'), indexes: [(c) => c.zadd(k.webhooks, 'NX', ord, r.record.id)] };
      }
      case 'delivery': {
        const d = r.record;
        const k = keys.forOrg(d.orgId);
        const ord = next(d.orgId);
        const due: Write[] = d.status === 'pending' && d.nextAttemptAt !== undefined ? [(c) => c.zadd(keys.webhooks.due, epochMs(d.nextAttemptAt!, 'nextAttemptAt'), JSON.stringify([d.orgId, d.id]))] : [];
        return {
          record: (c) => c.set(k.delivery(d.id), JSON.stringify(d), 'NX'),
          indexes: [
            (c) => c.zadd(k.deliveries, 'NX', ord, d.id),
            (c) => c.zadd(k.deliveriesByStatus(d.status), 'NX', ord, d.id),
            (c) => c.zadd(k.deliveriesOf(d.endpointId), 'NX', ord, d.id),
            (c) => c.zadd(k.deliveriesOfByStatus(d.endpointId, d.status), 'NX', ord, d.id),
            ...due,
          ],
        };
      }
      case 'roleMapping': {
        const k = keys.forOrg(r.record.orgId);
        const ord = next(r.record.orgId);
        return { record: (c) => c.set(k.roleMapping(r.record.id), JSON.stringify(r.record), 'NX'), indexes: [(c) => c.zadd(k.roleMappings, 'NX', ord, r.record.id)] };
      }
      case 'supportGrant': {
        const k = keys.forOrg(r.record.orgId);
        const ord = next(r.record.orgId);
        return { record: (c) => c.set(k.supportGrant(r.record.id), JSON.stringify(r.record), 'NX'), indexes: [(c) => c.zadd(k.supportGrants, 'NX', ord, r.record.id)] };
      }
      case 'purgeReceipt': {
        const p = keys.forOrg(PROVIDER_SCOPE);
        return { record: (c) => c.set(p.purgeReceipt(r.record.orgId), JSON.stringify(r.record), 'NX'), indexes: [(c) => c.zadd(p.purgeReceipts, 'NX', epochMs(r.record.purgedAt, 'purgedAt'), r.record.orgId)] };
      }
      case 'domainClaim': {
        const d = r.record;
        const k = keys.forOrg(d.orgId);
        const ord = next(d.orgId);
        const verified: Write[] = d.status === 'verified' ? [(c) => c.hsetnx(keys.domains.verified, d.domain, d.orgId)] : [];
        return { record: (c) => c.set(k.domainClaim(d.domain), JSON.stringify(d), 'NX'), indexes: [(c) => c.zadd(k.domainClaims, 'NX', ord, d.domain), ...verified] };
      }
      case 'joinRequest': {
        const k = keys.forOrg(r.record.orgId);
        const ord = next(r.record.orgId);
        return { record: (c) => c.set(k.joinRequest(r.record.id), JSON.stringify(r.record), 'NX'), indexes: [(c) => c.zadd(k.joinRequests, 'NX', ord, r.record.id)] };
      }
      case 'merge':
        return { record: (c) => c.set(keys.forOrg(r.record.sourceOrgId).merge, JSON.stringify(r.record), 'NX'), indexes: [] };
      case 'signalStream': {
        const st = r.record;
        const k = keys.forOrg(st.scope);
        const ord = ++global.stream;
        const g = keys.signals;
        return {
          record: (c) => c.set(k.signalStream(st.id), JSON.stringify(st), 'NX'),
          indexes: [(c) => c.hset(g.byId, st.id, st.scope), (c) => c.zadd(g.all, 'NX', ord, st.id), (c) => c.zadd(k.signalStreams, 'NX', ord, st.id)],
        };
      }
      case 'signalKey':
        return { record: (c) => c.hsetnx(keys.signals.keys, r.record.kid, JSON.stringify(r.record)), indexes: [] };
      case 'signalSet': {
        const set = r.record;
        const s = keys.signals.forStream(set.streamId);
        const ord = (queued.get(set.streamId) ?? 0) + 1;
        queued.set(set.streamId, ord);
        const due: Write[] =
          set.status === 'pending' && set.nextAttemptAt !== undefined ? [(c) => c.zadd(keys.signals.due, epochMs(set.nextAttemptAt!, 'nextAttemptAt'), JSON.stringify([set.streamId, set.jti]))] : [];
        return { record: (c) => c.set(s.set(set.jti), JSON.stringify(set), 'NX'), indexes: [(c) => c.zadd(s.queue, 'NX', ord, set.jti), ...due] };
      }
    }
  };
  let ready: Promise<void> | undefined;
  const call = async <T>(fn: (c: RedisClient) => Promise<T>): Promise<T> => {
    try {
      if (client.status !== 'ready') await (ready ??= waitUntilReady(client, opts.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS).finally(() => (ready = undefined)));
      return await fn(client);
    } catch (err) {
      throw mapRedisError(err);
    }
  };
  return {
    async importBatch(records) {
      // An empty target is built as it is written (every record below adds its cross-org entries); one with orgs already is rebuilt by the daemon.
      if (!checkedEmpty) {
        if ((await call((c) => c.zcard(keys.orgs.all))) === 0) await call((c) => c.set(keys.crossOrg.built, new Date().toISOString(), 'NX'));
        checkedEmpty = true;
      }
      const planned = records.map(writes);
      // Commands are sent without waiting for each answer (one round trip per batch, in order).
      const answers = await call((c) => Promise.all(planned.map((p) => p.record(c))));
      await call((c) => Promise.all(planned.flatMap((p) => p.indexes.map((w) => w(c)))));
      await call((c) => addCrossOrgEntries(c, records.flatMap((r) => crossOrgEntriesOf(keys, r))));
      const raises: [string, number][] = [
        [keys.orgs.ordinal, global.org],
        [keys.admin.ordinal, global.admin],
        [keys.connections.ordinal, global.conn],
        [keys.signals.ordinal, global.stream],
        ...[...ordinals].map(([orgId, n]): [string, number] => [keys.forOrg(orgId).ordinal, n]),
        ...[...queued].map(([streamId, n]): [string, number] => [keys.signals.forStream(streamId).ordinal, n]),
      ];
      await call((c) => Promise.all(raises.filter(([, n]) => n > 0).map(([key, n]) => c.eval(RAISE, 1, key, n))));
      await call((c) => Promise.all([...heads].map(([scope, h]) => c.hset(keys.forOrg(scope).auditHead, 'seq', h.seq, 'hash', h.hash))));
      heads.clear();
      return answers.filter((a) => a === 'OK' || a === 1).length;
    },
    async counts() {
      return call((c) => countAll(c, keys));
    },
    async close() {
      await client.quit().catch(() => client.disconnect());
    },
  };
}

function crossOrgEntriesOf(keys: RedisKeys, r: TransferRecord): CrossOrgEntry[] {
  if (r.kind === 'member') return memberEntries(keys, r.record);
  if (r.kind === 'invitation') return invitationEntries(keys, r.record);
  return r.kind === 'inviteLink' ? linkEntries(keys, r.record) : [];
}

function memberWrites(k: OrgKeys, m: Member, ord: number): { record: Write; indexes: Write[] } {
  const live = m.status !== 'removed';
  const lookups = new Set<string>();
  if (live) {
    if (m.externalId !== undefined) lookups.add(k.byExternalId(m.externalId));
    for (const e of m.emails) lookups.add(k.byEmail(emailKey(e.value)));
    for (const i of m.identities ?? []) lookups.add(k.byIdentity(i.provider, i.subject));
  }
  return {
    record: (c) => c.set(k.member(m.id), JSON.stringify(m), 'NX'),
    indexes: [
      (c) => c.zadd(k.members, 'NX', ord, m.id),
      (c) => c.zadd(k.membersBy(m.status, m.role), 'NX', ord, m.id),
      ...(live ? [(c: RedisClient) => c.hset(k.userNames, userNameKey(m.userName), m.id)] : []),
      ...(isActiveOwner(m) ? [(c: RedisClient) => c.sadd(k.activeOwners, m.id)] : []),
      ...[...lookups].map((key): Write => (c) => c.zadd(key, 'NX', ord, m.id)),
    ],
  };
}

/** Records of each kind, read from the indexes every list goes through. */
async function countAll(c: RedisClient, keys: ReturnType<typeof redisKeys>): Promise<Record<TransferKind, number>> {
  const n = Object.fromEntries(TRANSFER_KINDS.map((kind) => [kind, 0])) as Record<TransferKind, number>;
  const orgIds = await c.zrange(keys.orgs.all, '0', '-1');
  n.org = orgIds.length;
  n.adminKey = await c.zcard(keys.admin.all);
  const streams = await c.zrange(keys.signals.all, '0', '-1');
  n.signalStream = streams.length;
  // The importer queues only pending SETs: the queue is what it wrote.
  for (const id of streams) n.signalSet += await c.zcard(keys.signals.forStream(id).queue);
  n.signalKey = await c.hlen(keys.signals.keys);
  for (const scope of [...orgIds, PROVIDER_SCOPE]) {
    const k = keys.forOrg(scope);
    n.audit += await c.hlen(k.auditEvents);
    n.outbox += await c.hlen(k.outbox);
    n.outboxCursor += await c.hlen(k.outboxCursors);
    // The operator's webhook endpoints and deliveries are in the provider scope too.
    n.webhook += await c.zcard(k.webhooks);
    n.delivery += await c.zcard(k.deliveries);
    if (scope === PROVIDER_SCOPE) {
      n.purgeReceipt += await c.zcard(k.purgeReceipts);
      continue;
    }
    n.supportGrant += await c.zcard(k.supportGrants);
    n.member += await c.zcard(k.members);
    n.scimToken += await c.zcard(k.scimTokens);
    n.scimClient += await c.zcard(k.scimClients);
    n.invitation += await c.zcard(k.invitations);
    n.inviteLink += await c.zcard(k.inviteLinks);
    n.roleMapping += await c.zcard(k.roleMappings);
    n.merge += await c.exists(k.merge);
    n.domainClaim += await c.zcard(k.domainClaims);
    n.joinRequest += await c.zcard(k.joinRequests);
    const teams = await c.zrange(k.teams, '0', '-1');
    n.team += teams.length;
    for (const t of teams) n.teamMember += await c.zcard(k.teamMembers(t));
    const conns = await c.zrange(k.connections, '0', '-1');
    n.connection += conns.length;
    for (const id of conns) n.run += await c.zcard(k.runsOf(id));
  }
  return n;
}
