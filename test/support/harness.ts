import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { runCli } from '../../src/cli/program.js';
import { loadConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logging/winston-logger.js';

export function tempDir(prefix = 'idsync-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * Environment of a test installation: its own data dir, a free port, loopback only. Webhook
 * receivers of tests listen on 127.0.0.1, so internal webhook destinations are allowed.
 */
export function testEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { IDSYNC_DATA_DIR: dataDir, IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1', IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', ...extra };
}

/** Collects log lines as parsed objects (pino's sink()). */
export function logSink() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      cb();
    },
  });
  return { stream, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

/** Starts the real daemon in-process on port 0 with the given environment. */
export async function startTestDaemon(env: NodeJS.ProcessEnv, cwd: string): Promise<Daemon & { logs: ReturnType<typeof logSink> }> {
  const logs = logSink();
  const config = loadConfig({ env, cwd });
  const daemon = await startDaemon(config, { logger: createLogger({ level: 'debug', format: 'json', stream: logs.stream }) });
  return Object.assign(daemon, { logs });
}

/** Runs the CLI in-process, exactly as `npx idsync …` would, capturing its output. */
export async function cli(env: NodeJS.ProcessEnv, cwd: string, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, { env, cwd, out: (t) => (stdout += t.endsWith('\n') ? t : `${t}\n`), err: (t) => (stderr += t.endsWith('\n') ? t : `${t}\n`) });
  return { code, stdout, stderr, json: <T = unknown>() => JSON.parse(stdout) as T };
}
