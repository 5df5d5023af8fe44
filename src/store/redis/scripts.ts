import { readdirSync, readFileSync } from 'node:fs';
import type { RedisClient } from './client.js';

/**
 * Loads the Lua scripts in ./lua (one file per atomic operation, named `<name>-<keys>.lua` like
 * bullmq's commands, where <keys> is the number of fixed KEYS; a script may take more, documented in
 * its header) and defines them on an ioredis client. A line `--@include <name>` is replaced by the
 * content of `lua/includes/<name>.lua`, so the audit append lives in one place.
 */
export const LUA_DIR = new URL('./lua/', import.meta.url);

export const SCRIPT_NAMES = [
  'acquireLease',
  'addTeamMembers',
  'appendAudit',
  'appendScimLog',
  'consumePortalLink',
  'createAdminKey',
  'createExpiring',
  'createInvitation',
  'createMember',
  'createOrg',
  'createReceipt',
  'createRecord',
  'createRun',
  'createScimToken',
  'createStream',
  'createTeam',
  'deleteRecord',
  'deleteTeam',
  'enqueueSet',
  'hdelIfEquals',
  'indexAdminKey',
  'indexConnection',
  'indexOrg',
  'removeTeamMembers',
  'replaceIfEquals',
  'releaseLease',
  'replaceRecord',
  'revokeConsoleSession',
  'revokeScimToken',
  'saveDelivery',
  'touchConsoleSession',
  'unindexAdminKey',
  'unindexConnection',
  'updateInvitation',
  'updateMember',
  'updateMembers',
  'updateTeam',
  'zremIfScore',
] as const;

export type ScriptName = (typeof SCRIPT_NAMES)[number];

export interface LuaScript {
  name: ScriptName;
  /** The KEYS count in the file name: the least a call passes. */
  fixedKeys: number;
  lua: string;
}

const INCLUDE = /^--@include\s+([A-Za-z0-9_]+)\s*$/gm;

export function expandIncludes(source: string, readInclude: (name: string) => string, seen: readonly string[] = []): string {
  return source.replace(INCLUDE, (_line, name: string) => {
    if (seen.includes(name)) throw new Error(`Lua include cycle: ${[...seen, name].join(' -> ')}`);
    return expandIncludes(readInclude(name), readInclude, [...seen, name]);
  });
}

let cache: ReadonlyMap<ScriptName, LuaScript> | undefined;

export function loadScripts(dir: URL = LUA_DIR): ReadonlyMap<ScriptName, LuaScript> {
  if (dir === LUA_DIR && cache) return cache;
  const readInclude = (name: string) => readFileSync(new URL(`includes/${name}.lua`, dir), 'utf8');
  const scripts = new Map<ScriptName, LuaScript>();
  for (const file of readdirSync(dir)) {
    const m = /^([A-Za-z]+)-(\d+)\.lua$/.exec(file);
    if (!m) continue;
    const name = m[1] as ScriptName;
    if (!SCRIPT_NAMES.includes(name)) throw new Error(`unexpected Lua script ${file}`);
    scripts.set(name, { name, fixedKeys: Number(m[2]), lua: expandIncludes(readFileSync(new URL(file, dir), 'utf8'), readInclude) });
  }
  const missing = SCRIPT_NAMES.filter((n) => !scripts.has(n));
  if (missing.length > 0) throw new Error(`Lua scripts missing from ${dir.pathname}: ${missing.join(', ')}`);
  if (dir === LUA_DIR) cache = scripts;
  return scripts;
}

type ScriptCall = (...args: (string | number)[]) => Promise<unknown>;

/** The scripts, defined on one client as commands named `idsync:<name>` (EVALSHA, EVAL on first use). */
export class RedisScripts {
  private readonly scripts: ReadonlyMap<ScriptName, LuaScript>;

  constructor(private readonly client: RedisClient) {
    this.scripts = loadScripts();
    for (const s of this.scripts.values()) client.defineCommand(commandName(s.name), { lua: s.lua });
  }

  run(name: ScriptName, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    const script = this.scripts.get(name)!;
    if (keys.length < script.fixedKeys) {
      return Promise.reject(new Error(`Lua script ${name} needs at least ${script.fixedKeys} keys, got ${keys.length}`));
    }
    const fn = Reflect.get(this.client, commandName(name)) as ScriptCall;
    return fn.call(this.client, keys.length, ...keys, ...args);
  }
}

const commandName = (name: ScriptName) => `idsync:${name}`;
