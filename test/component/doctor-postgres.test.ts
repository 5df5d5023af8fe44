import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { DoctorCheck } from '../../src/cli/commands/doctor.js';
import { cli, tempDir, testEnv } from '../support/harness.js';
import { PostgresTestServer } from '../support/postgres-server.js';

interface Report {
  ok: boolean;
  checks: DoctorCheck[];
}

describe('idsync doctor on PostgreSQL', () => {
  let server: PostgresTestServer;
  beforeAll(async () => {
    server = await PostgresTestServer.start();
  });
  afterAll(async () => {
    await server?.dispose();
  });
  const envWith = (password: string) =>
    testEnv(join(tempDir(), 'data'), {
      IDSYNC_STORE: 'postgres',
      IDSYNC_POSTGRES_URL: `postgres://${PostgresTestServer.user}@127.0.0.1:${server.port}/postgres`,
      IDSYNC_POSTGRES_PASSWORD: password,
      IDSYNC_SECRET_KEY: randomBytes(32).toString('base64'),
    });

  it('when the password is wrong, then the store check fails, points at the PostgreSQL settings and never prints the password', async () => {
    const cwd = tempDir();
    const run = await cli(envWith('wrong-password'), cwd, 'doctor', '--json');

    expect(run.code).toBe(1);
    const store = run.json<Report>().checks.find((c) => c.name === 'store');
    expect(store).toMatchObject({ ok: false, message: expect.stringContaining(`PostgreSQL 127.0.0.1:${server.port}/postgres does not answer`) });
    expect(store?.message).toMatch(/password authentication failed.*28P01/);
    expect(store?.fix).toContain('IDSYNC_POSTGRES_PASSWORD');
    expect(run.stdout).not.toContain('wrong-password');
  });

  it('when the server answers, then every check passes and the store is named without credentials', async () => {
    const cwd = tempDir();
    const run = await cli(envWith(PostgresTestServer.password), cwd, 'doctor', '--json');

    expect(run.code).toBe(0);
    const report = run.json<Report>();
    expect(report.checks.map((c) => [c.name, c.ok])).toEqual([
      ['config', true],
      ['secret-key', true],
      ['store', true],
    ]);
    expect(report.checks.find((c) => c.name === 'store')?.message).toBe(`PostgreSQL 127.0.0.1:${server.port}/postgres answers`);
    expect(run.stdout).not.toContain(PostgresTestServer.password);
  });
});
