import type { Command } from 'commander';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerSignals(program: Command, io: CliIo): void {
  const ssf = program.command('ssf').description('Shared Signals (SSF) streams and signing keys');

  ssf
    .command('streams')
    .description('every stream of every scope, with its status and pending SETs')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = await withServices(io, (s) => s.signals.listAll());
      if (o.json) printJson(io, items);
      else printTable(io, ['STREAM', 'SCOPE', 'DELIVERY', 'ENDPOINT', 'STATUS', 'PENDING'], items.map((x) => [x.stream_id, x.scope, x.delivery.method.endsWith('8935') ? 'push' : 'poll', x.delivery.endpoint_url, x.status, x.pending]));
    });

  for (const status of ['enabled', 'paused', 'disabled'] as const) {
    const verb = status === 'enabled' ? 'enable' : status === 'paused' ? 'pause' : 'disable';
    ssf
      .command(`${verb} <stream>`)
      .description(`set a stream ${status}`)
      .option('--reason <text>', 'why (shown in the stream status)')
      .action(async (id: string, o: { reason?: string }) => {
        const r = await withServices(io, async (s) => s.signals.setStatus(await s.signals.operatorOf(id, CLI_ACTOR), { stream_id: id, status, ...(o.reason ? { reason: o.reason } : {}) }));
        io.out(`stream ${r.stream_id} is ${r.status}`);
      });
  }

  ssf
    .command('delete <stream>')
    .description('delete a stream and its queued SETs')
    .action(async (id: string) => {
      await withServices(io, async (s) => s.signals.delete(await s.signals.operatorOf(id, CLI_ACTOR), id));
      io.out(`deleted stream ${id}`);
    });

  ssf
    .command('verify <stream>')
    .description('queue the SSF verification event for a stream')
    .option('--state <text>', 'the state the receiver gets back')
    .action(async (id: string, o: { state?: string }) => {
      await withServices(io, async (s) => s.signals.verify(await s.signals.operatorOf(id, CLI_ACTOR), { stream_id: id, ...(o.state ? { state: o.state } : {}) }));
      io.out(`verification queued for stream ${id}`);
    });

  ssf
    .command('rotate-key')
    .description('make a new SET signing key; the previous one stays published')
    .action(async () => {
      const k = await withServices(io, (s) => s.signals.keys.rotate());
      io.out(`new signing key ${k.kid}`);
    });
}
