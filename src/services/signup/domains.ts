import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { IdsyncError } from '../../domain/errors.js';
import type { Actor, Member } from '../../domain/model.js';
import { emailDomain, normalizeDomain, PUBLIC_MAIL_DOMAINS, txtProves, verificationRecordName, verificationValue, type DomainClaim } from '../../domain/signup.js';
import type { ServiceDeps } from '../deps.js';
import { openOrg } from '../merge/sides.js';
import { parseInput } from '../validate.js';
import { lookupTxt, type TxtResolver } from './dns.js';

/** A claim as the API and CLI show it: with the DNS record that proves it. */
export type DomainView = DomainClaim & { record: { type: 'TXT'; name: string; value: string } };

export type VerifyMethod = 'dns' | 'owner_sign_in';

const addSchema = z.object({ domain: z.string().min(1).max(253), routeSignups: z.boolean().optional() }).strict();

export function viewOf(c: DomainClaim): DomainView {
  return { ...c, record: { type: 'TXT', name: verificationRecordName(c.domain), value: verificationValue(c.token) } };
}

/**
 * Domain capture. An org claims a domain (a random token is minted), then proves it either by a
 * DNS TXT record `idsync-verification=TOKEN` at `_idsync.DOMAIN`, or, where the daemon cannot reach
 * that DNS and the installation allows it (domains.ownerSignInProof), by an active owner whose
 * linked (verified) sign-in identity has an address at the domain. Public mail domains can never be claimed. A verified claim with routeSignups sends sign-ups of
 * that domain to the org as join requests.
 */
