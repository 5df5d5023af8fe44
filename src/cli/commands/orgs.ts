import type { Command } from 'commander';
import { collect } from '../../ports/paging.js';
import type { Role } from '../../domain/model.js';
import { CLI_PRINCIPAL } from '../../services/authz.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';
import { registerOrgLifecycle } from './org-lifecycle.js';

export function registerOrgs(program: Command, io: CliIo): void {
  const orgs = program.command('orgs').description('manage organizations');
  registerOrgLifecycle(orgs, io);

  orgs
    .command('create')
    .description('create an organization')
    .requiredOption('--name <name>', 'display name')
    .option('--allowed-domain <domain...>', 'restrict members to these email domains')
    .option('--json', 'print JSON')
    .action(async (o: { name: string; allowedDomain?: string[]; json?: boolean }) => {
      const org = await withServices(io, (s) => s.orgs.create({ name: o.name, ...(o.allowedDomain ? { settings: { allowedDomains: o.allowedDomain } } : {}) }, CLI_ACTOR));
      if (o.json) printJson(io, org);
      else io.out(`created organization ${org.id} (${org.name})`);
    });

  orgs
    .command('list')
    .description('list organizations')
    .option('--json', 'print JSON')
    .action(async (o: { json?: boolean }) => {
      const items = await withServices(io, (s) => collect((page) => s.orgs.list(page)));
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'NAME', 'CREATED'], items.map((x) => [x.id, x.name, x.createdAt]));
    });

  orgs
    .command('get <id>')
    .description('show one organization')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const org = await withServices(io, (s) => s.orgs.get(id));
      if (o.json) printJson(io, org);
      else printTable(io, ['ID', 'NAME', 'INVITE TTL (h)', 'PENDING CAP', 'DOMAINS'], [[org.id, org.name, org.settings.inviteTtlHours, org.settings.pendingInviteCap, org.settings.allowedDomains.join(',')]]);
    });

  orgs
    .command('continue-url <id> [url]')
    .description('where people land after joining or signing up (orgId and memberId are added); without a URL: show it; --clear: use the global join.continueUrl')
    .option('--clear', 'remove the organization\'s own URL')
    .option('--json', 'print JSON')
    .action(async (id: string, url: string | undefined, o: { clear?: boolean; json?: boolean }) => {
      const org = await withServices(io, (s) => (url !== undefined || o.clear ? s.orgs.update(id, { settings: { continueUrl: o.clear ? '' : url! } }, CLI_ACTOR) : s.orgs.get(id)));
      if (o.json) printJson(io, { orgId: org.id, continueUrl: org.settings.continueUrl ?? '' });
      else io.out(org.settings.continueUrl ? `continue URL of ${org.id}: ${org.settings.continueUrl}` : `${org.id} has no continue URL of its own (the global join.continueUrl applies)`);
    });

  orgs
    .command('merge <source>')
    .description('merge the source organization into another: people, teams, invitations, links and connections move; the source is closed (run again to finish an interrupted merge)')
    .requiredOption('--into <target>', 'the organization that remains')
    .option('--dry-run', 'show what would move, fold, be refused and be audited; write nothing')
    .option('--json', 'print JSON')
    .action(async (source: string, o: { into: string; dryRun?: boolean; json?: boolean }) => {
      const r = await withServices(io, (s) => s.merges.merge(source, o.into, CLI_ACTOR, { dryRun: o.dryRun === true }));
      if (o.json) return printJson(io, r);
      const p = r.plan;
      io.out(`${r.dryRun ? 'would merge' : 'merged'} ${r.sourceOrgId} into ${r.targetOrgId}${r.dryRun ? '' : ` (${r.stepsApplied} steps applied by this run)`}`);
      for (const b of p.blockers) io.out(`blocked: ${b}`);
      printTable(io, ['MEMBER', 'ACTION', 'ROLE', 'INTO'], p.members.map((m) => [m.userName, m.kind === 'fold' ? `fold (same ${m.matchedBy})` : 'copy', m.role, m.kind === 'fold' ? m.targetMemberId : m.newMemberId]));
      printTable(io, ['TEAM', 'ACTION', 'MEMBERS ADDED'], p.teams.map((t) => [t.displayName, t.kind, t.memberIds.length]));
      printTable(io, ['INVITATION', 'ACTION', 'REASON'], p.invitations.map((i) => [i.email, i.kind, i.kind === 'withdraw' ? i.reason : '']));
      printTable(io, ['CONNECTION', 'ACTION', 'REASON'], p.connections.map((c) => [`${c.name} (${c.provider})`, c.kind, c.kind === 'refuse' ? c.reason : `as ${c.newConnectionId}`]));
      io.out(`links moved: ${p.links.length}; credentials revoked (SCIM tokens and clients, org-scoped admin keys): ${p.credentials.length}`);
      for (const l of r.linkUrls) io.out(`link ${l.linkId}: ${l.url}`);
      for (const [org, actions] of Object.entries(r.auditCounts)) io.out(`audit ${org}: ${Object.entries(actions).map(([a, n]) => `${a}×${n}`).join(', ')}`);
    });

  orgs
    .command('move-person')
    .description('signed up by mistake: move a person into the organization they meant; an organization left with nobody is merged into it and closed')
    .requiredOption('--member <id>', 'the member id (in the organization created by mistake)')
    .requiredOption('--to <org>', 'the organization they meant')
    .option('--role <role>', 'their role there (owner, admin, member); default member')
    .option('--from <org>', 'the organization they are in (found by member id when absent)')
    .option('--json', 'print JSON')
    .action(async (o: { member: string; to: string; role?: Role; from?: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.merges.movePerson(CLI_PRINCIPAL, o.member, o.to, { ...(o.role ? { role: o.role } : {}), ...(o.from ? { fromOrg: o.from } : {}) }));
      if (o.json) return printJson(io, r);
      io.out(`moved ${r.member.userName} into ${r.member.orgId} as ${r.member.role} (member ${r.member.id})`);
      io.out(r.source.outcome === 'closed' ? `organization ${r.source.orgId} had nobody else: merged into ${r.member.orgId} and closed` : `organization ${r.source.orgId} keeps its other members`);
    });
}
