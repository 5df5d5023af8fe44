// Runs jest, then prints the closing line CI reads: "N passed, N failed, N skipped".
// Extra arguments are passed to jest (e.g. a test path pattern).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const out = join(mkdtempSync(join(tmpdir(), 'idsync-jest-')), 'results.json');
const env = {
  ...process.env,
  // The suites run in one process (2 cores: jest runs in band), and jest's ESM module registries
  // grow with each test file: the default 4 GB heap ran out near the end of a full run.
  NODE_OPTIONS: [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--disable-warning=ExperimentalWarning', '--max-old-space-size=8192']
    .filter(Boolean)
    .join(' '),
};
const jestBin = join('node_modules', 'jest', 'bin', 'jest.js');
const res = spawnSync(process.execPath, [jestBin, '--json', `--outputFile=${out}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env,
});
let code = res.status ?? 1;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  if (r.numRuntimeErrorTestSuites > 0 || r.numFailedTestSuites > 0) code = code || 1;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests + r.numTodoTests} skipped`);
} else {
  console.log('0 passed, 1 failed, 0 skipped');
  code = code || 1;
}
process.exit(code);
