import type { Command } from 'commander';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerServiceAccounts(program: Command, io: CliIo): void {
  const sa = program.command('service-accounts').description("applications' accounts (members of kind service) and their credentials");

  sa.command('create')
    .description('create a service account and its credential (the key is printed once)')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--name <name>', 'the application it is for')
    .option('--role <role>', 'admin or member', 'member')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; name: string; role: 'admin' | 'member'; json?: boolean }) => {
      const r = await withServices(io, (s) => s.serviceAccounts.create(o.org, { name: o.name, role: o.role }, CLI_ACTOR));
      if (o.json) return printJson(io, r);
      io.out(`created service account ${r.account.id} (${r.account.displayName}, ${r.account.role})`);
      io.out(`key (shown once): ${r.key}`);
    });

  sa.command('list')
    .description('list service accounts with their live credential')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.serviceAccounts.list(o.org));
      if (o.json) return printJson(io, items);
      printTable(io, ['ID', 'NAME', 'ROLE', 'STATUS', 'KEY'], items.map((x) => [x.account.id, x.account.displayName ?? '', x.account.role, x.account.status, x.credential ? `${x.credential.prefix}… (${x.credential.id})` : 'none']));
    });

  sa.command('rotate <id>')
    .description('issue a new key and revoke the old one at once (the key is printed once)')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.serviceAccounts.rotate(o.org, id, CLI_ACTOR));
      if (o.json) return printJson(io, r);
      io.out(`rotated the key of ${r.account.displayName} (revoked: ${r.revoked.join(', ') || 'none'})`);
      io.out(`key (shown once): ${r.key}`);
    });

  sa.command('revoke <id>')
    .description("revoke the service account's key (the account stays)")
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.serviceAccounts.revoke(o.org, id, CLI_ACTOR));
      if (o.json) return printJson(io, r);
      io.out(`revoked ${r.revoked.length} key(s) of ${r.account.displayName}`);
    });
}
