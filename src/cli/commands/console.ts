import type { Command } from 'commander';
import { CONSOLE_INTENTS, type ConsoleIntent } from '../../domain/console.js';
import { IdsyncError } from '../../domain/errors.js';
import { CLI_PRINCIPAL } from '../../services/authz.js';
import { withServices } from '../context.js';
import type { CliIo } from '../io.js';

export function registerConsole(program: Command, io: CliIo): void {
  program
    .command('console-link')
    .description('print a one-time link that opens the console of an organization, or with --operator of every organization (valid 5 minutes, opens once)')
    .option('--org <id>', 'organization id')
    .option('--operator', "the operator's console: lists every organization and opens any of them")
    .option('--intent <intent>', `what the session may open: ${CONSOLE_INTENTS.join(', ')}`, 'all')
    .option('--json', 'print {"url": …, "expiresAt": …}')
    .action(async (o: { org?: string; operator?: boolean; intent: string; json?: boolean }) => {
      if (!CONSOLE_INTENTS.includes(o.intent as ConsoleIntent)) throw new IdsyncError('request.invalid', `--intent must be one of ${CONSOLE_INTENTS.join(', ')}`);
      if (Boolean(o.org) === Boolean(o.operator)) throw new IdsyncError('request.invalid', 'give either --org ORG_ID or --operator');
      if (o.operator && o.intent !== 'all') throw new IdsyncError('request.invalid', '--operator opens the whole console: leave out --intent');
      const org = o.org;
      const link = await withServices(io, (s) => (org ? s.console.createPortalLink(CLI_PRINCIPAL, org, o.intent as ConsoleIntent) : s.console.createOperatorLink(CLI_PRINCIPAL)));
      if (o.json) io.out(JSON.stringify({ url: link.url, expiresAt: link.expiresAt, intent: link.intent }));
      else io.out(`${link.url}\n(opens once, valid until ${link.expiresAt})`);
    });
}