export class DomainService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly resolver: TxtResolver,
    private readonly opts: { ownerSignInProof: boolean } = { ownerSignInProof: true },
  ) {}

  /** The proofs this installation accepts (config domains.ownerSignInProof). */
  get methods(): VerifyMethod[] {
    return this.opts.ownerSignInProof ? ['dns', 'owner_sign_in'] : ['dns'];
  }

  async add(orgId: string, input: { domain: string; routeSignups?: boolean }, actor: Actor): Promise<DomainView> {
    const parsed = parseInput(addSchema, input);
    const domain = checkDomain(parsed.domain);
    await openOrg(this.deps, orgId);
    const at = this.deps.clock.now().toISOString();
    const claim: DomainClaim = { orgId, domain, token: randomBytes(18).toString('base64url'), status: 'pending', routeSignups: parsed.routeSignups ?? true, createdAt: at, updatedAt: at, version: 1 };
    await this.deps.store.createDomainClaim(claim, { orgId, actor, action: 'domain.added', target: { type: 'domain', id: domain }, after: { domain, routeSignups: claim.routeSignups } });
    return viewOf(claim);
  }

  async list(orgId: string): Promise<DomainView[]> {
    await this.org(orgId);
    return (await this.deps.store.listDomainClaims(orgId)).map(viewOf);
  }

  async get(orgId: string, domain: string): Promise<DomainView> {
    const claim = await this.deps.store.getDomainClaim(orgId, checkDomain(domain));
    if (!claim) throw new IdsyncError('domain.not_found', `the organization has no claim on ${domain}`, { domain });
    return viewOf(claim);
  }

  /** Checks the proof and marks the claim verified (again: nothing changes); `domain.taken` when another org holds it. */
  async verify(orgId: string, domainInput: string, method: VerifyMethod, actor: Actor): Promise<DomainView> {
    await openOrg(this.deps, orgId);
    const claim = await this.get(orgId, domainInput);
    if (claim.status === 'verified') return claim;
    if (!this.methods.includes(method)) {
      const { name, value } = claim.record;
      throw new IdsyncError('domain.method_disabled', `this installation accepts only the DNS record as proof of ${claim.domain} (domains.ownerSignInProof is false): publish TXT "${value}" at ${name}, then verify with method dns (\`idsync domains verify ${claim.domain} --org ${orgId}\`)`, {
        domain: claim.domain,
        methods: this.methods,
        record: claim.record,
      });
    }
    const evidence = method === 'dns' ? await this.dnsEvidence(claim) : await this.ownerEvidence(claim);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateDomainClaim(orgId, claim.domain, (cur) =>
      cur.status === 'verified'
        ? null
        : {
            next: { ...cur, status: 'verified', method, verifiedAt: at, ...(evidence.memberId ? { verifiedByMemberId: evidence.memberId } : {}), updatedAt: at },
            audit: { orgId, actor, action: 'domain.verified', target: { type: 'domain', id: cur.domain }, before: { status: cur.status }, after: { status: 'verified', method, ...evidence } },
          },
    );
    this.deps.logger.info('domain verified', { orgId, domain: claim.domain, method });
    return viewOf(record);
  }

  async setRouting(orgId: string, domainInput: string, routeSignups: boolean, actor: Actor): Promise<DomainView> {
    await openOrg(this.deps, orgId);
    const domain = checkDomain(domainInput);
    const at = this.deps.clock.now().toISOString();
    const { record } = await this.deps.store.updateDomainClaim(orgId, domain, (cur) =>
      cur.routeSignups === routeSignups ? null : { next: { ...cur, routeSignups, updatedAt: at }, audit: { orgId, actor, action: 'domain.updated', target: { type: 'domain', id: domain }, before: { routeSignups: cur.routeSignups }, after: { routeSignups } } },
    );
    return viewOf(record);
  }

  async remove(orgId: string, domainInput: string, actor: Actor): Promise<void> {
    const domain = checkDomain(domainInput);
    await this.org(orgId);
    const claim = await this.get(orgId, domain);
    await this.deps.store.deleteDomainClaim(orgId, domain, { orgId, actor, action: 'domain.removed', target: { type: 'domain', id: domain }, before: { status: claim.status, routeSignups: claim.routeSignups } });
  }

  /** The org a sign-up with this email is routed to: a verified claim with routeSignups, of an open org. */
  async routeFor(email: string): Promise<DomainClaim | undefined> {
    const domain = normalizeDomain(emailDomain(email));
    if (!domain) return undefined;
    const claim = await this.deps.store.findVerifiedDomain(domain);
    if (!claim?.routeSignups) return undefined;
    const org = await this.deps.store.getOrg(claim.orgId);
    return org && org.state !== 'merged' && org.state !== 'merging' ? claim : undefined;
  }

  private async dnsEvidence(claim: DomainClaim): Promise<{ record: string; memberId?: string }> {
    const name = verificationRecordName(claim.domain);
    const records = await lookupTxt(this.resolver, name);
    if (!txtProves(records, claim.token)) {
      throw new IdsyncError('domain.not_verified', `no TXT record ${verificationValue(claim.token)} at ${name} (found ${records.length} TXT record${records.length === 1 ? '' : 's'})`, { name, found: records.length });
    }
    return { record: name };
  }

  /** An active owner signed in (identity linked by a verified sign-in) with an address at the domain. */
  private async ownerEvidence(claim: DomainClaim): Promise<{ memberId: string; provider: string }> {
    const owners = await this.deps.store.listMembers(claim.orgId, { statuses: ['active'], roles: ['owner'], kinds: ['person'], limit: 1000 });
    for (const m of owners.items) {
      const id = provingIdentity(m, claim.domain);
      if (id) return { memberId: m.id, provider: id.provider };
    }
    throw new IdsyncError('domain.not_verified', `no active owner of the organization has signed in with an address at ${claim.domain}`, { domain: claim.domain });
  }

  private async org(orgId: string): Promise<void> {
    if (!(await this.deps.store.getOrg(orgId))) throw new IdsyncError('org.not_found', `organization ${orgId} not found`, { orgId });
  }
}

function provingIdentity(m: Member, domain: string) {
  return (m.identities ?? []).find((i) => i.email !== undefined && normalizeDomain(emailDomain(i.email)) === domain);
}

function checkDomain(input: string): string {
  const domain = normalizeDomain(input);
  if (!domain) throw new IdsyncError('domain.invalid', `${JSON.stringify(input)} is not a domain name (expected e.g. example.com)`, { field: 'domain' });
  if (PUBLIC_MAIL_DOMAINS.has(domain)) throw new IdsyncError('domain.public', `${domain} is a public mail domain; no organization can capture it`, { domain });
  return domain;
}
