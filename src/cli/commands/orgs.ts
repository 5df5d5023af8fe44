import type { Command } from 'commander';
import { collect } from '../../ports/paging.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerOrgs(program: Command, io: CliIo): void {
  const orgs = program.command('orgs').description('manage organizations');

  orgs
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .option('--allowed-domain <domain...>', 'restrict members to these email domains')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; allowedDomain?: string[]; json?: boolean }) => {
      const org = await withServices(io, (s) => s.orgs.create({ name: o.name, ...(o.allowedDomain ? { settings: { allowedDomains: o.allowedDomain } } : {}) }, CLI_ACTOR));
      if (o.json) printJson(io, org);
      else io.out(`created organization ${org.id} (${org.name})`);
    });

  orgs
    .command('list')
    .description('list organizations')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = await withServices(io, (s) => collect((page) => s.orgs.list(page)));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'NAME', 'CREATED'], items.map((x) => [x.id, x.name, x.createdAt]));
    });

  orgs
    .command('get <id>')
    .description('show one organization')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const org = await withServices(io, (s) => s.orgs.get(id));
      if (o.json) printJson(io, org);
      else printTable(io, ['ID', 'NAME', 'INVITE TTL (h)', 'PENDING CAP', 'DOMAINS'], [[org.id, org.name, org.settings.inviteTtlHours, org.settings.pendingInviteCap, org.settings.allowedDomains.join(',')]]);
    });
}
