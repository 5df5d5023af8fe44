/**
 * Registry: provider name → "parse config and open". The composition root builds one and injects
 * it; core code sees only the ConnectorRegistry port. A fake connector registers the same way.
 */
import { IdsyncError } from '../domain/errors.js';
import type {
  ConnectorDeps,
  ConnectorFactory,
  ConnectorRegistry,
  DirectoryConnector,
  DirectoryProvider,
  ParsedConnectorConfig,
} from '../ports/directory.js';

export interface ConnectorDefinition<C> {
  /** Top-level config keys that hold credentials. */
  readonly secretKeys: readonly string[];
  /** Validates raw config; throws connector.invalid_config naming the key. */
  readonly parse: (input: unknown) => C;
  /** What may be printed and logged. */
  readonly redact: (config: C) => Record<string, unknown>;
  readonly open: (config: C, deps: ConnectorDeps) => DirectoryConnector;
}

/**
 * Erases the config type for the registry. The typed config (with its secrets) is kept in a
 * WeakMap keyed by the parsed handle, so the handle itself can be logged or printed safely, and
 * open() accepts only handles its own parseConfig produced.
 */
export function defineConnector<C>(provider: DirectoryProvider, def: ConnectorDefinition<C>): ConnectorFactory {
  const configs = new WeakMap<ParsedConnectorConfig, C>();
  return Object.freeze({
    provider,
    secretKeys: Object.freeze([...def.secretKeys]),
    parseConfig(input: unknown): ParsedConnectorConfig {
      const config = def.parse(input);
      const handle: ParsedConnectorConfig = Object.freeze({ provider, redacted: Object.freeze(def.redact(config)) });
      configs.set(handle, config);
      return handle;
    },
    open(handle: ParsedConnectorConfig, deps: ConnectorDeps): DirectoryConnector {
      const config = configs.get(handle);
      if (config === undefined) {
        throw new IdsyncError('connector.invalid_config', `this config was not produced by the ${provider} connector's parseConfig`);
      }
      return def.open(config, deps);
    },
  });
}

export function createConnectorRegistry(factories: readonly ConnectorFactory[]): ConnectorRegistry {
  const byName = new Map<string, ConnectorFactory>();
  for (const f of factories) {
    if (byName.has(f.provider)) throw new IdsyncError('internal', `connector ${f.provider} registered twice`);
    byName.set(f.provider, f);
  }
  return Object.freeze({
    providers: Object.freeze([...byName.keys()]) as readonly DirectoryProvider[],
    get(provider: string): ConnectorFactory {
      const f = byName.get(provider);
      if (!f) throw new IdsyncError('connector.invalid_config', `provider: unknown provider "${provider}" (known: ${[...byName.keys()].join(', ')})`);
      return f;
    },
  });
}
