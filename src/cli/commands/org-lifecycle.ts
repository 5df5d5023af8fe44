import type { Command } from 'commander';
import { CLI_PRINCIPAL } from '../../services/authz.js';
import { withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

/** `orgs delete`, `orgs restore`, `orgs purge` and `orgs receipts`: deletion with a grace period. */
export function registerOrgLifecycle(orgs: Command, io: CliIo): void {
  orgs
    .command('delete <id>')
    .description('delete an organization: it stops working at once and is purged after orgs.deletionGraceDays (restore it until then)')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { reason?: string; json?: boolean }) => {
      const org = await withServices(io, (s) => s.orgDeletion.delete(CLI_PRINCIPAL, id, o.reason));
      if (o.json) printJson(io, org);
      else io.out(`organization ${org.id} is scheduled for deletion; its data will be purged at ${org.deletion?.purgeAt} unless restored`);
    });

  orgs
    .command('restore <id>')
    .description('restore an organization scheduled for deletion')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const org = await withServices(io, (s) => s.orgDeletion.restore(CLI_PRINCIPAL, id));
      if (o.json) printJson(io, org);
      else io.out(`organization ${org.id} restored`);
    });

  orgs
    .command('purge')
    .description('purge now every organization whose deletion grace period is over (the daemon does it hourly); an interrupted purge finishes')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const r = await withServices(io, (s) => s.orgDeletion.purgeDue());
      if (o.json) printJson(io, r);
      else {
        io.out(`purged ${r.purged.length} organization(s)${r.failed.length ? `; ${r.failed.length} failed (retried next pass)` : ''}`);
        for (const f of r.failed) io.err(`failed ${f.orgId}: ${f.error}`);
      }
      if (r.failed.length > 0) io.exitCode = 1;
    });

  orgs
    .command('receipts')
    .description('receipts of purged organizations: the last hash and length of each audit chain')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = await withServices(io, (s) => s.orgDeletion.receipts());
      if (o.json) printJson(io, items);
      else printTable(io, ['ORG', 'NAME', 'PURGED', 'EVENTS', 'LAST HASH'], items.map((r) => [r.orgId, r.name, r.purgedAt, r.auditCount, r.lastAuditHash]));
    });
}
