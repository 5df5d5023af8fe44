// Copies files tsc does not emit (the Redis store's Lua scripts, the SQLite SCIM log's writer thread) into dist/, next to the compiled
// modules that find them through import.meta.url. Silent on success.
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const assets = [
  ['src/store/redis/lua', 'dist/store/redis/lua'],
  ['src/store/sqlite/scim-log-writer.mjs', 'dist/store/sqlite/scim-log-writer.mjs'],
];

for (const [from, to] of assets) {
  rmSync(join(root, to), { recursive: true, force: true });
  cpSync(join(root, from), join(root, to), { recursive: true });
}
