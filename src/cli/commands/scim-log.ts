import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { StoredScimLogEntry } from '../../domain/scim-log.js';
import { withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

interface Options {
  org?: string;
  since?: string;
  status?: string;
  method?: string;
  resource?: string;
  limit: string;
  cursor?: string;
  json?: boolean;
}

export function registerScimLog(program: Command, io: CliIo): void {
  program
    .command('scim-log')
    .description("an organization's SCIM requests and their answers, newest first (what the IdP sent)")
    .option('--org <id>', 'organization id')
    .option('--since <when>', 'only requests since a duration ago (15m, 1h, 7d) or an ISO 8601 time')
    .option('--status <code>', 'only answers with this status (409), class (4xx) or errors (400-599)')
    .option('--method <method>', 'only this HTTP method (POST, PATCH, …)')
    .option('--resource <type>', 'only this SCIM resource type (Users, Groups, Bulk, …)')
    .option('--limit <n>', 'at most this many entries', '50')
    .option('--cursor <cursor>', 'continue after the page that printed this cursor')
    .option('--json', 'print JSON ({items, next})')
    .action(async (o: Options) => {
      if (!o.org) throw new IdsyncError('request.invalid', '--org <id> is required');
      const org = o.org;
      const limit = Number(o.limit);
      const page = await withServices(io, (s) =>
        s.scimLog.list(org, {
          limit,
          ...(o.since !== undefined ? { since: o.since } : {}),
          ...(o.status !== undefined ? { status: o.status } : {}),
          ...(o.method !== undefined ? { method: o.method } : {}),
          ...(o.resource !== undefined ? { resource: o.resource } : {}),
          ...(o.cursor !== undefined ? { cursor: o.cursor } : {}),
        }),
      );
      if (o.json) {
        printJson(io, page);
        return;
      }
      printTable(
        io,
        ['AT', 'METHOD', 'PATH', 'STATUS', 'MS', 'IDP', 'TOKEN', 'ERROR'],
        page.items.map((e) => [
          e.at,
          e.method,
          e.path,
          e.status,
          e.latencyMs,
          e.idp,
          e.credential ? (e.credential.label ?? e.credential.id) : undefined,
          e.error ? `${e.error.scimType ? `${e.error.scimType}: ` : ''}${e.error.detail}` : bulkFailures(e.operationErrors),
        ]),
      );
      if (page.next) io.out(`more: idsync scim-log --org ${org} --cursor ${page.next}`);
    });
}

/** A Bulk that answered 200 with failed operations: how many, and the first one (--json lists each). */
function bulkFailures(errors: StoredScimLogEntry['operationErrors']): string | undefined {
  if (!errors || errors.length === 0) return undefined;
  const first = errors[0]!;
  return `${errors.length} operation(s) failed; #${first.operation} ${first.method ?? ''} ${first.path ?? ''}: ${first.status}${first.scimType ? ` ${first.scimType}` : ''} ${first.detail}`.replace(/\s+/g, ' ');
}
