/** The Google Workspace connector: service account with domain-wide delegation, Directory API. */
import type { ChannelCapable, ConnectorDeps, DirectoryConnector, GroupsCapable } from '../../ports/directory.js';
import { HttpClient } from '../http/client.js';
import { memoryTokenStore, TokenCache } from '../http/token-cache.js';
import { createListing } from '../listing.js';
import { defineConnector } from '../registry.js';
import { googleChannels } from './channels.js';
import { classifyGoogle, requestGoogleToken } from './client.js';
import { parseGoogleConfig, redactGoogleConfig, type GoogleConfig } from './config.js';
import { readGoogleGroups } from './groups.js';
import { getGoogleUser, readGoogleUsers } from './read.js';

export function openGoogle(config: GoogleConfig, deps: ConnectorDeps): DirectoryConnector & ChannelCapable & Partial<GroupsCapable> {
  const client = new HttpClient('google', classifyGoogle, deps);
  const auth = new TokenCache(deps.tokenStore ?? memoryTokenStore(), deps.clock, (signal) => requestGoogleToken(client, config, deps.clock, signal));
  const logger = deps.logger.child({ provider: 'google' });
  const counters = () => client.counters();
  return {
    provider: 'google',
    listUsers: (opts) => createListing(readGoogleUsers(client, auth, config), { clock: deps.clock, logger, counters, signal: opts?.signal }),
    getUser: (id, opts) => getGoogleUser(client, auth, config, id, opts?.signal),
    counters,
    ...googleChannels(client, auth, config, deps.clock),
    ...(config.groups !== undefined ? { readGroups: readGoogleGroups(client, auth, config, logger) } : {}),
  };
}

export const googleConnector = defineConnector('google', { secretKeys: ['serviceAccountKey'], parse: parseGoogleConfig, redact: redactGoogleConfig, open: openGoogle });
