#!/usr/bin/env node
// The idsync CLI. Runs the compiled code in dist/ (built by `npm ci`, `npm run build` or `npm start`).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('idsync is not built yet: run `npm run build` (npm ci does it too)\n');
  process.exit(2);
}
await import(entry.href);
