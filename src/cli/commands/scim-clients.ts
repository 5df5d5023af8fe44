import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { PublicScimClient } from '../../services/scim-clients/service.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

const days = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new IdsyncError('request.invalid', `--secret-days must be a whole number of days, not ${v}`);
  return n;
};

const secretsCell = (c: PublicScimClient) =>
  c.secrets
    .filter((s) => !s.revokedAt)
    .map((s) => `${s.id.slice(0, 8)} ${s.prefix}… until ${s.expiresAt.slice(0, 10)}`)
    .join(', ');

/** `idsync scim-clients`: OAuth 2.0 client credentials for SCIM (RFC 6749 §4.4), beside static tokens. */
export function registerScimClients(program: Command, io: CliIo): void {
  const cmd = program.command('scim-clients').description('SCIM OAuth clients: an IdP gets access tokens at {public URL}/oauth/token with their id and secret (or a signed JWT)');

  cmd
    .command('create')
    .description('create a client; its secret is printed once and stored only as a hash')
    .requiredOption('--org <id>', 'organization id')
    .option('--label <text>', 'a label, e.g. the IdP it is for')
    .option('--public-key <file>', 'PEM public key the client signs private_key_jwt assertions with')
    .option('--jwks-url <url>', 'https URL of the JWKS the client signs private_key_jwt assertions with')
    .option('--secret-days <n>', 'secret lifetime in days (default 365)', days)
    .option('--json', 'print JSON')
    .action(async (o: { org: string; label?: string; publicKey?: string; jwksUrl?: string; secretDays?: number; json?: boolean }) => {
      const publicKeyPem = o.publicKey ? readFileSync(resolve(io.cwd, o.publicKey), 'utf8') : undefined;
      const r = await withServices(io, async (s) => {
        await s.orgs.get(o.org);
        return s.scimClients.create(o.org, CLI_ACTOR, {
          ...(o.label ? { label: o.label } : {}),
          ...(publicKeyPem ? { publicKeyPem } : {}),
          ...(o.jwksUrl ? { jwksUrl: o.jwksUrl } : {}),
          ...(o.secretDays !== undefined ? { secretTtlDays: o.secretDays } : {}),
        });
      });
      const secret = r.client.secrets[0]!;
      if (o.json) printJson(io, { clientId: r.clientId, clientSecret: r.clientSecret, tokenUrl: r.tokenUrl, orgId: r.client.orgId, secretId: secret.id, secretExpiresAt: secret.expiresAt });
      else io.out(`SCIM OAuth client for organization ${r.client.orgId} (the secret is shown once, store it now):\nClient identifier: ${r.clientId}\nClient secret:     ${r.clientSecret}\nToken endpoint:    ${r.tokenUrl}\nSecret expires:    ${secret.expiresAt}`);
    });

  cmd
    .command('list')
    .description('list clients and their secrets (never the secrets themselves)')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.scimClients.list(o.org));
      if (o.json) printJson(io, items);
      else printTable(io, ['CLIENT ID', 'LABEL', 'KEY', 'LIVE SECRETS', 'CREATED', 'REVOKED'], items.map((c) => [c.id, c.label, c.jwksUrl ?? (c.publicKeyPem ? 'public key' : undefined), secretsCell(c), c.createdAt, c.revokedAt]));
    });

  cmd
    .command('rotate <clientId>')
    .description('add a second live secret; the old one keeps working until revoke-secret')
    .requiredOption('--org <id>', 'organization id')
    .option('--secret-days <n>', 'secret lifetime in days (default 365)', days)
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; secretDays?: number; json?: boolean }) => {
      const r = await withServices(io, (s) => s.scimClients.rotate(o.org, id, CLI_ACTOR, o.secretDays));
      if (o.json) printJson(io, { clientId: r.clientId, clientSecret: r.clientSecret, tokenUrl: r.tokenUrl, secretId: r.secretId });
      else io.out(`new secret ${r.secretId} for ${r.clientId} (shown once; revoke the old one when the IdP has this):\n${r.clientSecret}`);
    });

  cmd
    .command('revoke-secret <clientId> <secretId>')
    .description('revoke one secret; access tokens issued with it stop working at once')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, secretId: string, o: { org: string; json?: boolean }) => {
      const c = await withServices(io, (s) => s.scimClients.revokeSecret(o.org, id, secretId, CLI_ACTOR));
      if (o.json) printJson(io, c);
      else io.out(`revoked secret ${secretId} of ${c.id}`);
    });

  cmd
    .command('revoke <clientId>')
    .description('revoke a client; its access tokens stop working at once')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const c = await withServices(io, (s) => s.scimClients.revoke(o.org, id, CLI_ACTOR));
      if (o.json) printJson(io, c);
      else io.out(`revoked SCIM client ${c.id}`);
    });
}
