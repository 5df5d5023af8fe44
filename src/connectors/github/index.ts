/** The GitHub connector: org members, as a GitHub App installation or with a token. */
import type { ConnectorDeps, DirectoryConnector, GroupsCapable } from '../../ports/directory.js';
import { HttpClient } from '../http/client.js';
import { memoryTokenStore, staticToken, TokenCache } from '../http/token-cache.js';
import { createListing } from '../listing.js';
import { defineConnector } from '../registry.js';
import { classifyGithub, requestInstallationToken } from './client.js';
import { parseGithubConfig, redactGithubConfig, type GithubConfig } from './config.js';
import { getGithubUser, readGithubMembers } from './read.js';
import { readGithubTeams } from './teams.js';

export function openGithub(config: GithubConfig, deps: ConnectorDeps): DirectoryConnector & Partial<GroupsCapable> {
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
    ...(config.groups !== undefined ? { readGroups: readGithubTeams(client, auth, config, logger) } : {}),
  };
}

export const githubConnector = defineConnector('github', { secretKeys: ['privateKey', 'token', 'webhookSecret'], parse: parseGithubConfig, redact: redactGithubConfig, open: openGithub });
