import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startDaemon, type Daemon } from '../../src/app/daemon.js';
import { loadConfig } from '../../src/config/load.js';
import type { ReconcileRun } from '../../src/domain/model.js';
import { createLogger } from '../../src/logging/winston-logger.js';
import { openRedisStore } from '../../src/store/redis/index.js';
import { bullPrefix, RECONCILE_QUEUE, reconcileJobId } from '../../src/runtime/bullmq-redis.js';
import { BullmqTickRunner, type ReconcileJobData } from '../../src/runtime/bullmq-runner.js';
import type { TickOutcome } from '../../src/runtime/tick-runner.js';
import type { RunOptions, RunSummary } from '../../src/services/reconcile/service.js';
import { GraphFake } from '../fakes/graph-fake.js';
import { captureLogger } from '../support/connectors.js';
import { logSink, tempDir, testEnv } from '../support/harness.js';
import { GRAPH_CLIENT, GRAPH_SECRET, GRAPH_TENANT, installGraphConnection } from '../support/graph-install.js';
import { RedisTestServer } from '../support/redis-server.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type TestDaemon = Daemon & { logs: ReturnType<typeof logSink> };

/** The real daemon in process, with the BullMQ lock and stalled check shortened so a dead replica is noticed in about a second. */
async function daemon(env: NodeJS.ProcessEnv, cwd: string): Promise<TestDaemon> {
  const logs = logSink();
  const d = await startDaemon(loadConfig({ env, cwd }), {
    logger: createLogger({ level: 'debug', format: 'json', stream: logs.stream }),
    reconcileJobs: { lockDurationMs: 1000, stalledIntervalMs: 500 },
  });
  return Object.assign(d, { logs });
}

