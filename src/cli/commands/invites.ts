import type { Command } from 'commander';
import { IdsyncError } from '../../domain/errors.js';
import type { InvitationStatus, Role } from '../../domain/model.js';
import type { PublicInvitation } from '../../services/invitations/service.js';
import type { PublicLink } from '../../services/invitations/links.js';
import { collect } from '../../ports/paging.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

const INV_HEADERS = ['ID', 'EMAIL', 'ROLE', 'STATUS', 'EXPIRES', 'SENT'];
const invRow = (i: PublicInvitation) => [i.id, i.email, i.role, i.status, i.expiresAt, i.sendCount];
const LINK_HEADERS = ['ID', 'ROLE', 'TEAM', 'STATE', 'USES', 'EXPIRES', 'DOMAINS', 'DIRECTORY'];
const linkRow = (l: PublicLink) => [l.id, l.role, l.teamId, l.state, l.maxUses === undefined ? `${l.uses}` : `${l.uses}/${l.maxUses}`, l.expiresAt, l.allowedDomains.join(','), l.directoryConnectionId];

/** `7d`, `12h` or a bare number of hours. */
export function parseHours(text: string): number {
  const m = /^(\d+)\s*([dh]?)$/i.exec(text.trim());
  if (!m) throw new IdsyncError('request.invalid', `--expires: "${text}" is not a duration such as 7d or 12h`, { problems: [{ field: 'expires', message: 'expected 7d or 12h' }] });
  return Number(m[1]) * (m[2]?.toLowerCase() === 'd' ? 24 : 1);
}

function parseCount(text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new IdsyncError('request.invalid', `--max-uses: "${text}" is not a whole number`, { problems: [{ field: 'maxUses', message: 'expected a whole number' }] });
  return Number(text);
}

export function registerInvites(program: Command, io: CliIo): void {
  const invites = program.command('invites').description('personal invitations by email');

  invites
    .command('create')
    .description('invite a person by email; the mail goes out (DATA_DIR/mail without SMTP) and the link is printed')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--email <email>', 'email address of the person')
    .option('--role <role>', 'owner, admin or member', 'member')
    .option('--team <id...>', 'teams the person joins on accepting')
    .option('--first <name>', 'first name')
    .option('--last <name>', 'last name')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; email: string; role: Role; team?: string[]; first?: string; last?: string; json?: boolean }) => {
      const r = await withServices(io, (s) =>
        s.invitations.invite(
          o.org,
          { email: o.email, role: o.role, teamIds: o.team ?? [], ...(o.first ? { givenName: o.first } : {}), ...(o.last ? { familyName: o.last } : {}) },
          CLI_ACTOR,
        ),
      );
      if (o.json) printJson(io, r);
      else io.out(`invited ${r.invitation.email} as ${r.invitation.role} (invitation ${r.invitation.id}, expires ${r.invitation.expiresAt})\n${r.mailed ? 'mail sent' : 'mail NOT sent'}; link: ${r.link}`);
    });

  invites
    .command('list')
    .description('list invitations with their status (pending, accepted, revoked, expired)')
    .requiredOption('--org <id>', 'organization id')
    .option('--status <status>', 'only this status')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; status?: InvitationStatus; json?: boolean }) => {
      const items = await withServices(io, (s) => collect((page) => s.invitations.list(o.org, { ...page, ...(o.status ? { status: o.status } : {}) })));
      if (o.json) printJson(io, items);
      else printTable(io, INV_HEADERS, items.map(invRow));
    });

  invites
    .command('resend <id>')
    .description('send the invitation again with a new link (the old one stops working) and restart its expiry')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.invitations.resend(o.org, id, CLI_ACTOR));
      if (o.json) printJson(io, r);
      else io.out(`resent invitation ${id} to ${r.invitation.email} (expires ${r.invitation.expiresAt})\nlink: ${r.link}`);
    });

  invites
    .command('revoke <id>')
    .description('revoke a pending invitation')
    .requiredOption('--org <id>', 'organization id')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; reason?: string; json?: boolean }) => {
      const inv = await withServices(io, (s) => s.invitations.revoke(o.org, id, CLI_ACTOR, o.reason));
      if (o.json) printJson(io, inv);
      else printTable(io, INV_HEADERS, [invRow(inv)]);
    });

  invites
    .command('link <id>')
    .description("print a pending invitation's link (the emailed link keeps working unless --rotate)")
    .requiredOption('--org <id>', 'organization id')
    .option('--rotate', 'issue a new link instead (the emailed one stops working)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; rotate?: boolean; json?: boolean }) => {
      const r = await withServices(io, (s) => s.invitations.copyLink(o.org, id, CLI_ACTOR, { rotate: o.rotate === true }));
      if (o.json) printJson(io, r);
      else io.out(r.link);
    });

  const links = program.command('links').description('open invite links');

  links
    .command('create')
    .description('mint a shareable invite link (its URL is shown now and on rotation only)')
    .requiredOption('--org <id>', 'organization id')
    .option('--team <id>', 'the team joiners are added to')
    .option('--role <role>', 'owner, admin or member', 'member')
    .option('--expires <duration>', 'lifetime, e.g. 7d or 12h (default: no expiry)')
    .option('--max-uses <n>', 'how many people may use it (default: unlimited)')
    .option('--domain <domain...>', 'email domains joiners must have')
    .option('--directory <connection>', 'only people this directory connection lists as active may join')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; team?: string; role: Role; expires?: string; maxUses?: string; domain?: string[]; directory?: string; json?: boolean }) => {
      const r = await withServices(io, (s) =>
        s.links.create(
          o.org,
          {
            role: o.role,
            ...(o.team ? { teamId: o.team } : {}),
            ...(o.expires ? { expiresInHours: parseHours(o.expires) } : {}),
            ...(o.maxUses ? { maxUses: parseCount(o.maxUses) } : {}),
            ...(o.domain ? { allowedDomains: o.domain } : {}),
            ...(o.directory ? { directoryConnectionId: o.directory } : {}),
          },
          CLI_ACTOR,
        ),
      );
      if (o.json) printJson(io, r);
      else io.out(`created invite link ${r.link.id}\nurl: ${r.url}`);
    });

  links
    .command('list')
    .description('list invite links with their state and uses')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, (s) => collect((page) => s.links.list(o.org, page)));
      if (o.json) printJson(io, items);
      else printTable(io, LINK_HEADERS, items.map(linkRow));
    });

  links
    .command('rotate <id>')
    .description('replace the link URL (the old one stops working at once)')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; json?: boolean }) => {
      const r = await withServices(io, (s) => s.links.rotate(o.org, id, CLI_ACTOR));
      if (o.json) printJson(io, r);
      else io.out(`rotated invite link ${id}\nurl: ${r.url}`);
    });

  links
    .command('revoke <id>')
    .description('revoke an invite link')
    .requiredOption('--org <id>', 'organization id')
    .option('--reason <text>', 'why (recorded in the audit trail)')
    .option('--json', 'print JSON')
    .action(async (id: string, o: { org: string; reason?: string; json?: boolean }) => {
      const l = await withServices(io, (s) => s.links.revoke(o.org, id, CLI_ACTOR, o.reason));
      if (o.json) printJson(io, l);
      else printTable(io, LINK_HEADERS, [linkRow(l)]);
    });
}
