import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { Role } from '../../domain/model.js';
import type { JoinRequestStatus } from '../../domain/signup.js';
import type { DomainView, VerifyMethod } from '../../services/signup/domains.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

const domainRow = (d: DomainView) => [d.domain, d.status, d.method ?? '', d.routeSignups ? 'on' : 'off', `${d.record.name} TXT "${d.record.value}"`];
const DOMAIN_HEADERS = ['DOMAIN', 'STATUS', 'VERIFIED BY', 'ROUTE SIGN-UPS', 'DNS RECORD'];

export function registerDomains(program: Command, io: CliIo): void {
  const d = program.command('domains').description('domain capture: an organization proves a domain (DNS TXT record or an owner sign-in) and sign-ups of that domain ask to join it');

  d.command('add <domain>')
    .description('claim a domain; prints the TXT record to publish at _idsync.DOMAIN')
    .requiredOption('--org <id>', 'organization id')
    .option('--no-route-signups', 'once verified, do not offer sign-ups of this domain to request to join')
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { org: string; routeSignups: boolean; json?: boolean }) => {
      const v = await withServices(io, (s) => s.domains.add(o.org, { domain, routeSignups: o.routeSignups }, CLI_ACTOR));
      if (o.json) return printJson(io, v);
      io.out(`claimed ${v.domain}; publish this DNS record, then run: idsync domains verify ${v.domain} --org ${o.org}`);
      io.out(`${v.record.name}. TXT "${v.record.value}"`);
    });

  d.command('verify <domain>')
    .description('check the proof and mark the domain verified (refused if another organization verified it)')
    .requiredOption('--org <id>', 'organization id')
    .option('--method <method>', 'dns (the TXT record, default) or owner-sign-in (an active owner signed in with an address at the domain; refused with domain.method_disabled when domains.ownerSignInProof is false)', 'dns')
    .option('--json', 'print JSON')
    .action(async (domain: string, o: { org: string; method: string; json?: boolean }) => {
      const method: VerifyMethod = o.method === 'dns' ? 'dns' : o.method === 'owner-sign-in' || o.method === 'owner_sign_in' ? 'owner_sign_in' : invalid('--method takes dns or owner-sign-in');
      const v = await withServices(io, (s) => s.domains.verify(o.org, domain, method, CLI_ACTOR));
      if (o.json) return printJson(io, v);
      io.out(`${v.domain} verified (${v.method}) for organization ${v.orgId}`);
    });

  d.command('list')
    .description("the organization's domains")
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => s.domains.list(o.org));
      if (o.json) return printJson(io, items);
      printTable(io, DOMAIN_HEADERS, items.map(domainRow));
    });

  d.command('remove <domain>')
    .description('remove the claim (a verified domain becomes free for other organizations)')
    .requiredOption('--org <id>', 'organization id')
    .action(async (domain: string, o: { org: string }) => {
      await withServices(io, (s) => s.domains.remove(o.org, domain, CLI_ACTOR));
      io.out(`removed ${domain}`);
    });

  const j = program.command('join-requests').description('requests to join from the sign-up page (people of a captured domain): approve or decline');

  j.command('list')
    .requiredOption('--org <id>', 'organization id')
    .option('--status <status>', 'pending, approved or declined')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; status?: JoinRequestStatus; json?: boolean }) => {
      const items = await withServices(io, (s) => s.joinRequests.list(o.org, o.status ? [o.status] : undefined));
      if (o.json) return printJson(io, items);
      printTable(io, ['ID', 'EMAIL', 'PROVIDER', 'STATUS', 'CREATED'], items.map((r) => [r.id, r.email, r.identity.provider, r.status, r.createdAt]));
    });

  j.command('approve <id>')
    .requiredOption('--org <id>', 'organization id')
    .option('--role <role>', 'owner, admin or member (default member)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; role?: Role; json?: boolean }) => {
      const r = await withServices(io, (s) => s.joinRequests.approve(o.org, id, o.role ? { role: o.role } : {}, CLI_ACTOR));
      if (o.json) return printJson(io, r);
      io.out(`approved: ${r.member.userName} is a member (${r.member.role}, member ${r.member.id})`);
    });

  j.command('decline <id>')
    .requiredOption('--org <id>', 'organization id')
    .option('--reason <text>', 'why (kept in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; reason?: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.joinRequests.decline(o.org, id, o.reason ? { reason: o.reason } : {}, CLI_ACTOR));
      if (o.json) return printJson(io, r);
      io.out(`declined ${r.email}`);
    });
}

function invalid(message: string): never {
  throw new IdsyncError('request.invalid', message);
}
