/**
 * What the directory and reconcile benchmarks share: the fake directory in a child process (with an
 * optional control channel to change users upstream), the connection config that points a
 * connector at it, and the number of API calls a complete listing must cost at best.
 */
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { BENCH } from './identities.js';

export type BenchKind = 'google' | 'microsoft' | 'github' | 'github-nosaml';
export const KINDS: readonly BenchKind[] = ['google', 'microsoft', 'github', 'github-nosaml'];

/** Users per `/users/delta` page in the fake: Graph picks the delta page size itself (no `$top`). */
export const GRAPH_DELTA_PAGE = 200;

/** A control message to the fake: these user indexes are suspended / disabled / removed upstream. */
export interface FakeControl {
  disable: number[];
}

export interface FakeProcess {
  url: string;
  /** Needs `control: true` at start. Resolves once the fake applied the change. */
  disable(indexes: number[]): Promise<void>;
  stop(): void;
}

export function parseKind(s: string | undefined): BenchKind {
  const k = KINDS.find((x) => x === (s ?? 'google'));
  if (!k) throw new Error(`unknown provider ${s}; one of ${KINDS.join(', ')}`);
  return k;
}

export function benchKeys(kind: BenchKind): { publicKeyPem: string; privateKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    privateKeyPem: privateKey.export({ format: 'pem', type: kind.startsWith('github') ? 'pkcs1' : 'pkcs8' }).toString(),
  };
}

export async function startFake(kind: BenchKind, users: number, publicKeyPem: string, opts: { control?: boolean } = {}): Promise<FakeProcess> {
  const script = fileURLToPath(new URL('./fake-server.js', import.meta.url));
  const child = spawn(process.execPath, [script, kind, String(users)], { stdio: opts.control ? ['pipe', 'pipe', 'inherit', 'ipc'] : ['pipe', 'pipe', 'inherit'] });
  child.stdin?.end(publicKeyPem);
  const lines = createInterface({ input: child.stdout! });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`fake exited with ${code}`)));
  });
  return {
    url: (JSON.parse(first) as { url: string }).url,
    disable: (indexes) =>
      new Promise<void>((resolve, reject) => {
        if (!child.send) return reject(new Error('the fake was started without a control channel'));
        child.once('message', () => resolve());
        const msg: FakeControl = { disable: indexes };
        child.send(msg);
      }),
    stop: () => {
      child.disconnect?.();
      child.kill('SIGTERM');
    },
  };
}

/** The raw connection config (what `connections create --config` takes) for the fake at `url`. */
export function connectorConfig(kind: BenchKind, url: string, privateKeyPem: string): { provider: 'google' | 'microsoft' | 'github'; config: Record<string, unknown> } {
  if (kind === 'google') {
    return { provider: 'google', config: { adminEmail: BENCH.admin, serviceAccountKey: { type: 'service_account', client_email: BENCH.serviceAccount, private_key: privateKeyPem }, apiBaseUrl: url, tokenUrl: `${url}/token` } };
  }
  if (kind === 'microsoft') return { provider: 'microsoft', config: { tenantId: BENCH.tenantId, clientId: BENCH.clientId, clientSecret: BENCH.clientSecret, graphBaseUrl: url, authorityHost: url } };
  return { provider: 'github', config: { org: BENCH.org, appId: BENCH.appId, installationId: BENCH.installationId, privateKey: privateKeyPem, apiBaseUrl: url } };
}

/**
 * Calls a complete listing of n users must cost, at best, with the page sizes the APIs allow.
 * `graph: 'delta'` is a full Graph round through `/users/delta` (what the reconciler reads).
 */
export function minimumCalls(kind: BenchKind, n: number, graph: 'users' | 'delta' = 'users'): { calls: number; formula: string } {
  const pages = (size: number) => Math.max(1, Math.ceil(n / size));
  switch (kind) {
    case 'google':
      return { calls: pages(500) + 1, formula: `ceil(N/500) + 1 token = ${pages(500)} + 1` };
    case 'microsoft':
      return graph === 'delta'
        ? { calls: pages(GRAPH_DELTA_PAGE) + 1, formula: `ceil(N/${GRAPH_DELTA_PAGE}) delta pages + 1 token = ${pages(GRAPH_DELTA_PAGE)} + 1` }
        : { calls: pages(999) + 1, formula: `ceil(N/999) + 1 token = ${pages(999)} + 1` };
    case 'github':
      return { calls: pages(100) + 1 + pages(100) + 1, formula: `ceil(N/100) members + 1 admins page + ceil(N/100) SAML identities + 1 installation token = ${pages(100)} + 1 + ${pages(100)} + 1` };
    default:
      return { calls: pages(100) + 1 + 1 + 1, formula: `ceil(N/100) members + 1 admins page + 1 SAML query (no SAML) + 1 installation token = ${pages(100)} + 3` };
  }
}

/** The email the fake gives directory user i (what a member must have to be linked by email). */
export function fakeEmail(kind: BenchKind, i: number): string {
  if (kind === 'google') return `user${i}@example.com`;
  if (kind === 'microsoft') return `user${i}@contoso.example`;
  return `person${i}@corp.example`;
}

export const mib = (bytes: number) => +(bytes / 2 ** 20).toFixed(1);
export const peakRssMiB = () => +(process.resourceUsage().maxRSS / 1024).toFixed(1);
