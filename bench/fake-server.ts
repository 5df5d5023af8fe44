/**
 * Runs one local fake directory in its own process, so the benchmark's RSS is the connector's
 * alone. Usage: node fake-server.js <google|microsoft|github|github-nosaml> <users> ; reads the
 * public key PEM on stdin, prints one JSON line {url} when listening, stops on SIGTERM. Started
 * with an IPC channel, it takes {disable: [i, …]} messages (Google: suspended, Graph: disabled,
 * reported by the next delta round; GitHub: removed from the org) and answers each when applied.
 */
import { GithubFake } from '../test/fakes/github-fake.js';
import { GoogleFake } from '../test/fakes/google-fake.js';
import { GraphFake } from '../test/fakes/graph-fake.js';
import { GRAPH_DELTA_PAGE, parseKind, type FakeControl } from './harness.js';
import { BENCH } from './identities.js';

const [kind, count] = [parseKind(process.argv[2]), Number(process.argv[3])];
let publicKeyPem = '';
for await (const chunk of process.stdin) publicKeyPem += String(chunk);

const suspended = new Set<number>();
const google = kind === 'google' ? new GoogleFake({ users: count, serviceAccountEmail: BENCH.serviceAccount, publicKeyPem, admins: [BENCH.admin], patch: (i, u) => (suspended.has(i) ? { ...u, suspended: true } : u) }) : undefined;
const graph = kind === 'microsoft' ? new GraphFake({ users: count, tenantId: BENCH.tenantId, clientId: BENCH.clientId, clientSecret: BENCH.clientSecret, deltaPageSize: GRAPH_DELTA_PAGE }) : undefined;
const github = kind.startsWith('github') ? new GithubFake({ org: BENCH.org, members: count, appId: BENCH.appId, installationId: BENCH.installationId, publicKeyPem, saml: kind === 'github', removed: suspended }) : undefined;
const fake = google ?? graph ?? github!;
await fake.start();
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
process.once('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
process.on('message', (msg: FakeControl) => {
  for (const i of msg.disable) {
    if (graph) graph.disable(i);
    else suspended.add(i);
  }
  process.send?.({ applied: msg.disable.length });
});
process.on('disconnect', () => void fake.stop().then(() => process.exit(0)));
