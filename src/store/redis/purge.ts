import type { AdminKey, DirectoryConnection, Invitation, InviteLink, ScimClient, ScimToken } from '../../domain/model.js';
import type { Cluster, Redis } from 'ioredis';
import { parseJson, type RedisContext } from './context.js';
import { endOrgConsoleSessions } from './sessions.js';
import { orgEntries, removeCrossOrgEntries } from './cross-org.js';

const BATCH = 500;

/**
 * Removes what an org left in Redis: first the global index entries of its records (token and key
 * hashes, invitation and link hashes, connection, run, client and stream ids, due deliveries, the
 * outbox and request-log scope sets), then every key under the org's hash tag, the org record last.
 * Each step deletes by name, so running it again after a crash removes what is left and nothing else.
 */
export async function purgeOrgKeys(ctx: RedisContext, orgId: string): Promise<void> {
  const k = ctx.keys.forOrg(orgId);
  const g = ctx.keys;
  const records = async <T>(zset: string, key: (id: string) => string): Promise<{ id: string; record: T | undefined }[]> => {
    const ids = await ctx.call((c) => c.zrange(zset, '0', '-1'));
    const out: { id: string; record: T | undefined }[] = [];
    for (let i = 0; i < ids.length; i += BATCH) {
      const part = ids.slice(i, i + BATCH);
      const raw = await ctx.call((c) => c.mget(part.map(key)));
      part.forEach((id, j) => out.push({ id, record: parseJson<T>(raw[j]) }));
    }
    return out;
  };
  const hdel = async (hash: string, fields: string[]) => {
    for (let i = 0; i < fields.length; i += BATCH) await ctx.call((c) => c.hdel(hash, ...fields.slice(i, i + BATCH)));
  };
  const zrem = async (zset: string, members: string[]) => {
    for (let i = 0; i < members.length; i += BATCH) await ctx.call((c) => c.zrem(zset, ...members.slice(i, i + BATCH)));
  };
  const hashes = <T extends { tokenHash?: string; hash?: string }>(rows: { record: T | undefined }[]) =>
    rows.map((r) => r.record?.tokenHash ?? r.record?.hash).filter((h): h is string => h !== undefined);

  const tokens = await records<ScimToken>(k.scimTokens, k.scimToken);
  await hdel(g.scim.byHash, hashes(tokens));
  const keys = await records<AdminKey>(k.adminKeys, k.adminKey);
  await hdel(g.admin.byHash, hashes(keys));
  await hdel(g.admin.byId, keys.map((r) => r.id));
  await zrem(g.admin.all, keys.map((r) => r.id));
  await hdel(g.invites.invitationByHash, hashes(await records<Invitation>(k.invitations, k.invitation)));
  await hdel(g.invites.linkByHash, hashes(await records<InviteLink>(k.inviteLinks, k.inviteLink)));
  const connections = await records<DirectoryConnection>(k.connections, k.connection);
  for (const c of connections) await hdel(g.runs.byId, await ctx.call((cl) => cl.zrange(k.runsOf(c.id), '0', '-1')));
  await hdel(g.connections.byId, connections.map((r) => r.id));
  await zrem(g.connections.all, connections.map((r) => r.id));
  await hdel(g.scimClients.byId, (await records<ScimClient>(k.scimClients, k.scimClient)).map((r) => r.id));
  const deliveries = await ctx.call((c) => c.zrange(k.deliveries, '0', '-1'));
  await zrem(g.webhooks.due, deliveries.map((id) => JSON.stringify([orgId, id])));
  const streams = await ctx.call((c) => c.zrange(k.signalStreams, '0', '-1'));
  if (streams.length > 0) {
    const due = await ctx.call((c) => c.zrange(g.signals.due, '0', '-1'));
    await zrem(g.signals.due, due.filter((entry) => streams.some((s) => entry.startsWith(`${JSON.stringify([s]).slice(0, -1)},`))));
    for (const s of streams) await unlinkMatching(ctx, `${g.prefix}:${globEscape(g.signals.forStream(s).tag)}:*`);
    await hdel(g.signals.byId, streams);
    await zrem(g.signals.all, streams);
  }
  // Domains the org captured: freed for other orgs (only entries still naming this org).
  for (const domain of await ctx.call((c) => c.zrange(k.domainClaims, '0', '-1'))) {
    if ((await ctx.call((c) => c.hget(g.domains.verified, domain))) === orgId) await ctx.call((c) => c.hdel(g.domains.verified, domain));
  }
  await endOrgConsoleSessions(ctx, orgId);
  // Cross-org candidate entries of its records (entries of values they no longer have stay, harmlessly: they name an org that is gone).
  for (const entries of await orgEntries(ctx, orgId, true)) await removeCrossOrgEntries(ctx, entries);
  await ctx.call((c) => c.srem(g.outbox.scopes, orgId));
  await ctx.call((c) => c.srem(g.scimLog.orgs, orgId));
  await unlinkMatching(ctx, `${g.prefix}:${globEscape(k.tag)}:*`, k.org);
  await ctx.call((c) => c.zrem(g.orgs.all, orgId));
  await ctx.call((c) => c.unlink(k.org));
}

/** SCAN (on every master of a Cluster) and UNLINK the keys matching `pattern`, except `keep`. */
async function unlinkMatching(ctx: RedisContext, pattern: string, keep?: string): Promise<void> {
  await ctx.call(async (client) => {
    const nodes: Redis[] = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, found] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        const doomed = found.filter((key) => key !== keep);
        // One key per UNLINK on a Cluster would be needed across slots; these keys share one tag.
        if (doomed.length > 0) await node.unlink(...doomed);
      } while (cursor !== '0');
    }
  });
}

/** Escapes the glob characters of SCAN's MATCH, so an id is matched literally. */
function globEscape(s: string): string {
  return s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
