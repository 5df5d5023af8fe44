/**
 * Runs one local fake directory in its own process, so the benchmark's RSS is the connector's
 * alone. Usage: node fake-server.js <google|microsoft|github|github-nosaml> <users> ; reads the
 * public key PEM on stdin, prints one JSON line {url} when listening, stops on SIGTERM.
 */
import { GithubFake } from '../test/fakes/github-fake.js';
import { GoogleFake } from '../test/fakes/google-fake.js';
import { GraphFake } from '../test/fakes/graph-fake.js';
import { BENCH } from './identities.js';

const [kind, count] = [process.argv[2], Number(process.argv[3])];
let publicKeyPem = '';
for await (const chunk of process.stdin) publicKeyPem += String(chunk);

const fake =
  kind === 'google'
    ? new GoogleFake({ users: count, serviceAccountEmail: BENCH.serviceAccount, publicKeyPem, admins: [BENCH.admin] })
    : kind === 'microsoft'
      ? new GraphFake({ users: count, tenantId: BENCH.tenantId, clientId: BENCH.clientId, clientSecret: BENCH.clientSecret })
      : new GithubFake({ org: BENCH.org, members: count, appId: BENCH.appId, installationId: BENCH.installationId, publicKeyPem, saml: kind === 'github' });
await fake.start();
process.stdout.write(`${JSON.stringify({ url: fake.url })}\n`);
process.once('SIGTERM', () => void fake.stop().then(() => process.exit(0)));
