import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { IdsyncError } from '../../domain/errors.js';
import { publicConnection, type PublicConnection } from '../../services/connections/service.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

function readConfigFile(io: CliIo, file: string): Record<string, unknown> {
  const path = resolve(io.cwd, file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new IdsyncError('request.invalid', `cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new IdsyncError('request.invalid', `${path} is not valid JSON or YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new IdsyncError('request.invalid', `${path} must hold a mapping of connection settings`);
  return doc as Record<string, unknown>;
}

/** The health column: a terminal failure names its code, so the table alone says what broke. */
function healthText(c: PublicConnection): string {
  return c.actionRequired ? `${c.health} (${c.actionRequired.code})` : c.health;
}

export function registerConnections(program: Command, io: CliIo): void {
  const c = program.command('connections').description('directory connections (Google Workspace, Microsoft Entra ID via Graph, GitHub)');

  c.command('create')
    .description('store a connection; credentials are encrypted at rest and never printed again')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--provider <provider>', 'google, microsoft or github')
    .requiredOption('--config <file>', 'JSON or YAML file with the provider settings and credentials')
    .option('--name <name>', 'a display name')
    .option('--schedule <cron>', 'reconcile schedule (default every 15 minutes)')
    .option('--policy <file>', 'JSON or YAML file with the reconcile policy')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; provider: string; config: string; name?: string; schedule?: string; policy?: string; json?: boolean }) => {
      const config = readConfigFile(io, o.config);
      const policy = o.policy ? readConfigFile(io, o.policy) : undefined;
      const conn = await withServices(io, (s) =>
        s.connections.create(o.org, { provider: o.provider, config, ...(o.name ? { name: o.name } : {}), ...(o.schedule ? { schedule: o.schedule } : {}), ...(policy ? { policy } : {}) }, CLI_ACTOR),
      );
      if (o.json) printJson(io, conn);
      else io.out(`created connection ${conn.id} (${conn.provider}, schedule ${conn.schedule})`);
    });

  c.command('list')
    .description('list connections')
    .option('--org <id>', 'only this organization')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.connections.list(o.org));
      if (o.json) printJson(io, items);
      else {
        printTable(io, ['ID', 'ORG', 'PROVIDER', 'NAME', 'SCHEDULE', 'ENABLED', 'HEALTH', 'LAST RUN'], items.map((x) => [x.id, x.orgId, x.provider, x.name, x.schedule, String(x.enabled), healthText(x), x.lastRunAt]));
        for (const x of items) if (x.actionRequired) io.out(`${x.id}: ${x.actionRequired.code}: ${x.actionRequired.hint}`);
      }
    });

  c.command('get <id>')
    .description('show a connection (never its credentials)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const conn = await withServices(io, async (s) => publicConnection(await s.connections.get(id)));
      if (o.json) printJson(io, conn);
      else {
        printTable(io, ['ID', 'ORG', 'PROVIDER', 'NAME', 'SCHEDULE', 'ENABLED', 'HEALTH'], [[conn.id, conn.orgId, conn.provider, conn.name, conn.schedule, String(conn.enabled), healthText(conn)]]);
        if (conn.actionRequired) io.out(`to fix: ${conn.actionRequired.hint} (${conn.actionRequired.message})`);
        const n = conn.notifications;
        if (n) {
          const where = n.channels ? `channels ${n.channels.map((c) => `${c.event} ${c.id} until ${c.expiresAt ?? '-'}`).join(', ') || '-'}` : `subscription ${n.subscriptionId ?? '-'} until ${n.expiresAt ?? '-'}`;
          io.out(`notifications: ${where}; last message ${n.lastMessageAt ?? 'never'}${n.lastError ? `; last error ${n.lastError.at}: ${n.lastError.message}` : ''}`);
        }
      }
    });

  c.command('update <id>')
    .description('change settings, credentials, schedule or policy')
    .option('--config <file>', 'settings to merge over the stored ones (a credential given replaces the stored one)')
    .option('--policy <file>', 'policy keys to merge over the stored policy')
    .option('--schedule <cron>', 'new schedule')
    .option('--name <name>', 'new name')
    .option('--enable', 'run on schedule')
    .option('--disable', 'stop running on schedule')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { config?: string; policy?: string; schedule?: string; name?: string; enable?: boolean; disable?: boolean; json?: boolean }) => {
      const input = {
        ...(o.config ? { config: readConfigFile(io, o.config) } : {}),
        ...(o.policy ? { policy: readConfigFile(io, o.policy) } : {}),
        ...(o.schedule ? { schedule: o.schedule } : {}),
        ...(o.name ? { name: o.name } : {}),
        ...(o.enable ? { enabled: true } : o.disable ? { enabled: false } : {}),
      };
      const conn = await withServices(io, (s) => s.connections.update(id, input, CLI_ACTOR));
      if (o.json) printJson(io, conn);
      else io.out(`updated connection ${conn.id}`);
    });

  c.command('groups <id>')
    .description('select the directory groups kept as teams (Google group emails, Entra group ids, GitHub team slugs)')
    .option('--all', 'every group of the directory')
    .option('--names <list>', 'comma-separated: Google group emails, Entra group object ids, or GitHub team slugs')
    .option('--query <q>', 'Google groups.list query (email:eng*) or an Entra /groups $filter')
    .option('--none', 'stop keeping groups as teams')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { all?: boolean; names?: string; query?: string; none?: boolean; json?: boolean }) => {
      const given = [o.all, o.names, o.query, o.none].filter((v) => v !== undefined).length;
      if (given !== 1) throw new IdsyncError('request.invalid', 'give exactly one of --all, --names, --query or --none');
      const conn = await withServices(io, async (s) => {
        const provider = (await s.connections.get(id)).provider;
        return s.connections.setGroups(id, groupSelection(provider, o), CLI_ACTOR);
      });
      if (o.json) printJson(io, conn);
      else io.out(`connection ${conn.id} keeps groups: ${JSON.stringify(conn.settings.groups ?? 'none')}`);
    });

  c.command('delete <id>')
    .description('delete a connection, releasing its members and teams to admins first')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const released = await withServices(io, (s) => s.connections.delete(id, CLI_ACTOR));
      if (o.json) printJson(io, { deleted: id, releasedMembers: released.members, releasedTeams: released.teams });
      else io.out(`deleted connection ${id} (released to admins: ${released.members} members, ${released.teams} teams)`);
    });

  c.command('invite-link <id>')
    .description("print the join URL of the connection's directory-gated invite link (policy.inviteLink)")
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const r = await withServices(io, (s) => s.reconcile.inviteLinkUrl(id));
      if (o.json) printJson(io, r);
      else io.out(r.url);
    });

  c.command('test <id>')
    .description('authenticate, list the whole directory, and report {ok, users, pages, apiCalls, complete, durationMs} or the precise error')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const r = await withServices(io, (s) => s.connections.test(id));
      if (o.json) printJson(io, r);
      else if (r.ok) io.out(`ok: ${r.users} users in ${r.pages} pages, ${r.apiCalls} API calls, ${r.durationMs} ms`);
      else io.out(`FAILED: ${r.error?.code ?? 'connector.incomplete'}: ${r.error?.message ?? 'the listing did not complete'} (${r.users} users read, ${r.apiCalls} API calls)`);
      if (!r.ok) io.exitCode = 1;
    });
}

/** The CLI's flags as the provider's `groups` value (validated by the connector's config schema). */
function groupSelection(provider: string, o: { all?: boolean; names?: string; query?: string; none?: boolean }): unknown {
  if (o.none) return null;
  if (o.all) return 'all';
  if (o.names !== undefined) {
    const names = o.names.split(',').map((x) => x.trim()).filter(Boolean);
    return { [provider === 'google' ? 'emails' : provider === 'microsoft' ? 'ids' : 'slugs']: names };
  }
  if (provider === 'github') throw new IdsyncError('request.invalid', '--query: GitHub teams are selected by --names (slugs) or --all');
  return { [provider === 'google' ? 'query' : 'filter']: o.query };
}
