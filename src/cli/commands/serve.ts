import type { Command } from 'commander';
import { startDaemon } from '../../app/daemon.js';
import { loadConfig } from '../../config/load.js';
import type { CliIo } from '../io.js';

export function registerServe(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the daemon (what npm start runs)')
    .action(async () => {
      const config = loadConfig({ env: io.env, cwd: io.cwd });
      const daemon = await startDaemon(config);
      await new Promise<void>((resolve) => {
        const onSignal = (signal: NodeJS.Signals) => {
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          io.err(`received ${signal}, shutting down`);
          daemon.stop().then(resolve, resolve);
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });
}
