/** The built-in connectors. Only the composition root imports this; core code takes a ConnectorRegistry. */
import type { ConnectorRegistry } from '../ports/directory.js';
import { githubConnector } from './github/index.js';
import { googleConnector } from './google/index.js';
import { microsoftConnector } from './microsoft/index.js';
import { createConnectorRegistry } from './registry.js';

export const BUILTIN_CONNECTORS = [googleConnector, microsoftConnector, githubConnector] as const;

export function createBuiltinRegistry(): ConnectorRegistry {
  return createConnectorRegistry(BUILTIN_CONNECTORS);
}
