import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { GroupSource, Role } from '../../domain/model.js';
import type { RoleChange } from '../../services/role-mappings/service.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

const CHANGE_HEADERS = ['MEMBER', 'USERNAME', 'FROM', 'TO', 'RESULT', 'REASON'];
const changeRow = (c: RoleChange) => [c.memberId, c.userName, c.from, c.to, c.result, c.reason];

interface SetOptions {
  org: string;
  source: GroupSource;
  group: string;
  role: Role;
  precedence?: string;
  json?: boolean;
}

const input = (o: SetOptions) => ({ source: o.source, group: o.group, role: o.role, ...(o.precedence !== undefined ? { precedence: Number(o.precedence) } : {}) });

const onOff = (v: string | undefined, flag: string): boolean | undefined => {
  if (v === undefined) return undefined;
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw new IdsyncError('request.invalid', `${flag} takes on or off`);
};

export function registerRoleMappings(program: Command, io: CliIo): void {
  const r = program.command('role-mappings').description('map upstream groups to roles: members of a mapped group get its role, and lose it when they leave');

  const withGroup = (c: Command) =>
    c
      .requiredOption('--org <id>', 'organization id')
      .requiredOption('--source <source>', 'scim, google, microsoft or github')
      .requiredOption('--group <group>', 'SCIM group id, externalId or displayName; Google group email; Entra group object id; GitHub team slug')
      .requiredOption('--role <role>', 'owner, admin or member')
      .option('--precedence <n>', 'higher wins among the groups a member is in (default 0; equal: the higher role)')
      .option('--json', 'print JSON');

  r.command('list')
    .description('list the mappings of an organization')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.roleMappings.list(o.org));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'SOURCE', 'GROUP', 'ROLE', 'PRECEDENCE'], items.map((m) => [m.id, m.source, m.group, m.role, m.precedence]));
    });

  withGroup(r.command('set').description("map a group to a role (or change its role or precedence) and apply it to the group's members")).action(async (o: SetOptions) => {
    const res = await withServices(io, (s) => s.roleMappings.set(o.org, input(o), CLI_ACTOR));
    if (o.json) return printJson(io, res);
    io.out(`${res.created ? 'created' : 'updated'} role mapping ${res.mapping.id}: ${res.mapping.source} group ${res.mapping.group} -> ${res.mapping.role}; ${res.applied.filter((c) => c.result === 'change').length} role(s) changed`);
    if (res.applied.length) printTable(io, CHANGE_HEADERS, res.applied.map(changeRow));
  });

  withGroup(r.command('preview').description('show whose role would change if this mapping were saved (writes nothing)')).action(async (o: SetOptions) => {
    const res = await withServices(io, (s) => s.roleMappings.preview(o.org, input(o)));
    if (o.json) return printJson(io, res);
    io.out(`${res.evaluated} member(s) of the group evaluated; ${res.changes.length} would change`);
    if (res.changes.length) printTable(io, CHANGE_HEADERS, res.changes.map(changeRow));
  });

  r.command('delete <mapping>')
    .description('delete a mapping (by id, or source:group); its members fall back to their next mapped role, their IdP role or the default role')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (mapping: string, o: { org: string; json?: boolean }) => {
      const res = await withServices(io, (s) => s.roleMappings.delete(o.org, mapping, CLI_ACTOR));
      if (o.json) return printJson(io, res);
      io.out(`deleted role mapping ${res.mapping.id}; ${res.applied.filter((c) => c.result === 'change').length} role(s) changed`);
      if (res.applied.length) printTable(io, CHANGE_HEADERS, res.applied.map(changeRow));
    });

  r.command('reconcile')
    .description("re-evaluate every member of an organization against its mappings and write the roles that moved, in batches (re-running changes nothing)")
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const res = await withServices(io, (s) => s.roleMappings.reconcile(o.org, CLI_ACTOR));
      if (o.json) return printJson(io, res);
      io.out(`${res.evaluated} member(s) evaluated; ${res.changed} role(s) changed, ${res.skipped} skipped by an owner rule`);
      if (res.outcomes.length) printTable(io, ['MEMBER', 'FROM', 'TO', 'RESULT', 'REASON'], res.outcomes.map((c) => [c.memberId, c.from, c.to, c.result, c.reason ?? '']));
    });

  r.command('settings')
    .description("show or change the organization's mapping settings")
    .requiredOption('--org <id>', 'organization id')
    .option('--owner-by-mapping <on|off>', 'a mapping (or the role an IdP sends) may grant and take the owner role, never from the last active owner')
    .option('--manual-overrides-win <on|off>', 'a manual role change on a member a mapping governs is kept and shown instead of refused')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; ownerByMapping?: string; manualOverridesWin?: string; json?: boolean }) => {
      const owner = onOff(o.ownerByMapping, '--owner-by-mapping');
      const manual = onOff(o.manualOverridesWin, '--manual-overrides-win');
      const org = await withServices(io, (s) =>
        owner === undefined && manual === undefined
          ? s.orgs.get(o.org)
          : s.orgs.update(o.org, { settings: { ...(owner !== undefined ? { ownerByMapping: owner } : {}), ...(manual !== undefined ? { manualOverridesWin: manual } : {}) } }, CLI_ACTOR),
      );
      const shown = { ownerByMapping: org.settings.ownerByMapping === true, manualOverridesWin: org.settings.manualOverridesWin === true };
      if (o.json) printJson(io, shown);
      else printTable(io, ['OWNER BY MAPPING', 'MANUAL OVERRIDES WIN'], [[shown.ownerByMapping ? 'on' : 'off', shown.manualOverridesWin ? 'on' : 'off']]);
    });
}
