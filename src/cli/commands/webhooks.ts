import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { DeliveryStatus } from '../../domain/model.js';
import type { Services } from '../../services/index.js';
import type { ScopedWebhooks } from '../../services/webhooks/service.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

type Scope = { org?: string; provider?: boolean };

/** The endpoints `--org` or `--provider` names (the operator's: provider chain and org lifecycle events). */
function endpointsOf(s: Services, o: Scope): ScopedWebhooks {
  if (o.provider && o.org) throw new IdsyncError('request.invalid', 'give --org <id> or --provider, not both');
  if (o.provider) return s.webhooks.provider;
  if (!o.org) throw new IdsyncError('request.invalid', '--org <id> or --provider is required');
  const org = o.org;
  const w = s.webhooks;
  return {
    create: (input, actor) => w.create(org, input, actor),
    list: () => w.list(org),
    get: (id) => w.get(org, id),
    update: (id, input, actor) => w.update(org, id, input, actor),
    delete: (id, actor) => w.delete(org, id, actor),
    listDeliveries: (id, query) => w.listDeliveries(org, id, query),
    ping: (id) => w.ping(org, id),
  };
}

const scoped = (c: Command) => c.option('--org <id>', 'organization id').option('--provider', "the operator's endpoints: provider chain events and every org's lifecycle events");

export function registerWebhooks(program: Command, io: CliIo): void {
  const w = program.command('webhooks').description("signed webhook endpoints of an organization (--org) or of the operator (--provider)");

  scoped(w.command('create'))
    .description('register an endpoint; its signing secret is printed once')
    .requiredOption('--url <url>', 'https URL (http only for loopback)')
    .option('--event <type...>', 'event types to send (e.g. member.deactivated or member.*); default all')
    .option('--json', 'print JSON')
    .action(async (o: Scope & { url: string; event?: string[]; json?: boolean }) => {
      const r = await withServices(io, (s) => endpointsOf(s, o).create({ url: o.url, ...(o.event ? { events: o.event } : {}) }, CLI_ACTOR));
      if (o.json) printJson(io, { ...r.endpoint, secret: r.secret });
      else io.out(`webhook ${r.endpoint.id} → ${r.endpoint.url}\nsigning secret (shown once, store it now): ${r.secret}`);
    });

  scoped(w.command('list'))
    .option('--json', 'print JSON')
    .action(async (o: Scope & { json?: boolean }) => {
      const items = await withServices(io, (s) => endpointsOf(s, o).list());
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'URL', 'EVENTS', 'ENABLED'], items.map((h) => [h.id, h.url, h.events.join(',') || '(all)', String(h.enabled)]));
    });

  scoped(w.command('delete <id>')).action(async (id: string, o: Scope) => {
    await withServices(io, (s) => endpointsOf(s, o).delete(id, CLI_ACTOR));
    io.out(`deleted webhook ${id}`);
  });

  scoped(w.command('deliveries <id>'))
    .description('recent deliveries of an endpoint, newest first')
    .option('--status <status>', 'pending, delivered or failed')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Scope & { status?: DeliveryStatus; json?: boolean }) => {
      const page = await withServices(io, (s) => endpointsOf(s, o).listDeliveries(id, { limit: 100, ...(o.status ? { status: o.status } : {}) }));
      if (o.json) printJson(io, page.items);
      else printTable(io, ['DELIVERY', 'EVENT', 'STATUS', 'ATTEMPTS', 'LAST CODE', 'LAST ERROR'], page.items.map((d) => [d.id, d.eventType, d.status, d.attempts, d.lastStatusCode, d.lastError]));
    });

  scoped(w.command('ping <id>'))
    .description('send a signed webhook.ping now and show the answer')
    .option('--json', 'print JSON')
    .action(async (id: string, o: Scope & { json?: boolean }) => {
      const r = await withServices(io, (s) => endpointsOf(s, o).ping(id));
      if (o.json) printJson(io, r);
      else io.out(r.delivered ? `delivered (${r.statusCode ?? ''}) in ${r.durationMs} ms` : `NOT delivered: ${r.error ?? r.statusCode}`);
      if (!r.delivered) io.exitCode = 1;
    });
}
