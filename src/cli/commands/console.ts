import type { Command } from 'commander';
import { CONSOLE_INTENTS, type ConsoleIntent } from '../../domain/console.js';
import { IdsyncError } from '../../domain/errors.js';
import { CLI_PRINCIPAL } from '../../services/authz.js';
import { withServices } from '../context.js';
import type { CliIo } from '../io.js';

export function registerConsole(program: Command, io: CliIo): void {
  program
    .command('console-link')
    .description('print a one-time link that opens the console of an organization (valid 5 minutes, opens once)')
    .requiredOption('--org <id>', 'organization id')
    .option('--intent <intent>', `what the session may open: ${CONSOLE_INTENTS.join(', ')}`, 'all')
    .option('--json', 'print {"url": …, "expiresAt": …}')
    .action(async (o: { org: string; intent: string; json?: boolean }) => {
      if (!CONSOLE_INTENTS.includes(o.intent as ConsoleIntent)) throw new IdsyncError('request.invalid', `--intent must be one of ${CONSOLE_INTENTS.join(', ')}`);
      const link = await withServices(io, (s) => s.console.createPortalLink(CLI_PRINCIPAL, o.org, o.intent as ConsoleIntent));
      if (o.json) io.out(JSON.stringify({ url: link.url, expiresAt: link.expiresAt, intent: link.intent }));
      else io.out(`${link.url}\n(opens once, valid until ${link.expiresAt})`);
    });
}
