import type { Command } from 'commander';
import { collect } from '../../ports/paging.js';
import { CLI_ACTOR, withServices } from '../context.js';
import { printJson, printTable, type CliIo } from '../io.js';

export function registerTeams(program: Command, io: CliIo): void {
  const t = program.command('teams').description('teams of an organization (the SCIM Groups)');

  t.command('create')
    .requiredOption('--org <id>', 'organization id')
    .requiredOption('--name <displayName>', 'team name (unique in the organization, any case)')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; name: string; json?: boolean }) => {
      const team = await withServices(io, async (s) => {
        await s.orgs.get(o.org);
        return s.teams.create(o.org, { displayName: o.name }, CLI_ACTOR);
      });
      if (o.json) printJson(io, team);
      else io.out(`created team ${team.id} (${team.displayName})`);
    });

  t.command('list')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (o: { org: string; json?: boolean }) => {
      const items = await withServices(io, async (s) => {
        await s.orgs.get(o.org);
        return collect((page) => s.teams.list(o.org, page));
      });
      if (o.json) printJson(io, items);
      else printTable(io, ['ID', 'NAME', 'EXTERNAL ID', 'CREATED'], items.map((x) => [x.id, x.displayName, x.externalId, x.createdAt]));
    });

  t.command('delete <team>')
    .requiredOption('--org <id>', 'organization id')
    .action(async (team: string, o: { org: string }) => {
      await withServices(io, async (s) => {
        const t = await s.teams.get(o.org, team);
        await s.roleMappings.deleteTeam(o.org, t, () => s.teams.delete(o.org, t.id, CLI_ACTOR), CLI_ACTOR);
      });
      io.out(`deleted team ${team}`);
    });

  t.command('add <team> <member...>')
    .description('add members (by id or userName) to a team')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (team: string, refs: string[], o: { org: string; json?: boolean }) => {
      const added = await withServices(io, async (s) => {
        const ids = [];
        for (const r of refs) ids.push((await s.members.resolve(o.org, r)).id);
        const done = await s.teams.addMembers(o.org, team, ids, CLI_ACTOR);
        await s.roleMappings.afterTeamChange(o.org, team, { memberIds: done }, CLI_ACTOR);
        return done;
      });
      if (o.json) printJson(io, { added });
      else io.out(`added ${added.length} member(s)`);
    });

  t.command('remove <team> <member...>')
    .description('remove members (by id or userName) from a team')
    .requiredOption('--org <id>', 'organization id')
    .option('--json', 'print JSON')
    .action(async (team: string, refs: string[], o: { org: string; json?: boolean }) => {
      const removed = await withServices(io, async (s) => {
        const ids = [];
        for (const r of refs) ids.push((await s.members.resolve(o.org, r)).id);
        const done = await s.teams.removeMembers(o.org, team, ids, CLI_ACTOR);
        await s.roleMappings.afterTeamChange(o.org, team, { memberIds: done }, CLI_ACTOR);
        return done;
      });
      if (o.json) printJson(io, { removed });
      else io.out(`removed ${removed.length} member(s)`);
    });
}
