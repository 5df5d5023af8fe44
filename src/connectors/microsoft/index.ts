/** The Microsoft Graph connector: client credentials (secret or certificate), users or one group. */
import type { ConnectorDeps, DeltaCapable, DirectoryConnector, GroupsCapable, SubscriptionCapable } from '../../ports/directory.js';
import { HttpClient } from '../http/client.js';
import { memoryTokenStore, TokenCache } from '../http/token-cache.js';
import { createListing } from '../listing.js';
import { defineConnector } from '../registry.js';
import { microsoftTokenIssuer } from './auth.js';
import { classifyGraph } from './client.js';
import { parseMicrosoftConfig, redactMicrosoftConfig, type MicrosoftConfig } from './config.js';
import { listGraphChanges } from './delta.js';
import { readGraphGroups } from './groups.js';
import { getGraphUser, readGraphUsers } from './read.js';
import { graphSubscriptions } from './subscriptions.js';

/**
 * Delta is offered only for the whole tenant: `/users/delta` cannot be scoped to a group, so a
 * connection with groupId has no listChanges (callers detect that with supportsDelta).
 */
export function openMicrosoft(config: MicrosoftConfig, deps: ConnectorDeps): (DirectoryConnector & SubscriptionCapable & Partial<GroupsCapable>) | (DirectoryConnector & SubscriptionCapable & DeltaCapable & Partial<GroupsCapable>) {
  const client = new HttpClient('microsoft', classifyGraph, deps);
  const auth = new TokenCache(deps.tokenStore ?? memoryTokenStore(), deps.clock, microsoftTokenIssuer(client, config));
  const logger = deps.logger.child({ provider: 'microsoft' });
  const counters = () => client.counters();
  const base: DirectoryConnector & SubscriptionCapable & Partial<GroupsCapable> = {
    provider: 'microsoft',
    listUsers: (opts) => createListing(readGraphUsers(client, auth, config), { clock: deps.clock, logger, counters, signal: opts?.signal }),
    getUser: (id, opts) => getGraphUser(client, auth, config, id, opts?.signal),
    counters,
    ...graphSubscriptions(client, auth, config),
    ...(config.groups !== undefined ? { readGroups: readGraphGroups(client, auth, config, { clock: deps.clock, logger }) } : {}),
  };
  if (config.groupId !== undefined) return base;
  return { ...base, listChanges: (state, opts) => listGraphChanges(client, auth, config, { clock: deps.clock, logger }, state, opts?.signal) };
}

export const microsoftConnector = defineConnector('microsoft', { secretKeys: ['clientSecret', 'certificate'], parse: parseMicrosoftConfig, redact: redactMicrosoftConfig, open: openMicrosoft });
