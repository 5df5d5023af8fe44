/**
 * A Google Workspace connection with realtime on, over the local Google fake, for the notification
 * tests and the bench: USERS directory users and as many members (member 0 the owner) linked by a
 * first run, so user i's changes land on member i.
 */
import type { Actor } from '../../src/domain/model.js';
import type { Services } from '../../src/services/index.js';
import { GoogleFake } from '../fakes/google-fake.js';
import { rsaKeys } from './connectors.js';

const ACTOR: Actor = { kind: 'cli', label: 'google hooks' };
export const GOOGLE_SA = 'idsync@project.iam.gserviceaccount.com';

export interface GoogleHookWorld {
  fake: GoogleFake;
  orgId: string;
  connId: string;
  memberIds: string[];
}

export async function startGoogleFake(users: number): Promise<GoogleFake> {
  const keys = rsaKeys();
  const fake = await new GoogleFake({ users, serviceAccountEmail: GOOGLE_SA, publicKeyPem: keys.publicPem, admins: ['admin@example.com'] }).start();
  googleKeys.set(fake, keys.pkcs8);
  return fake;
}
const googleKeys = new WeakMap<GoogleFake, string>();

export function googleConfig(fake: GoogleFake): Record<string, unknown> {
  return {
    adminEmail: 'admin@example.com',
    serviceAccountKey: JSON.stringify({ type: 'service_account', client_email: GOOGLE_SA, private_key: googleKeys.get(fake) }),
    apiBaseUrl: fake.url,
    tokenUrl: fake.tokenUrl,
  };
}

export async function googleWorld(services: Services, fake: GoogleFake, opts: { members: number; maxDeactivations: number; orgName?: string }): Promise<GoogleHookWorld> {
  const orgId = (await services.orgs.create({ name: opts.orgName ?? 'Example' }, ACTOR)).id;
  const memberIds: string[] = [];
  for (let i = 0; i < opts.members; i++) memberIds.push((await services.members.create(orgId, { email: `user${i}@${fake.domain}`, role: i === 0 ? 'owner' : 'member' }, ACTOR)).id);
  const policy = { realtime: true, maxDeactivations: opts.maxDeactivations, maxDeactivationPercent: 100 };
  const connId = (await services.connections.create(orgId, { provider: 'google', config: googleConfig(fake), policy }, ACTOR)).id;
  return { fake, orgId, connId, memberIds };
}

/** What Google says a change was about: the user resource's id and primary email. */
export function googleUserRef(fake: GoogleFake, i: number): { id: string; primaryEmail: string } {
  const u = fake.userAt(i);
  return { id: u.id, primaryEmail: u.primaryEmail };
}
