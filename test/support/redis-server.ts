import { afterAll, afterEach, beforeAll, beforeEach } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Store } from '../../src/ports/store.js';
import { createRedisStore } from '../../src/store/redis/store.js';

/**
 * A private redis-server for one test file: a free 127.0.0.1 port, a temp dir, AOF on and RDB
 * snapshots off. It can be stopped and started again on the same port (and data dir), which is
 * what the fault tests need. Every live server is killed when the process exits, so a crashed test
 * run leaves nothing behind.
 */
export class RedisTestServer {
  private proc: ChildProcess | undefined;
  private output = '';

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly extraArgs: readonly string[],
  ) {}

  /** Starts a server on a free port. */
  static async start(opts: { extraArgs?: readonly string[]; port?: number } = {}): Promise<RedisTestServer> {
    assertRedisInstalled();
    const server = new RedisTestServer(opts.port ?? (await freePort()), mkdtempSync(join(tmpdir(), 'idsync-redis-')), opts.extraArgs ?? []);
    await server.start();
    return server;
  }

  get host(): string {
    return '127.0.0.1';
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined;
  }

  /**
   * Starts the server again on the same port and data dir; resolves when it answers PING. The AOF
   * is written before each reply but never fsynced (`appendfsync no`): a killed server loses nothing
   * it acknowledged, and a busy disk cannot stall writes for seconds (Redis delays writes while an
   * `everysec` fsync is late, which timed out commands in CI).
   */
  async start(): Promise<void> {
    if (this.proc) return;
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'no', ...this.extraArgs];
    const proc = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    this.proc = proc;
    live.add(proc);
    proc.once('exit', () => {
      live.delete(proc);
      if (this.proc === proc) this.proc = undefined;
    });
    try {
      await waitForPong(this.port, proc, 10_000);
    } catch (err) {
      await this.stop('SIGKILL');
      throw new Error(`redis-server on port ${this.port} did not start: ${(err as Error).message}\n${this.output}`);
    }
  }

  /** Stops the server (SIGTERM by default, SIGKILL to simulate a crash) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc) return;
    this.proc = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(signal);
    proc.kill('SIGCONT');
    await exited;
  }

  /** Freezes the server (SIGSTOP): connections stay open but nothing answers, like a silent network. */
  pause(): void {
    this.proc?.kill('SIGSTOP');
  }

  resume(): void {
    this.proc?.kill('SIGCONT');
  }

  async restart(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await this.stop(signal);
    await this.start();
  }

  /** Stops the server and removes its data dir. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const proc of live) proc.kill('SIGKILL');
});

let installed: boolean | undefined;

function assertRedisInstalled(): void {
  installed ??= spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
  if (!installed) {
    throw new Error('redis-server is not on PATH; the Redis tests need it: apt-get install -y redis-server');
  }
}

async function freePort(): Promise<number> {
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

async function waitForPong(port: number, proc: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`exited with ${proc.exitCode ?? proc.signalCode}`);
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`no PONG within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One raw PING; true on +PONG (a server still loading its AOF answers -LOADING instead). */
function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(500, () => done(false));
    socket.once('error', () => done(false));
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'));
    });
    socket.once('connect', () => socket.write('PING\r\n'));
  });
}

/**
 * A private three-master Redis Cluster on 127.0.0.1 (no replicas), for checking that every script
 * and transaction stays within one hash slot. Needs redis-cli next to redis-server.
 */
export class RedisTestCluster {
  private constructor(readonly nodes: RedisTestServer[]) {}

  static async start(): Promise<RedisTestCluster> {
    const nodes: RedisTestServer[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        nodes.push(await RedisTestServer.start({ extraArgs: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '15000'] }));
      }
      const create = spawnSync(
        'redis-cli',
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 30_000 },
      );
      if (create.status !== 0) throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
      const deadline = Date.now() + 20_000;
      while (!nodes.every((n) => clusterOk(n.port))) {
        if (Date.now() > deadline) throw new Error('the test cluster did not reach cluster_state:ok');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      return new RedisTestCluster(nodes);
    } catch (err) {
      await Promise.all(nodes.map((n) => n.dispose()));
      throw err;
    }
  }

  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: n.host, port: n.port }));
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}

function clusterOk(port: number): boolean {
  const info = spawnSync('redis-cli', ['-p', String(port), 'cluster', 'info'], { encoding: 'utf8' });
  return /cluster_state:ok/.test(info.stdout);
}

/**
 * Two stores with their own connections on one test Redis and one fresh key prefix per test: they
 * stand for two replicas (the in-process lock does not serialise them, so only the scripts decide).
 * Registers the hooks of the enclosing describe; `stores.a` and `stores.b` are set before each test.
 */
export function twoReplicaStores(prefix: string): { a: Store; b: Store } {
  let server: RedisTestServer;
  let n = 0;
  const stores = {} as { a: Store; b: Store };
  beforeAll(async () => {
    server = await RedisTestServer.start();
  });
  afterAll(async () => {
    await server.dispose();
  });
  beforeEach(() => {
    const keyPrefix = `${prefix}${++n}`;
    stores.a = createRedisStore({ connection: { url: server.url }, keyPrefix });
    stores.b = createRedisStore({ connection: { url: server.url }, keyPrefix });
  });
  afterEach(async () => {
    await Promise.all([stores.a.close(), stores.b.close()]);
  });
  return stores;
}
