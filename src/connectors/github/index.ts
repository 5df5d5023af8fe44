/** The GitHub connector: org members, as a GitHub App installation or with a token. */
import type { ConnectorDeps, DirectoryConnector } from '../../ports/directory.js';
import { HttpClient } from '../http/client.js';
import { memoryTokenStore, staticToken, TokenCache } from '../http/token-cache.js';
import { createListing } from '../listing.js';
import { defineConnector } from '../registry.js';
import { classifyGithub, requestInstallationToken } from './client.js';
import { parseGithubConfig, redactGithubConfig, type GithubConfig } from './config.js';
import { getGithubUser, readGithubMembers } from './read.js';

export function openGithub(config: GithubConfig, deps: ConnectorDeps): DirectoryConnector {
  const client = new HttpClient('github', classifyGithub, deps);
  const auth =
    config.token !== undefined
      ? staticToken(config.token)
      : new TokenCache(deps.tokenStore ?? memoryTokenStore(), deps.clock, (signal) => requestInstallationToken(client, config, deps.clock, signal));
  const logger = deps.logger.child({ provider: 'github' });
  const counters = () => client.counters();
  return {
    provider: 'github',
    listUsers: (opts) => createListing(readGithubMembers(client, auth, config), { clock: deps.clock, logger, counters, signal: opts?.signal }),
    getUser: (id, opts) => getGithubUser(client, auth, config, id, opts?.signal),
    counters,
  };
}

export const githubConnector = defineConnector('github', { secretKeys: ['privateKey', 'token', 'webhookSecret'], parse: parseGithubConfig, redact: redactGithubConfig, open: openGithub });
