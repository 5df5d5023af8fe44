import { processIo } from './cli/io.js';
import { runCli } from './cli/program.js';

// Entry point of both `npm start` (idsync serve) and the `idsync` CLI.
const code = await runCli(process.argv.slice(2), processIo);
process.exitCode = code;
