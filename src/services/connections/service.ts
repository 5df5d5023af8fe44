import { randomUUID } from 'node:crypto';
import { validate as validateCron } from 'node-cron';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor, DirectoryConnection, DirectoryProvider } from '../../domain/model.js';
import { supportsChannels, supportsSubscriptions, type ConnectorDeps, type ConnectorRegistry, type DirectoryConnector } from '../../ports/directory.js';
import { testConnection, type ConnectionTestResult } from './test-connection.js';
import type { ServiceDeps } from '../deps.js';
import type { SecretBox } from '../secret-box.js';
import { parseInput } from '../validate.js';
import { DEFAULT_SCHEDULE, policySchema } from './policy.js';
import { notificationView, realtimeOf, type NotificationView } from '../notifications/state.js';
import type { MemberWriter } from '../members/writer.js';
import { takeRunSlot } from '../reconcile/single-flight.js';
import type { TeamService } from '../teams.js';
import { releaseConnection, type Released } from './release.js';

/** What an admin must fix before scheduled runs resume (health `action_required`). */
export interface ActionRequired {
  code: string;
  message: string;
  hint: string;
  runId: string;
  at: string;
}

/** A connection as it may be shown: no ciphertext, settings already free of secrets. */
export type PublicConnection = Omit<DirectoryConnection, 'credentialsCiphertext'> & { credentials: 'stored' | 'none'; actionRequired?: ActionRequired; notifications?: NotificationView };

const createSchema = z.object({
  provider: z.enum(['google', 'microsoft', 'github']),
  name: z.string().trim().min(1).max(200).optional(),
  config: z.record(z.string(), z.unknown()),
  schedule: z.string().optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
});

const updateSchema = z.object({
  name: z.string().trim().min(1).max(200).optional(),
  /** Merged over the stored config: give only what changes (a secret key given replaces the stored secret). */
  config: z.record(z.string(), z.unknown()).optional(),
  schedule: z.string().optional(),
  policy: z.record(z.string(), z.unknown()).optional(),
  enabled: z.boolean().optional(),
});

function assertSchedule(schedule: string): void {
  if (!validateCron(schedule)) throw new IdsyncError('request.invalid', `schedule: "${schedule}" is not a valid cron expression`, { problems: [{ field: 'schedule', message: 'invalid cron expression' }] });
}

export function publicConnection(c: DirectoryConnection): PublicConnection {
  const { credentialsCiphertext, ...rest } = c;
  const fix = c.health === 'action_required' ? actionRequiredOf(c) : undefined;
  // The notification state without its sealed clientState.
  const { realtime: _sealed, ...syncState } = c.syncState;
  const notifications = notificationView(c);
  return { ...rest, syncState, credentials: credentialsCiphertext ? 'stored' : 'none', ...(fix ? { actionRequired: fix } : {}), ...(notifications ? { notifications } : {}) };
}

/** The terminal failure the reconciler recorded in the connection's sync state. */
function actionRequiredOf(c: DirectoryConnection): ActionRequired | undefined {
  const v = c.syncState.actionRequired as Partial<ActionRequired> | undefined;
  if (!v || typeof v.code !== 'string') return undefined;
  return { code: v.code, message: String(v.message ?? ''), hint: String(v.hint ?? ''), runId: String(v.runId ?? ''), at: String(v.at ?? '') };
}

/**
 * The connection with a terminal failure cleared (health back to unknown until the next run):
 * someone changed what the failure was about, or a test showed it works again.
 */
function cleared(c: DirectoryConnection): Pick<DirectoryConnection, 'health' | 'syncState'> {
  if (c.health !== 'action_required') return { health: c.health, syncState: c.syncState };
  const { actionRequired: _fixed, ...syncState } = c.syncState;
  return { health: 'unknown', syncState };
}

/**
 * Directory connections: config validated by the provider's connector, secrets sealed at rest and
 * never returned, policy defaults applied, every change audited.
 */
