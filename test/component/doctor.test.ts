import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { DoctorCheck } from '../../src/cli/commands/doctor.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { RedisTestServer } from '../support/redis-server.js';

interface Report {
  ok: boolean;
  checks: DoctorCheck[];
}

const secretKey = () => randomBytes(32).toString('base64');
const check = (report: Report, name: DoctorCheck['name']) => report.checks.find((c) => c.name === name);

/** A port nothing listens on: bound once to learn a free number, then released. */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

describe('idsync doctor', () => {
  let redis: RedisTestServer;
  beforeAll(async () => {
    // The password is set once the server runs: the harness waits for an unauthenticated PONG.
    redis = await RedisTestServer.start();
    const admin = new Redis(redis.url);
    await admin.config('SET', 'requirepass', 'right-password');
    admin.disconnect();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  it('when a fresh SQLite installation is checked, then every check passes, the JSON lists them and the exit code is 0', async () => {
    // Arrange
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'));

    // Act
    const run = await cli(env, cwd, 'doctor', '--json');

    // Assert
    expect(run.code).toBe(0);
    const report = run.json<Report>();
    expect(report.ok).toBe(true);
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['config', true],
      ['data-dir', true],
      ['secret-key', true],
      ['store', true],
    ]);
    expect(report.checks.every((c) => c.fix === undefined)).toBe(true);
    expect(check(report, 'store')?.message).toContain(join(cwd, 'data', 'idsync.db'));
    // Read-only about the key: doctor never generates it (the daemon does on first start).
    expect(readdirSync(join(cwd, 'data'))).not.toContain('secret.key');
  });

  it('when the report is printed for people, then each check is a ✓ line and a summary closes it', async () => {
    const cwd = tempDir();
    const run = await cli(testEnv(join(cwd, 'data')), cwd, 'doctor');

    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('✓ '))).toHaveLength(4);
    expect(lines.at(-1)).toBe('all 4 checks passed');
  });

  it('when Redis mode points at a closed port, then the store check fails fast, names the address and says how to fix it', async () => {
    // Arrange
    const cwd = tempDir();
    const port = await closedPort();
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: `redis://:hunter2@127.0.0.1:${port}/0`, IDSYNC_SECRET_KEY: secretKey() });

    // Act
    const started = Date.now();
    const run = await cli(env, cwd, 'doctor');
    const elapsed = Date.now() - started;

    // Assert
    expect(run.code).toBe(1);
    expect(elapsed).toBeLessThan(4000);
    expect(run.stdout).toMatch(/^✓ config/m);
    expect(run.stdout).toMatch(/^✓ secret-key/m);
    expect(run.stdout).toContain(`✗ store       Redis cannot be reached: 127.0.0.1:${port} (ECONNREFUSED)`);
    expect(run.stdout).toMatch(/fix: start Redis or correct IDSYNC_REDIS_URL/);
    expect(run.stdout.trim().split('\n').at(-1)).toBe('1 of 3 checks failed');
    expect(run.stdout + run.stderr).not.toContain('hunter2');
  });

  it('when the Redis password is wrong, then the store check reports the refusal and points at IDSYNC_REDIS_PASSWORD', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_REDIS_PASSWORD: 'wrong-password', IDSYNC_SECRET_KEY: secretKey() });

    const run = await cli(env, cwd, 'doctor', '--json');

    expect(run.code).toBe(1);
    const store = check(run.json<Report>(), 'store');
    expect(store).toMatchObject({ ok: false, message: expect.stringMatching(/WRONGPASS/) });
    expect(store?.fix).toContain('IDSYNC_REDIS_PASSWORD');
    expect(run.stdout).not.toContain('wrong-password');
  });

  it('when Redis answers with the right password, then every check passes', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), { IDSYNC_STORE: 'redis', IDSYNC_REDIS_URL: redis.url, IDSYNC_REDIS_PASSWORD: 'right-password', IDSYNC_SECRET_KEY: secretKey() });

    const run = await cli(env, cwd, 'doctor', '--json');

    expect(run.code).toBe(0);
    expect(run.json<Report>().checks.map((c) => [c.name, c.ok])).toEqual([
      ['config', true],
      ['secret-key', true],
      ['store', true],
    ]);
  });

  it('when the configuration is invalid, then only the config check runs, lists every problem, and the exit code is 1', async () => {
    const cwd = tempDir();
    const env = testEnv(join(cwd, 'data'), { IDSYNC_PORT: 'eighty', IDSYNC_STORE: 'redis' });

    const run = await cli(env, cwd, 'doctor', '--json');

    expect(run.code).toBe(1);
    const report = run.json<Report>();
    expect(report.ok).toBe(false);
    expect(report.checks).toHaveLength(1);
    expect(report.checks[0]).toMatchObject({ name: 'config', ok: false, fix: expect.stringContaining('idsync config example') });
    for (const problem of ['server.port (IDSYNC_PORT)', 'redis.url (IDSYNC_REDIS_URL)', 'secretKey (IDSYNC_SECRET_KEY)']) {
      expect(report.checks[0]!.message).toContain(problem);
    }
  });

  it('when the data directory is a file and the key file is damaged, then those checks fail with fixes', async () => {
    // Arrange: one installation whose data "dir" is a regular file, one whose secret.key is garbage.
    const cwd = tempDir();
    writeFileSync(join(cwd, 'not-a-dir'), 'x');
    const damaged = join(cwd, 'damaged');
    mkdirSync(damaged);
    writeFileSync(join(damaged, 'secret.key'), 'too-short\n');

    // Act
    const fileAsDir = (await cli(testEnv(join(cwd, 'not-a-dir')), cwd, 'doctor', '--json')).json<Report>();
    const badKey = await cli(testEnv(damaged), cwd, 'doctor', '--json');

    // Assert
    expect(check(fileAsDir, 'data-dir')).toMatchObject({ ok: false, message: expect.stringContaining('is not a directory'), fix: expect.stringContaining('IDSYNC_DATA_DIR') });
    expect(check(fileAsDir, 'store')?.ok).toBe(false);
    expect(badKey.code).toBe(1);
    expect(check(badKey.json<Report>(), 'secret-key')).toMatchObject({ ok: false, fix: expect.stringContaining('backup') });
    expect(check(badKey.json<Report>(), 'store')?.ok).toBe(true);
  });
});
