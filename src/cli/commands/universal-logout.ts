import type { Command } from 'commander';
import { CLI_PRINCIPAL } from '../../services/authz.js';
import { withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerUniversalLogout(program: Command, io: CliIo): void {
  const ul = program.command('universal-logout').description("Okta Universal Logout: whose signed revocation requests an organization accepts");

  ul.command('set')
    .description('set up (or change) Universal Logout for an organization; prints the endpoint to give Okta')
    .requiredOption('--org <id>', 'organization')
    .requiredOption('--issuer <url>', 'the iss of the requests: the Okta org URL (https://acme.okta.com)')
    .option('--jwks-uri <url>', "the issuer's JWKS (default ISSUER/oauth2/v1/keys)")
    .option('--audience <aud>', "the aud of the requests (default the org's endpoint URL)")
    .option('--json', 'print JSON')
    .action(async (o: { org: string; issuer: string; jwksUri?: string; audience?: string; json?: boolean }) => {
      const v = await withServices(io, (s) => s.universalLogout.set(CLI_PRINCIPAL, o.org, { issuer: o.issuer, ...(o.jwksUri ? { jwksUri: o.jwksUri } : {}), ...(o.audience ? { audience: o.audience } : {}) }));
      if (o.json) printJson(io, v);
      else io.out(`Universal Logout set up for ${o.org}: endpoint ${v.endpoint}, issuer ${v.issuer}, JWKS ${v.jwksUri}, audience ${v.audience}`);
    });

  ul.command('show')
    .description("show an organization's Universal Logout settings")
    .requiredOption('--org <id>', 'organization')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const v = await withServices(io, (s) => s.universalLogout.get(CLI_PRINCIPAL, o.org));
      if (o.json) printJson(io, v);
      else printTable(io, ['ENDPOINT', 'ISSUER', 'JWKS', 'AUDIENCE'], [[v.endpoint, v.issuer, v.jwksUri, v.audience]]);
    });

  ul.command('remove')
    .description('turn Universal Logout off for an organization')
    .requiredOption('--org <id>', 'organization')
    .action(async (o: { org: string }) => {
      await withServices(io, (s) => s.universalLogout.remove(CLI_PRINCIPAL, o.org));
      io.out(`Universal Logout removed for ${o.org}`);
    });
}