export class ConnectionService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly registry: ConnectorRegistry,
    private readonly box: SecretBox,
    private readonly release: { writer: MemberWriter; teams: TeamService },
  ) {}

  async create(orgId: string, input: unknown, actor: Actor): Promise<PublicConnection> {
    const data = parseInput(createSchema, input);
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
    const factory = this.registry.get(data.provider);
    const parsed = factory.parseConfig(data.config);
    const schedule = data.schedule ?? DEFAULT_SCHEDULE;
    assertSchedule(schedule);
    const policy = parseInput(policySchema, data.policy ?? {});
    const { settings, secrets } = this.split(data.provider, data.config);
    const at = this.deps.clock.now().toISOString();
    const conn: DirectoryConnection = {
      id: randomUUID(),
      orgId,
      provider: data.provider,
      name: data.name ?? `${data.provider} directory`,
      settings,
      credentialsCiphertext: Object.keys(secrets).length ? this.box.seal(JSON.stringify(secrets)) : '',
      schedule,
      policy,
      syncState: {},
      health: 'unknown',
      enabled: data.enabled ?? true,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    await this.deps.store.createConnection(conn, {
      orgId,
      actor,
      action: 'connection.created',
      target: { type: 'connection', id: conn.id },
      after: { provider: conn.provider, name: conn.name, settings: parsed.redacted, schedule, policy },
    });
    return publicConnection(conn);
  }

  async get(id: string, orgId?: string): Promise<DirectoryConnection> {
    const c = await this.deps.store.getConnection(id);
    if (!c || (orgId !== undefined && c.orgId !== orgId)) throw new IdsyncError('connection.not_found', `connection ${id} not found`, { connectionId: id });
    return c;
  }

  async list(orgId?: string): Promise<PublicConnection[]> {
    return (await this.deps.store.listConnections(orgId)).map(publicConnection);
  }

  async update(id: string, input: unknown, actor: Actor, orgId?: string): Promise<PublicConnection> {
    const data = parseInput(updateSchema, input);
    const current = await this.get(id, orgId);
    if (data.schedule !== undefined) assertSchedule(data.schedule);
    const policy = data.policy ? parseInput(policySchema, { ...current.policy, ...data.policy }) : undefined;
    let settings = current.settings;
    let ciphertext = current.credentialsCiphertext;
    if (data.config) {
      const merged = { ...this.fullConfig(current), ...data.config };
      this.registry.get(current.provider).parseConfig(merged);
      const split = this.split(current.provider, merged);
      settings = split.settings;
      ciphertext = Object.keys(split.secrets).length ? this.box.seal(JSON.stringify(split.secrets)) : '';
    }
    const at = this.deps.clock.now().toISOString();
    // A terminal failure is about the config, the credentials or the policy: changing one lets scheduled runs try again.
    const fixes = data.config !== undefined || data.policy !== undefined || data.enabled === true;
    const { record } = await this.deps.store.updateConnection(current.orgId, id, (cur) => ({
      next: {
        ...cur,
        ...(fixes ? cleared(cur) : {}),
        ...(data.name ? { name: data.name } : {}),
        ...(data.schedule ? { schedule: data.schedule } : {}),
        ...(policy ? { policy } : {}),
        ...(data.enabled !== undefined ? { enabled: data.enabled } : {}),
        settings,
        credentialsCiphertext: ciphertext,
        updatedAt: at,
      },
      audit: {
        orgId: cur.orgId,
        actor,
        action: 'connection.updated',
        target: { type: 'connection', id },
        after: { name: data.name, schedule: data.schedule, policy, enabled: data.enabled, configKeys: data.config ? Object.keys(data.config) : undefined },
      },
    }));
    return publicConnection(record);
  }

  /**
   * Sets which directory groups the reconciler keeps as teams (config `groups`; null: none), checked
   * by the provider's config schema. Teams of groups no longer selected are emptied by the next run
   * (under the team_shrink guard); a Graph group cursor of another selection is not reused.
   */
  async setGroups(id: string, groups: unknown, actor: Actor, orgId?: string): Promise<PublicConnection> {
    const current = await this.get(id, orgId);
    const { groups: before, ...rest } = this.fullConfig(current);
    const merged = groups === null ? rest : { ...rest, groups };
    const parsed = this.registry.get(current.provider).parseConfig(merged);
    const { settings } = this.split(current.provider, merged);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateConnection(current.orgId, id, (cur) => ({
      next: { ...cur, ...cleared(cur), settings, updatedAt: at },
      audit: { orgId: cur.orgId, actor, action: 'connection.groups_set', target: { type: 'connection', id }, before: { groups: before ?? null }, after: { groups: parsed.redacted.groups ?? null } },
    }));
    return publicConnection(record);
  }

  /**
   * Deletes a connection after handing what it manages to admins (releaseConnection): its members
   * become admin-managed and its teams lose their group link, each audited. It holds the
   * connection's run slot throughout, so no run adopts or writes meanwhile (a run in progress makes
   * it answer `run.in_progress`). Release first, delete last: a delete cut off half way leaves the
   * connection in place and the same delete, called again, finishes the release and deletes it.
   */
  async delete(id: string, actor: Actor, orgId?: string): Promise<Released> {
    const c = await this.get(id, orgId);
    const slot = await takeRunSlot(this.deps.store, c.id, `delete:${randomUUID()}`, this.deps.logger);
    try {
      await this.dropSubscription(c);
      const released = await releaseConnection(this.deps, this.release.writer, this.release.teams, c, actor);
      await this.deps.store.deleteConnection(c.orgId, id, { orgId: c.orgId, actor, action: 'connection.deleted', target: { type: 'connection', id }, after: { releasedMembers: released.members, releasedTeams: released.teams } });
      return released;
    } finally {
      await slot.release();
    }
  }

  /** A connector for one run (its request budget and deadline start now). */
  open(conn: DirectoryConnection, deps: Partial<ConnectorDeps> = {}): DirectoryConnector {
    const factory = this.registry.get(conn.provider);
    return factory.open(factory.parseConfig(this.fullConfig(conn)), { logger: this.deps.logger.child({ connectionId: conn.id }), clock: this.deps.clock, ...deps });
  }

  /**
   * Authenticates and lists. A successful test releases a connection stopped by a terminal failure
   * (`release: false` for read-only checks such as `idsync doctor`).
   */
  async test(id: string, orgId?: string, opts: { release?: boolean } = {}): Promise<ConnectionTestResult> {
    const conn = await this.get(id, orgId);
    const result = await testConnection(this.open(conn));
    if (result.ok && conn.health === 'action_required' && opts.release !== false) await this.deps.store.saveConnectionState(conn.orgId, conn.id, cleared(conn));
    return result;
  }

  /**
   * A deleted connection's Graph subscription is deleted and its Google push channels stopped too
   * (best effort: left behind, they only send messages that answer 404 until they expire, within
   * days for Graph and hours for Google).
   */
  private async dropSubscription(c: DirectoryConnection): Promise<void> {
    const realtime = realtimeOf(c);
    if (!realtime.subscription && !realtime.channels?.length) return;
    let connector: DirectoryConnector;
    try {
      connector = this.open(c);
    } catch (err) {
      this.deps.logger.warn('could not end the change notifications of a deleted connection; they expire on their own', { connectionId: c.id, error: (err as Error).message });
      return;
    }
    const ends: Array<() => Promise<void>> = [];
    if (realtime.subscription && supportsSubscriptions(connector)) ends.push(() => connector.deleteSubscription(realtime.subscription!.id));
    if (supportsChannels(connector)) for (const ch of realtime.channels ?? []) if (ch.resourceId) ends.push(() => connector.stopChannel({ id: ch.id, resourceId: ch.resourceId! }));
    for (const end of ends) {
      await end().catch((err: unknown) => this.deps.logger.warn('could not end a change notification of a deleted connection; it expires on its own', { connectionId: c.id, error: (err as Error).message }));
    }
  }

  /** The connection's webhook secret (GitHub `webhookSecret`), opened for a signature check. */
  webhookSecret(conn: DirectoryConnection): string | undefined {
    const v = this.fullConfig(conn).webhookSecret;
    return typeof v === 'string' ? v : undefined;
  }

  private fullConfig(conn: DirectoryConnection): Record<string, unknown> {
    const secrets = conn.credentialsCiphertext ? (JSON.parse(this.box.open(conn.credentialsCiphertext)) as Record<string, unknown>) : {};
    return { ...conn.settings, ...secrets };
  }

  private split(provider: DirectoryProvider, config: Record<string, unknown>) {
    const secretKeys = new Set(this.registry.get(provider).secretKeys);
    const settings: Record<string, unknown> = {};
    const secrets: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config)) (secretKeys.has(k) ? secrets : settings)[k] = v;
    return { settings, secrets };
  }
}
