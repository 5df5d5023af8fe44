import type { Command } from 'commander';
import { formatAnchor, parseAnchor, type AnchorCheck } from '../../domain/audit-anchor.js';
import { IdsyncError } from '../../domain/errors.js';
import { PROVIDER_SCOPE } from '../../ports/store.js';
import { withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerAudit(program: Command, io: CliIo): void {
  const audit = program.command('audit').description('the hash-chained audit trail');

  audit
    .command('list')
    .description('list audit events of an organization (or --provider)')
    .option('--org <id>', 'organization id')
    .option('--provider', 'provider-level events (provider-wide admin keys)')
    .option('--after <seq>', 'only events after this sequence number', '0')
    .option('--limit <n>', 'at most this many events', '100')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; provider?: boolean; after: string; limit: string; json?: boolean }) => {
      const scope = scopeOf(o);
      const events = await withServices(io, (s) => s.audit.list(scope, { afterSeq: Number(o.after), limit: Number(o.limit) }));
      if (o.json) printJson(io, events);
      else printTable(io, ['SEQ', 'AT', 'ACTOR', 'ACTION', 'TARGET', 'REASON'], events.map((e) => [e.seq, e.at, `${e.actor.kind}${e.actor.id ? `:${e.actor.id}` : ''}`, e.action, `${e.target.type}:${e.target.id}`, e.reason]));
    });

  audit
    .command('verify')
    .description("recompute an organization's audit hash chain and say where it breaks")
    .option('--org <id>', 'organization id')
    .option('--provider', 'the provider-level chain')
    .option('--anchor <seq:hash>', 'a head recorded earlier outside idsync (audit head): the trail must still hold that event with that hash')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; provider?: boolean; anchor?: string; json?: boolean }) => {
      const scope = scopeOf(o);
      const anchor = o.anchor === undefined ? undefined : parseAnchor(o.anchor, '--anchor');
      const r = await withServices(io, async (s) => {
        if (scope !== PROVIDER_SCOPE) await s.orgs.get(scope);
        return s.audit.verify(scope, anchor ? { anchor } : {});
      });
      if (o.json) printJson(io, r);
      else if (r.ok) io.out(`audit chain of ${scope} is intact: ${r.events} events, head ${r.head.seq} ${r.head.hash}${r.anchor ? `; anchor ${formatAnchor(r.anchor)} matches` : ''}`);
      else io.out(`audit chain of ${scope} is BROKEN at seq ${r.break.seq} (${r.break.reason})${r.break.eventId ? `, event ${r.break.eventId}` : ''}; ${r.events} events before it verify${r.anchor ? `; ${anchorText(r.anchor)}` : ''}`);
      if (!r.ok) io.exitCode = 1;
    });

  audit
    .command('head')
    .description("the last event of an organization's audit chain (seq, hash, time): an anchor to record outside idsync and verify against later")
    .option('--org <id>', 'organization id')
    .option('--provider', 'the provider-level chain')
    .option('--json', 'print JSON')
    .action(async (o: { org?: string; provider?: boolean; json?: boolean }) => {
      const scope = scopeOf(o);
      const head = await withServices(io, async (s) => {
        if (scope !== PROVIDER_SCOPE) await s.orgs.get(scope);
        return s.audit.head(scope);
      });
      if (o.json) printJson(io, { ...head, anchor: formatAnchor(head) });
      else io.out(formatAnchor(head));
    });
}

function anchorText(a: AnchorCheck): string {
  const at = `anchor ${formatAnchor(a)}`;
  if (a.status === 'mismatch') return `${at}: the event at seq ${a.seq} now has hash ${a.found} (rewritten)`;
  if (a.status === 'beyond_head') return `${at}: the trail ends at seq ${a.headSeq} (truncated)`;
  if (a.status === 'missing') return `${at}: the event at seq ${a.seq} was removed`;
  if (a.status === 'not_reached') return `${at}: not reached (the chain breaks before it)`;
  return `${at} matches`;
}

function scopeOf(o: { org?: string; provider?: boolean }): string {
  if (o.provider) return PROVIDER_SCOPE;
  if (!o.org) throw new IdsyncError('request.invalid', '--org <id> or --provider is required');
  return o.org;
}
