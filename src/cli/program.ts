import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/load.js';
import { isIdsyncError } from '../domain/errors.js';
import { registerAudit } from './commands/audit.js';
import { registerConfig } from './commands/config.js';
import { registerConsole } from './commands/console.js';
import { registerConnections } from './commands/connections.js';
import { registerReconcile } from './commands/reconcile.js';
import { registerTeams } from './commands/teams.js';
import { registerWebhooks } from './commands/webhooks.js';
import { registerSignals } from './commands/signals.js';
import { registerUniversalLogout } from './commands/universal-logout.js';
import { registerCredentials } from './commands/credentials.js';
import { registerScimClients } from './commands/scim-clients.js';
import { registerDoctor } from './commands/doctor.js';
import { registerDomains } from './commands/domains.js';
import { registerInvites } from './commands/invites.js';
import { registerMembers } from './commands/members.js';
import { registerMigrateStore } from './commands/migrate-store.js';
import { registerOrgs } from './commands/orgs.js';
import { registerRoleMappings } from './commands/role-mappings.js';
import { registerServiceAccounts } from './commands/service-accounts.js';
import { registerScimLog } from './commands/scim-log.js';
import { registerServe } from './commands/serve.js';
import { registerSupportAccess } from './commands/support-access.js';
import type { CliIo } from './io.js';

/** Exit codes: 0 success, 1 the operation failed (coded error printed), 2 bad usage or configuration. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

function buildProgram(io: CliIo): Command {
  const program = new Command('idsync')
    .description('idsync: SCIM server, directory reconciler and membership authority')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError();
  registerServe(program, io);
  registerOrgs(program, io);
  registerServiceAccounts(program, io);
  registerMembers(program, io);
  registerCredentials(program, io);
  registerScimClients(program, io);
  registerAudit(program, io);
  registerConfig(program, io);
  registerConnections(program, io);
  registerReconcile(program, io);
  registerWebhooks(program, io);
  registerSignals(program, io);
  registerUniversalLogout(program, io);
  registerTeams(program, io);
  registerRoleMappings(program, io);
  registerDoctor(program, io);
  registerInvites(program, io);
  registerScimLog(program, io);
  registerConsole(program, io);
  registerMigrateStore(program, io);
  registerSupportAccess(program, io);
  registerDomains(program, io);
  for (const cmd of program.commands) cmd.exitOverride().configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });
  return program;
}

/** Runs one CLI invocation in-process and returns its exit code (tests call this directly). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const runIo: CliIo = { ...io, exitCode: 0 };
  const program = buildProgram(runIo);
  const json = argv.includes('--json');
  try {
    await program.parseAsync(argv, { from: 'user' });
    return runIo.exitCode ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof ConfigError) {
      io.err(err.message);
      return EXIT.usage;
    }
    if (isIdsyncError(err)) {
      if (json) io.out(JSON.stringify({ error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } }, null, 2));
      io.err(`error: ${err.code}: ${err.message}`);
      return EXIT.failed;
    }
    io.err(`error: ${(err as Error)?.message ?? String(err)}`);
    return EXIT.failed;
  }
}
