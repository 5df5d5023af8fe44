import type { Command } from 'commander';
import type { DeliveryStatus } from '../../domain/model.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerWebhooks(program: Command, io: CliIo): void {
  const w = program.command('webhooks').description('signed webhook endpoints of an organization');

  w.command('create')
    .description('register an endpoint; its signing secret is printed once')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--url <url>', 'https URL (http only for loopback)')
    .option('--event <type...>', 'event types to send (e.g. member.deactivated or member.*); default all')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; url: string; event?: string[]; json?: boolean }) => {
      const r = await withServices(io, (s) => s.webhooks.create(o.org, { url: o.url, ...(o.event ? { events: o.event } : {}) }, CLI_ACTOR));
      if (o.json) printJson(io, { ...r.endpoint, secret: r.secret });
      else io.out(`webhook ${r.endpoint.id} → ${r.endpoint.url}\nsigning secret (shown once, store it now): ${r.secret}`);
    });

  w.command('list')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.webhooks.list(o.org));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'URL', 'EVENTS', 'ENABLED'], items.map((h) => [h.id, h.url, h.events.join(',') || '(all)', String(h.enabled)]));
    });

  w.command('delete <id>')
    .requiredOption('--org <id>', 'organization id')
    .action(async (id: string, o: { org: string }) => {
      await withServices(io, (s) => s.webhooks.delete(o.org, id, CLI_ACTOR));
      io.out(`deleted webhook ${id}`);
    });

  w.command('deliveries <id>')
    .description('recent deliveries of an endpoint, newest first')
    .requiredOption('--org <id>', 'organization id')
    .option('--status <status>', 'pending, delivered or failed')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; status?: DeliveryStatus; json?: boolean }) => {
      const page = await withServices(io, (s) => s.webhooks.listDeliveries(o.org, id, { limit: 100, ...(o.status ? { status: o.status } : {}) }));
      if (o.json) printJson(io, page.items);
      else printTable(io, ['DELIVERY', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST CODE', 'LAST ERROR'], page.items.map((d) => [d.id, d.eventType, d.status, d.attempts, d.lastStatusCode, d.lastError]));
    });

  w.command('ping <id>')
    .description('send a signed webhook.ping now and show the answer')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.webhooks.ping(o.org, id));
      if (o.json) printJson(io, r);
      else io.out(r.delivered ? `delivered (${r.statusCode ?? ''}) in ${r.durationMs} ms` : `NOT delivered: ${r.error ?? r.statusCode}`);
      if (!r.delivered) io.exitCode = 1;
    });
}
