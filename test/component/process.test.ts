import { beforeAll, describe, expect, it } from '@jest/globals';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '../support/harness.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'bin', 'idsync.js');

/** The real thing: the compiled daemon and CLI as separate OS processes, as `npm start` and `npx idsync` run them. */
describe('idsync as an OS process', () => {
  beforeAll(() => {
    const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, encoding: 'utf8' });
    expect(build.stderr + build.stdout).toBe('');
    expect(build.status).toBe(0);
  }, 120_000);

  it('when started, it serves; the CLI shares its store; SIGTERM stops it cleanly with exit code 0', async () => {
    const cwd = tempDir();
    const env = { ...process.env, IDSYNC_DATA_DIR: join(cwd, 'data'), IDSYNC_PORT: '0', IDSYNC_HOST: '127.0.0.1', IDSYNC_LOG_FORMAT: 'json' };
    const child = spawn(process.execPath, [bin, 'serve'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      let out = '';
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`daemon did not start: ${out}`)), 15_000);
        child.stdout.on('data', (c: Buffer) => {
          out += String(c);
          const m = /"message":"idsync listening".*?"port":(\d+)|"port":(\d+).*?"message":"idsync listening"/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(Number(m[1] ?? m[2]));
          }
        });
      });
      expect(await (await fetch(`http://127.0.0.1:${port}/readyz`)).json()).toEqual({ status: 'ready', store: 'sqlite' });

      const created = spawnSync(process.execPath, [bin, 'orgs', 'create', '--name', 'Proc', '--json'], { cwd, env, encoding: 'utf8' });
      expect(created.status).toBe(0);
      const org = JSON.parse(created.stdout) as { id: string };
      const keyRun = spawnSync(process.execPath, [bin, 'admin-keys', 'create', '--json'], { cwd, env, encoding: 'utf8' });
      const { key } = JSON.parse(keyRun.stdout) as { key: string };
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/orgs/${org.id}`, { headers: { authorization: `Bearer ${key}` } });
      expect(res.status).toBe(200);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('"message":"stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  }, 60_000);

  it('when the configuration is invalid, then the process exits 2 and names every bad key', () => {
    const cwd = tempDir();
    const r = spawnSync(process.execPath, [bin, 'serve'], {
      cwd,
      env: { ...process.env, IDSYNC_DATA_DIR: cwd, IDSYNC_PORT: 'abc', IDSYNC_LOG_FORMAT: 'xml' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('server.port (IDSYNC_PORT)');
    expect(r.stderr).toContain('log.format (IDSYNC_LOG_FORMAT)');
  });
});
