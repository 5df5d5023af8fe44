import type { Command } from 'commander';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerCredentials(program: Command, io: CliIo): void {
  const scim = program.command('scim-tokens').description('SCIM bearer tokens (the token selects the organization)');

  scim
    .command('create')
    .description('create a SCIM token; it is printed once and stored only as a hash')
    .requiredOption('--org <id>', 'organization id')
    .option('--label <text>', 'a label, e.g. the IdP it is for')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; label?: string; json?: boolean }) => {
      const r = await withServices(io, async (s) => {
        await s.orgs.get(o.org);
        return s.credentials.createScimToken(o.org, CLI_ACTOR, o.label);
      });
      if (o.json) printJson(io, { token: r.token, id: r.record.id, orgId: r.record.orgId, prefix: r.record.prefix, createdAt: r.record.createdAt });
      else io.out(`SCIM token ${r.record.id} (shown once, store it now):\n${r.token}`);
    });

  scim
    .command('list')
    .description('list SCIM tokens (never their secrets)')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.credentials.listScimTokens(o.org));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'PREFIX', 'LABEL', 'CREATED', 'REVOKED'], items.map((t) => [t.id, `${t.prefix}…`, t.label, t.createdAt, t.revokedAt]));
    });

  scim
    .command('revoke <tokenId>')
    .description('revoke a SCIM token at once')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const t = await withServices(io, (s) => s.credentials.revokeScimToken(o.org, id, CLI_ACTOR));
      if (o.json) printJson(io, t);
      else io.out(`revoked SCIM token ${t.id}`);
    });

  const keys = program.command('admin-keys').description('admin API keys: provider-wide, or scoped to one organization');

  keys
    .command('create')
    .description('create an admin key; it is printed once and stored only as a hash')
    .option('--org <id>', 'scope the key to this organization (default: provider-wide)')
    .option('--label <text>', 'a label')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; label?: string; json?: boolean }) => {
      const r = await withServices(io, async (s) => {
        if (o.org) await s.orgs.get(o.org);
        return s.credentials.createAdminKey(CLI_ACTOR, { ...(o.org ? { orgId: o.org } : {}), ...(o.label ? { label: o.label } : {}) });
      });
      if (o.json) printJson(io, { key: r.key, id: r.record.id, orgId: r.record.orgId ?? null, prefix: r.record.prefix, createdAt: r.record.createdAt });
      else io.out(`admin key ${r.record.id} (${r.record.orgId ? `organization ${r.record.orgId}` : 'provider-wide'}; shown once, store it now):\n${r.key}`);
    });

  keys
    .command('list')
    .description('list admin keys (never their secrets)')
    .option('--org <id>', 'only keys of this organization')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.credentials.listAdminKeys(o.org));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'PREFIX', 'SCOPE', 'LABEL', 'CREATED', 'REVOKED'], items.map((k) => [k.id, `${k.prefix}…`, k.orgId ?? 'provider', k.label, k.createdAt, k.revokedAt]));
    });

  keys
    .command('revoke <keyId>')
    .description('revoke an admin key at once')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const k = await withServices(io, (s) => s.credentials.revokeAdminKey(id, CLI_ACTOR));
      if (o.json) printJson(io, k);
      else io.out(`revoked admin key ${k.id}`);
    });
}
