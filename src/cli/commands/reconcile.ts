import type { Command } from 'commander';
import type { ActionOutcome, RecordedAction, RunSummary } from '../../services/reconcile/service.js';
import type { RecordedTeamAction } from '../../services/reconcile/team-sync.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

function printSummary(io: CliIo, r: RunSummary): void {
  io.out(
    `run ${r.runId}: ${r.status}${r.dryRun ? ' (dry run: nothing changed)' : ''} — listed ${r.listed}, matched ${r.matched}, ` +
      `deactivated ${r.deactivated}, reactivated ${r.reactivated}, linked ${r.linked}, held ${r.held}, drift ${r.drift}, ${r.apiCalls} API calls, ${r.durationMs} ms`,
  );
  const t = r.teams;
  if (t) io.out(`  teams (${t.mode}${t.complete ? '' : ', incomplete'}): ${t.groups} groups, created ${t.created}, renamed ${t.renamed}, added ${t.added}, removed ${t.removed}, held ${t.held}, unmatched ${t.unmatched}, roles changed ${t.rolesChanged}`);
  for (const g of r.guards) io.out(`  ${g.passed ? 'ok  ' : 'HOLD'} ${g.guard}: ${g.detail}`);
  if (r.error) io.out(`  error: ${r.error.code}: ${r.error.message}`);
  if (r.failure?.class === 'terminal') io.out(`  scheduled runs stop until the connection is fixed: ${r.failure.hint ?? r.failure.code}`);
}

function outcomeText(o: ActionOutcome | undefined): string {
  if (!o) return '';
  if (o.status === 'held') return `held (${o.by})`;
  if (o.status === 'refused' || o.status === 'deferred') return `${o.status} (${o.code})`;
  return o.status;
}

export function registerReconcile(program: Command, io: CliIo): void {
  program
    .command('reconcile')
    .description('reconcile one connection now: list the directory, plan, apply (or only plan with --dry-run)')
    .requiredOption('--connection <id>', 'connection id')
    .option('--dry-run', 'show exactly what would happen and change nothing')
    .option('--json', 'print JSON')
    .action(async (o: { connection: string; dryRun?: boolean; json?: boolean }) => {
      const tty = !o.json && process.stderr.isTTY;
      const r = await withServices(io, (s) =>
        s.reconcile.run(o.connection, { dryRun: !!o.dryRun, ...(tty ? { onProgress: (p: { users: number; pages: number }) => process.stderr.write(`\r  ${p.pages} pages, ${p.users} users listed…`) } : {}) }),
      );
      if (tty) process.stderr.write('\n');
      if (o.json) printJson(io, r);
      else printSummary(io, r);
      if (r.status === 'failed' || r.status === 'incomplete') io.exitCode = 1;
    });

  const runs = program.command('runs').description('reconcile runs: list, inspect, approve or reject held deactivations');

  runs
    .command('list')
    .requiredOption('--connection <id>', 'connection id')
    .option('--limit <n>', 'at most this many, newest first', '20')
    .option('--json', 'print JSON')
    .action(async (o: { connection: string; limit: string; json?: boolean }) => {
      const page = await withServices(io, (s) => s.reconcile.listRuns(o.connection, { limit: Number(o.limit) }));
      if (o.json) printJson(io, page.items.map(({ plan: _p, ...r }) => r));
      else printTable(io, ['RUN', 'STATUS', 'TRIGGER', 'DRY RUN', 'STARTED', 'DEACTIVATED', 'HELD'], page.items.map((r) => [r.id, r.status, r.trigger, String(r.dryRun), r.startedAt, String(r.summary.deactivated ?? ''), String(r.summary.held ?? '')]));
    });

  runs
    .command('get <run>')
    .description('the run with its plan: each action with its evidence')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const run = await withServices(io, (s) => s.reconcile.getRun(id));
      if (o.json) printJson(io, run);
      else {
        printSummary(io, run.summary as unknown as RunSummary);
        printTable(io, ['ACTION', 'MEMBER', 'DIRECTORY ID', 'EVIDENCE', 'OUTCOME', 'REASON'], (run.plan as (RecordedAction | RecordedTeamAction)[]).map((a) => ('groupId' in a ? [a.kind, 'memberIds' in a ? `${a.memberIds.length} members` : '', a.groupId, a.evidence.kind, outcomeText(a.outcome), a.reason] : [a.kind, a.memberId, a.directoryId, a.evidence.kind, outcomeText(a.outcome), a.reason])));
      }
    });

  runs
    .command('approve <run>')
    .description('re-plan now from a fresh listing and apply held deactivations, up to --max')
    .option('--max <n>', 'apply at most this many held deactivations')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { max?: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.reconcile.approve(id, CLI_ACTOR, o.max === undefined ? undefined : Number(o.max)));
      if (o.json) printJson(io, r);
      else printSummary(io, r);
    });

  runs
    .command('reject <run>')
    .description('reject a held run: its held deactivations are not applied')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const run = await withServices(io, (s) => s.reconcile.reject(id, CLI_ACTOR));
      if (o.json) printJson(io, { id: run.id, status: run.status });
      else io.out(`rejected run ${run.id}`);
    });
}
