import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export const CAEP_SESSION_REVOKED = 'https://schemas.openid.net/secevent/caep/event-type/session-revoked';
export const RISC_DISABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-disabled';
export const RISC_ENABLED = 'https://schemas.openid.net/secevent/risc/event-type/account-enabled';
export const RISC_PURGED = 'https://schemas.openid.net/secevent/risc/event-type/account-purged';
export const SSF_VERIFICATION = 'https://schemas.openid.net/secevent/ssf/event-type/verification';

/** A SET after verification: its claims, the one event's type and payload, the signing kid and the token. */
export interface VerifiedSet {
  jwt: string;
  kid: string;
  claims: JWTPayload & { sub_id: SubId; txn?: string; events: Record<string, Record<string, unknown>> };
  event: string;
  payload: Record<string, unknown>;
  /** The member id and email of a member event's subject, and its tenant. */
  memberId?: string;
  email?: string;
  tenant?: string;
}

type SubId = { format: string; id?: string; user?: { format: string; identifiers: { format: string; email?: string; id?: string }[] }; tenant?: { format: string; id: string } };

/**
 * What an SSF receiver checks, written against the specs and jose only: the JWS signature against
 * the published JWKS, `typ: secevent+jwt`, `iss`, `aud`, `iat`, a `jti` never seen before, one
 * event per SET, a RFC 9493 subject (complex: user aliases with email and opaque id, tenant opaque;
 * or the stream's opaque id for verification) and the CAEP claims every member event carries.
 */
export class SetVerifier {
  readonly seen = new Set<string>();
  readonly problems: string[] = [];
  private readonly jwks;

  constructor(
    jwksUrl: string,
    private readonly issuer: string,
    private readonly audience: string,
  ) {
    this.jwks = createRemoteJWKSet(new URL(jwksUrl), { cooldownDuration: 0, cacheMaxAge: 0 });
  }

  async verify(jwt: string, { fresh = true }: { fresh?: boolean } = {}): Promise<VerifiedSet> {
    const { payload, protectedHeader } = await jwtVerify(jwt, this.jwks, { issuer: this.issuer, audience: this.audience, typ: 'secevent+jwt', algorithms: ['ES256'] });
    const claims = payload as VerifiedSet['claims'];
    const problem = (m: string) => {
      this.problems.push(`${claims.jti}: ${m}`);
      throw new Error(m);
    };
    if (typeof claims.jti !== 'string' || typeof claims.iat !== 'number') problem('jti and iat are required');
    if (fresh && this.seen.has(claims.jti!)) problem('jti seen before');
    this.seen.add(claims.jti!);
    if ('exp' in claims || 'sub' in claims) problem('a SET carries neither exp nor sub');
    const types = Object.keys(claims.events ?? {});
    if (types.length !== 1) problem(`one event per SET, got ${types.length}`);
    const event = types[0]!;
    const body = claims.events[event]!;
    const sub = claims.sub_id;
    if (event === SSF_VERIFICATION) {
      if (sub?.format !== 'opaque' || typeof sub.id !== 'string') problem('verification subject must be the opaque stream id');
      return { jwt, kid: String(protectedHeader.kid), claims, event, payload: body };
    }
    if (sub?.format !== 'complex' || sub.user?.format !== 'aliases' || sub.tenant?.format !== 'opaque') problem(`bad sub_id ${JSON.stringify(sub)}`);
    const email = sub.user!.identifiers.find((i) => i.format === 'email')?.email;
    const memberId = sub.user!.identifiers.find((i) => i.format === 'opaque')?.id;
    if (!memberId) problem('subject lacks the opaque member id');
    if (typeof body.event_timestamp !== 'number' || !['admin', 'user', 'policy', 'system'].includes(String(body.initiating_entity))) problem(`bad event claims ${JSON.stringify(body)}`);
    if (typeof (body.reason_admin as { en?: unknown } | undefined)?.en !== 'string') problem('reason_admin.en missing');
    return { jwt, kid: String(protectedHeader.kid), claims, event, payload: body, memberId: memberId!, ...(email ? { email } : {}), tenant: sub.tenant!.id };
  }
}

/** Kid of a compact JWS without verifying it. */
export const kidOf = (jwt: string) => String(decodeProtectedHeader(jwt).kid);

/**
 * An RFC 8935 push receiver on 127.0.0.1: takes `application/secevent+jwt` POSTs carrying the
 * expected Authorization, verifies each SET, and answers 202 (or the statuses queued with `answer`).
 */
export async function pushReceiver(verifier: () => SetVerifier, authorization: string) {
  const got: VerifiedSet[] = [];
  const refused: string[] = [];
  let statuses: number[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      void (async () => {
        const status = statuses.length > 1 ? statuses.shift()! : (statuses[0] ?? 202);
        if (status !== 202) return void res.writeHead(status).end();
        if (req.headers['content-type'] !== 'application/secevent+jwt' || req.headers.authorization !== authorization) {
          refused.push(`${req.headers['content-type']} ${req.headers.authorization}`);
          return void res.writeHead(401).end();
        }
        try {
          got.push(await verifier().verify(body));
          res.writeHead(202).end();
        } catch (err) {
          refused.push(err instanceof Error ? err.message : String(err));
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ err: 'invalid_request', description: String(err) }));
        }
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    got,
    refused,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events`,
    /** Statuses answered in turn; the last one repeats (202 verifies and keeps the SET). */
    answer: (...s: number[]) => (statuses = s),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
