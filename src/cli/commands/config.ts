import type { Command } from 'commander';
import { configTable, exampleYaml } from '../../config/docs.js';
import { loadConfig } from '../../config/load.js';
import { KEYS } from '../../config/schema.js';
import { printJson, type CliIo } from '../io.js';

export function registerConfig(program: Command, io: CliIo): void {
  const config = program.command('config').description('inspect configuration');

  config
    .command('check')
    .description('validate the configuration (file and environment) and print it, secrets hidden')
    .action(() => {
      const c = loadConfig({ env: io.env, cwd: io.cwd });
      const shown = JSON.parse(JSON.stringify(c)) as Record<string, unknown>;
      for (const k of KEYS.filter((x) => x.secret)) {
        const parts = k.path.split('.');
        let node = shown;
        for (const p of parts.slice(0, -1)) node = node[p] as Record<string, unknown>;
        const leaf = parts.at(-1)!;
        if (node[leaf] !== '') node[leaf] = '[set]';
      }
      printJson(io, shown);
    });

  config.command('example').description('print a YAML file documenting every key').action(() => io.out(exampleYaml()));
  config.command('table').description('print the configuration reference as a Markdown table').action(() => io.out(configTable()));
}