describe('scheduled reconciles are BullMQ jobs in Redis mode', () => {
  let redis: RedisTestServer;
  let fake: GraphFake;
  let queue: Queue<ReconcileJobData, TickOutcome>;
  let client: Redis;
  beforeAll(async () => {
    redis = await RedisTestServer.start();
    fake = await new GraphFake({ users: 5, tenantId: GRAPH_TENANT, clientId: GRAPH_CLIENT, clientSecret: GRAPH_SECRET }).start();
    client = new Redis(redis.url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    queue = new Queue<ReconcileJobData, TickOutcome>(RECONCILE_QUEUE, { connection: client, prefix: bullPrefix('idsync') });
    queue.on('error', () => undefined);
  });
  afterAll(async () => {
    await queue.close();
    client.disconnect();
    await fake.stop();
    await redis.dispose();
  });

  /** An installation on the shared Redis with one Graph connection on `schedule`; its own key prefix keeps tests apart. */
  async function install(schedule: string) {
    return installGraphConnection(redis.url, fake, { name: 'Jobs', schedule: schedule });
  }

  async function jobsOf(conn: string) {
    const jobs = await queue.getJobs(['completed', 'failed', 'active', 'waiting', 'delayed']);
    return jobs.filter((j) => j.data.connectionId === conn);
  }

  async function runsOf(d: Daemon, conn: string): Promise<ReconcileRun[]> {
    return (await d.store.listRuns(conn, { limit: 100 })).items as ReconcileRun[];
  }

  it('when two replicas fire the same ticks, then each tick is one completed BullMQ job with a deterministic id, and a second add of it is a no-op', async () => {
    const { cwd, env, conn } = await install('* * * * * *');
    const a = await daemon(env, cwd);
    const b = await daemon(env, cwd);
    try {
      await sleep(3500);
      await a.scheduler!.stop();
      await b.scheduler!.stop();
      const jobs = await jobsOf(conn);
      const done = jobs.filter((j) => j.finishedOn !== undefined);
      expect(done.length).toBeGreaterThanOrEqual(2);
      for (const j of done) {
        expect(j.id).toBe(reconcileJobId(conn, new Date(j.data.tick)));
        expect(j.id).toMatch(/^[0-9a-f-]{36}\.\d{8}T\d{6}Z$/);
        expect(j.returnvalue).toBe('ran');
        expect(await j.getState()).toBe('completed');
      }
      expect(new Set(jobs.map((j) => j.data.tick)).size).toBe(jobs.length);
      const ran = done.filter((j) => j.returnvalue === 'ran');
      const runs = await runsOf(a, conn);
      expect(runs.length).toBe(ran.length);
      expect(new Set(ran.map((j) => j.processedBy)).size).toBeGreaterThanOrEqual(1);

      const first = done[0]!;
      const again = await queue.add(RECONCILE_QUEUE, first.data, { jobId: first.id! });
      expect(again.id).toBe(first.id);
      expect(await again.getState()).toBe('completed');
      expect((await jobsOf(conn)).length).toBe(jobs.length);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 30_000);

  it('when the replica running a tick dies mid-run, then the tick is picked up again and completes on another replica', async () => {
    // A schedule that does not fire during the test: the tick below is enqueued the way a cron tick would be.
    const { cwd, env, conn } = await install('0 0 1 1 *');
    const tick = new Date(Math.floor(Date.now() / 1000) * 1000);
    const jobId = reconcileJobId(conn, tick);
    // The dying replica: a BullMQ worker on the same queue that takes the job, holds the connection's
    // single-flight lease like a run in progress, and is then SIGKILLed.
    const script = `
      import { Worker } from 'bullmq';
      import { Redis } from 'ioredis';
      const connection = new Redis(${JSON.stringify(redis.url)}, { maxRetriesPerRequest: null });
      const worker = new Worker(${JSON.stringify(RECONCILE_QUEUE)}, async (job) => {
        process.stdout.write('took ' + job.id + '\\n');
        await new Promise(() => {});
      }, { connection, prefix: ${JSON.stringify(bullPrefix('idsync'))}, lockDuration: 1000, stalledInterval: 500, name: 'doomed' });
      await worker.waitUntilReady();
      process.stdout.write('ready\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    let b: TestDaemon | undefined;
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += String(c)));
      child.stderr.on('data', (c: Buffer) => (out += String(c)));
      const seen = async (text: string) => {
        const until = Date.now() + 10_000;
        while (!out.includes(text)) {
          if (Date.now() > until) throw new Error(`the doomed worker did not say ${text}: ${out}`);
          await sleep(20);
        }
      };
      await seen('ready');
      await queue.add(RECONCILE_QUEUE, { connectionId: conn, tick: tick.toISOString() }, { jobId });
      await seen(`took ${jobId}`);
      // What its run held: the connection's single-flight lease, taken by the job.
      const store = await openRedisStore(loadConfig({ env, cwd }).redis);
      expect(await store.tryAcquireLease(`reconcile-running:${conn}`, jobId, 60_000)).toBe(true);
      await store.close();
      expect(await (await queue.getJob(jobId))!.getState()).toBe('active');
      child.kill('SIGKILL');
      await exited;

      b = await daemon(env, cwd);
      const deadline = Date.now() + 15_000;
      while ((await queue.getJob(jobId))?.finishedOn === undefined && Date.now() < deadline) await sleep(200);
      const job = (await queue.getJob(jobId))!;
      expect(await job.getState()).toBe('completed');
      expect(job.returnvalue).toBe('ran');
      expect(job.processedBy).not.toBe('doomed');
      const runs = await runsOf(b, conn);
      expect(runs.map((r) => [r.trigger, r.status])).toEqual([['schedule', 'completed']]);
      expect(b.logs.records().some((r) => r.message === 'running a tick again: the worker that had it stopped mid-run' && r.jobId === jobId)).toBe(true);
    } finally {
      child.kill('SIGKILL');
      await b?.stop();
    }
  }, 40_000);

  it('when a run outlasts the next tick, then that tick is skipped as busy on every replica; after a failed run the next tick backs off; stop aborts the run in flight', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_REDIS_KEY_PREFIX: 'flight', IDSYNC_SECRET_KEY: randomBytes(32).toString('base64') });
    const config = loadConfig({ env, cwd });
    const store = await openRedisStore(config.redis);
    const jobs = new Queue<ReconcileJobData, TickOutcome>(RECONCILE_QUEUE, { connection: client, prefix: bullPrefix('flight') });
    const summary = (connectionId: string, status: RunSummary['status']) =>
      ({ runId: 'r', connectionId, status, dryRun: false, listed: 0, matched: 0, linked: 0, deactivated: 0, reactivated: 0, invited: 0, held: 0, drift: 0, protected: 0, apiCalls: 0, durationMs: 0, guards: [] }) as RunSummary;
    const started: string[] = [];
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let aborted: unknown;
    const reconcile = {
      run: async (connectionId: string, opts: RunOptions = {}): Promise<RunSummary> => {
        started.push(connectionId);
        if (connectionId === 'slow') {
          await gate;
          return summary(connectionId, 'failed');
        }
        await new Promise((r) => opts.signal?.addEventListener('abort', r, { once: true }));
        aborted = opts.signal?.reason;
        return summary(connectionId, 'incomplete');
      },
    };
    const logger = captureLogger();
    const replicas = ['a', 'b'].map(
      (holder) => new BullmqTickRunner({ store, logger: logger.child({ holder }), redis: config.redis, run: { reconcile, runTimeoutMs: 20_000 }, failureBackoffMs: 60_000, holder }),
    );
    const finished = async (id: string) => {
      const until = Date.now() + 10_000;
      for (;;) {
        const job = await jobs.getJob(id);
        if (job?.finishedOn !== undefined) return job;
        if (Date.now() > until) throw new Error(`job ${id} did not finish`);
        await sleep(50);
      }
    };
    const fireAll = (conn: string, tick: Date) => Promise.all(replicas.map((r) => r.fire(conn, tick)));
    try {
      await Promise.all(replicas.map((r) => r.start()));
      const t = Math.floor(Date.now() / 1000) * 1000;
      for (const deadline = Date.now() + 15_000; !replicas.every((r) => r.connected) && Date.now() < deadline; ) await sleep(20);
      await sleep(300);
      expect(await fireAll('slow', new Date(t))).toEqual(['queued', 'queued']);
      while (started.length === 0) await sleep(20);
      await fireAll('slow', new Date(t + 1000));
      expect((await finished(reconcileJobId('slow', new Date(t + 1000)))).returnvalue).toBe('busy');
      expect(logger.lines.some((l) => l.message === 'reconcile still running (an earlier tick); skipping this tick' && l.connectionId === 'slow')).toBe(true);
      release();
      expect((await finished(reconcileJobId('slow', new Date(t)))).returnvalue).toBe('ran');
      await fireAll('slow', new Date(t + 2000));
      expect((await finished(reconcileJobId('slow', new Date(t + 2000)))).returnvalue).toBe('backoff');
      expect(started).toEqual(['slow']);

      await fireAll('hanging', new Date(t));
      while (started.length === 1) await sleep(20);
      await Promise.all(replicas.map((r) => r.stop()));
      expect(String(aborted)).toContain('shutting down');
      expect(await replicas[0]!.fire('hanging', new Date(t + 1000))).toBe('stopped');
    } finally {
      release();
      await Promise.all(replicas.map((r) => r.stop()));
      await jobs.close();
      await store.close();
    }
  }, 30_000);
});
