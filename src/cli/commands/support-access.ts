import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { Principal } from '../../services/authz.js';
import { CLI_PRINCIPAL } from '../../services/authz.js';
import type { Services } from '../../services/index.js';
import type { PublicGrant } from '../../services/support/service.js';
import { withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

const KEY_ENV = 'IDSYNC_ADMIN_KEY';

/**
 * The principal of an org's admin key (`--key`, or IDSYNC_ADMIN_KEY): consent comes from the org's
 * owners, so granting takes the org's key, not the CLI's own (provider) standing. Without a key the
 * CLI acts as the operator (list, revoke, set consent).
 */
async function principalOf(s: Services, io: CliIo, key: string | undefined): Promise<Principal> {
  const secret = key ?? io.env[KEY_ENV];
  if (!secret) return CLI_PRINCIPAL;
  const k = await s.credentials.authenticateAdmin(secret);
  if (!k.orgId) return { kind: 'provider', actor: { kind: 'admin', id: k.id, ...(k.label ? { label: k.label } : {}) } };
  if (k.serviceAccountId) throw new IdsyncError('auth.forbidden', "a service account's key cannot consent to support access; use an owner's org key");
  return { kind: 'org', orgId: k.orgId, role: 'owner', actor: { kind: 'admin', id: k.id, ...(k.label ? { label: k.label } : {}) } };
}

const row = (g: PublicGrant) => [g.id, g.state, g.expiresAt, g.reason, g.grantedBy.id ?? g.grantedBy.kind];

export function registerSupportAccess(program: Command, io: CliIo): void {
  const cmd = program.command('support-access').description("support access with consent: an org's owners grant the operator time-boxed access to its data");

  cmd
    .command('grant')
    .description("grant the operator access to the org's data for N hours (needs the org's admin key: --key or IDSYNC_ADMIN_KEY)")
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--hours <n>', 'how long (1 to 720)', (v) => Number(v))
    .requiredOption('--reason <text>', 'why (kept with the grant and in the audit trail)')
    .option('--key <key>', "the org's admin key (default: IDSYNC_ADMIN_KEY)")
    .option('--json', 'print JSON')
    .action(async (o: { org: string; hours: number; reason: string; key?: string; json?: boolean }) => {
      const g = await withServices(io, async (s) => s.support.grant(await principalOf(s, io, o.key), o.org, { hours: o.hours, reason: o.reason }));
      if (o.json) printJson(io, g);
      else io.out(`granted support access ${g.id} to organization ${g.orgId} until ${g.expiresAt}`);
    });

  cmd
    .command('list')
    .description("list the org's grants, newest first")
    .requiredOption('--org <id>', 'organization')
    .option('--key <key>', "act with this admin key (default: IDSYNC_ADMIN_KEY, else the operator)")
    .option('--json', 'print JSON')
    .action(async (o: { org: string; key?: string; json?: boolean }) => {
      const items = await withServices(io, async (s) => s.support.list(await principalOf(s, io, o.key), o.org));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'STATE', 'EXPIRES', 'REASON', 'GRANTED BY'], items.map(row));
    });

  cmd
    .command('revoke')
    .description('end a grant now')
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--grant <id>', 'grant id')
    .option('--key <key>', "act with this admin key (default: IDSYNC_ADMIN_KEY, else the operator)")
    .option('--json', 'print JSON')
    .action(async (o: { org: string; grant: string; key?: string; json?: boolean }) => {
      const g = await withServices(io, async (s) => s.support.revoke(await principalOf(s, io, o.key), o.org, o.grant));
      if (o.json) printJson(io, g);
      else io.out(`revoked support access ${g.id} of organization ${g.orgId}`);
    });

  cmd
    .command('mode')
    .description("set the org's support access: consent (only under a grant) or open (an owner's key is needed to lift consent)")
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--set <mode>', 'open or consent')
    .option('--key <key>', "act with this admin key (default: IDSYNC_ADMIN_KEY, else the operator)")
    .option('--json', 'print JSON')
    .action(async (o: { org: string; set: 'open' | 'consent'; key?: string; json?: boolean }) => {
      const org = await withServices(io, async (s) => s.support.setMode(await principalOf(s, io, o.key), o.org, o.set));
      if (o.json) printJson(io, org);
      else io.out(`organization ${org.id}: support access ${org.settings.supportAccess ?? 'open'}`);
    });
}
