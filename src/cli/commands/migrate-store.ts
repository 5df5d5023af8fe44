import type { Command } from 'commander';
import { Writable } from 'node:stream';
import { migrateStore } from '../../app/migrate-store.js';
import { loadConfig } from '../../config/load.js';
import { IdsyncError } from '../../domain/errors.js';
import { createLogger } from '../../logging/winston-logger.js';
import { printJson, type CliIo } from '../io.js';
import type { MigrateTarget } from '../../app/migrate-store.js';

type TargetOptions = { toStore: string; toUrl?: string; toClusterNodes?: string; toPath?: string; toSchema: string; toKeyPrefix: string };

function targetOf(o: TargetOptions): MigrateTarget {
  if (o.toStore === 'sqlite') {
    if (!o.toPath) throw new IdsyncError('request.invalid', '--to-store sqlite needs --to-path FILE');
    return { store: 'sqlite', path: o.toPath };
  }
  if (o.toStore === 'redis' && o.toClusterNodes !== undefined) {
    const nodes = o.toClusterNodes.split(',').map((s) => s.trim());
    const bad = nodes.filter((n) => !/^[^\s:]+:\d{1,5}$/.test(n));
    if (bad.length > 0 || nodes.length === 0) throw new IdsyncError('request.invalid', `--to-cluster-nodes takes host:port,host:port,… (not ${bad.join(', ') || 'nothing'})`);
    if (o.toUrl) throw new IdsyncError('request.invalid', '--to-store redis takes --to-url or --to-cluster-nodes, not both');
    return { store: 'redis', url: '', clusterNodes: nodes.map((n) => ({ host: n.slice(0, n.lastIndexOf(':')), port: Number(n.slice(n.lastIndexOf(':') + 1)) })), keyPrefix: o.toKeyPrefix };
  }
  if (o.toStore === 'redis') {
    if (!o.toUrl || !/^rediss?:\/\//.test(o.toUrl)) throw new IdsyncError('request.invalid', '--to-store redis needs --to-url redis://… or rediss://… (or --to-cluster-nodes host:port,… for a Redis Cluster)');
    return { store: 'redis', url: o.toUrl, keyPrefix: o.toKeyPrefix };
  }
  if (o.toStore !== 'postgres') throw new IdsyncError('request.invalid', `--to-store ${o.toStore}: the targets are postgres, sqlite and redis`);
  if (!o.toUrl || !/^postgres(ql)?:\/\//.test(o.toUrl)) throw new IdsyncError('request.invalid', '--to-url must be a postgres:// or postgresql:// URL');
  return { store: 'postgres', url: o.toUrl, schema: o.toSchema };
}

export function registerMigrateStore(program: Command, io: CliIo): void {
  program
    .command('migrate-store')
    .description('copy every record of the configured store into another store (with the daemon stopped), then verify counts and audit chains there')
    .requiredOption('--to-store <kind>', 'target backend: postgres, sqlite or redis')
    .option('--to-url <url>', 'target PostgreSQL or Redis URL, e.g. postgres://idsync:…@db:5432/idsync, redis://redis:6379')
    .option('--to-cluster-nodes <list>', 'target Redis Cluster seed nodes, host:port,host:port,… (instead of --to-url)')
    .option('--to-key-prefix <prefix>', 'target Redis key prefix', 'idsync')
    .option('--to-path <file>', 'target SQLite file (created when missing)')
    .option('--to-schema <name>', 'target PostgreSQL schema', 'public')
    .option('--dry-run', 'read and count the source; write nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (o: TargetOptions & { dryRun?: boolean; json?: boolean }) => {
      const target = targetOf(o);
      const config = loadConfig({ env: io.env, cwd: io.cwd });
      const logger = createLogger({ level: 'warn', format: 'pretty', stream: new Writable({ write: (chunk, _enc, cb) => (io.err(String(chunk)), cb()) }) });
      const summary = await migrateStore(config, target, { dryRun: Boolean(o.dryRun), logger });
      if (!summary.ok) io.exitCode = 1;
      if (o.json) return printJson(io, summary);
      io.out(`${summary.dryRun ? 'dry run: would copy' : 'copied'} from ${summary.from} to ${summary.to} in ${(summary.durationMs / 1000).toFixed(1)} s`);
      for (const [kind, n] of Object.entries(summary.source)) {
        if (n === 0 && !summary.target?.[kind as keyof typeof summary.source]) continue;
        io.out(`  ${kind.padEnd(13)} ${String(n).padStart(8)}${summary.target ? `  target ${summary.target[kind as keyof typeof summary.source]}` : ''}`);
      }
      io.out(`not moved: ${summary.notMoved.join(', ')}`);
      if (!summary.dryRun) {
        const broken = summary.chains.filter((c) => !c.ok);
        io.out(`written now: ${summary.written}; audit chains verified: ${summary.chains.length - broken.length} of ${summary.chains.length}${broken.length ? ` (BROKEN: ${broken.map((c) => c.scope).join(', ')})` : ''}`);
        io.out(summary.ok ? 'ok: counts match and every chain verifies' : 'NOT OK: see the counts and chains above');
      }
    });
}
