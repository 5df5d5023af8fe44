import type { Command } from 'commander';
import type { Member, MemberStatus, Role } from '../../domain/model.js';
import { describeRoleSource, roleSourceOf } from '../../domain/role-mappings.js';
import { collect } from '../../ports/paging.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

const row = (m: Member) => [m.id, m.userName, [m.name.givenName, m.name.familyName].filter(Boolean).join(' '), m.role, m.status, m.managedBy.kind, describeRoleSource(roleSourceOf(m))];
const HEADERS = ['ID', 'USERNAME', 'NAME', 'ROLE', 'STATUS', 'MANAGED BY', 'ROLE FROM'];
/** As --json prints it: with where the role comes from, recorded or derived (as the admin API shows it). */
const shown = (m: Member): Member => ({ ...m, roleSource: roleSourceOf(m) });

export function registerMembers(program: Command, io: CliIo): void {
  const members = program.command('members').description('manage the members of an organization');

  members
    .command('add')
    .description('create a member directly, as an admin filling a form')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--email <email>', 'email address (also the userName unless --user-name)')
    .option('--first <name>', 'first name')
    .option('--last <name>', 'last name')
    .option('--role <role>', 'owner, admin or member', 'member')
    .option('--user-name <userName>', 'userName, when it differs from the email')
    .option('--external-id <id>', 'externalId')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; email: string; first?: string; last?: string; role: Role; userName?: string; externalId?: string; json?: boolean }) => {
      const m = await withServices(io, (s) =>
        s.members.create(
          o.org,
          {
            email: o.email,
            role: o.role,
            ...(o.first ? { givenName: o.first } : {}),
            ...(o.last ? { familyName: o.last } : {}),
            ...(o.userName ? { userName: o.userName } : {}),
            ...(o.externalId ? { externalId: o.externalId } : {}),
          },
          CLI_ACTOR,
        ),
      );
      if (o.json) printJson(io, m);
      else io.out(`added member ${m.id} (${m.userName}) as ${m.role}`);
    });

  members
    .command('list')
    .description('list members with their status')
    .requiredOption('--org <id>', 'organization id')
    .option('--status <status...>', 'only these statuses: active, inactive, removed')
    .option('--kind <kind>', 'person (default) or service')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; status?: MemberStatus[]; kind?: 'person' | 'service'; json?: boolean }) => {
      const items = await withServices(io, (s) => collect((page) => s.members.list(o.org, { ...page, ...(o.status ? { statuses: o.status } : {}), ...(o.kind ? { kinds: [o.kind] } : {}) })));
      if (o.json) printJson(io, items.map(shown));
      else printTable(io, HEADERS, items.map(row));
    });

  members
    .command('get <member>')
    .description('show one member (by id or userName)')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (member: string, o: { org: string; json?: boolean }) => {
      const m = await withServices(io, (s) => s.members.resolve(o.org, member));
      if (o.json) printJson(io, shown(m));
      else printTable(io, HEADERS, [row(m)]);
    });

  for (const verb of ['deactivate', 'activate'] as const) {
    members
      .command(`${verb} <member...>`)
      .description(`${verb} members (by id or userName)`)
      .requiredOption('--org <id>', 'organization id')
      .option('--reason <text>', 'why (recorded in the audit trail)')
      .option('--json', 'print JSON')
      .action(async (list: string[], o: { org: string; reason?: string; json?: boolean }) => {
        const done = await withServices(io, async (s) => {
          const out: Member[] = [];
          for (const ref of list) {
            const m = await s.members.resolve(o.org, ref);
            out.push(
              verb === 'deactivate'
                ? await s.members.deactivate(o.org, m.id, CLI_ACTOR, o.reason ?? 'deactivated with the CLI')
                : await s.members.activate(o.org, m.id, CLI_ACTOR, o.reason ?? 'activated with the CLI'),
            );
          }
          return out;
        });
        if (o.json) printJson(io, done);
        else printTable(io, HEADERS, done.map(row));
      });
  }

  members
    .command('role <member>')
    .description('change a member role')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--role <role>', 'owner, admin or member')
    .option('--json', 'print JSON')
    .action(async (member: string, o: { org: string; role: Role; json?: boolean }) => {
      const m = await withServices(io, async (s) => s.members.changeRole(o.org, (await s.members.resolve(o.org, member)).id, o.role, CLI_ACTOR));
      if (o.json) printJson(io, m);
      else printTable(io, HEADERS, [row(m)]);
    });

  members
    .command('remove <member...>')
    .description('remove members for good (by id or userName); removed members are never reactivated')
    .requiredOption('--org <id>', 'organization id')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (list: string[], o: { org: string; reason?: string; json?: boolean }) => {
      const result = await withServices(io, async (s) => {
        const ids: string[] = [];
        const unknown: { id: string; code: 'member.not_found'; message: string }[] = [];
        for (const ref of list) {
          try {
            ids.push((await s.members.resolve(o.org, ref)).id);
          } catch {
            unknown.push({ id: ref, code: 'member.not_found', message: `member ${ref} not found` });
          }
        }
        const r = await s.members.removeMany(o.org, ids, CLI_ACTOR, o.reason ?? 'removed with the CLI');
        return { ...r, skipped: [...unknown, ...r.skipped] };
      });
      if (o.json) printJson(io, result);
      else {
        io.out(`removed ${result.removed} member(s)`);
        for (const s of result.skipped) io.out(`skipped ${s.id}: ${s.code}: ${s.message}`);
      }
      if (result.skipped.length > 0) io.exitCode = 1;
    });
}
