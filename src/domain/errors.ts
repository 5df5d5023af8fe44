/**
 * Coded errors. Every failure a caller can act on carries a stable string code from this table;
 * the HTTP layer maps the code to a status, the CLI prints it, and the README's error table is
 * checked against it by a test. Add a code here, never a new ad-hoc Error subclass.
 */
export const ERROR_CODES = {
  'request.invalid': { status: 400, doc: 'The request body, query or arguments failed validation.' },
  'request.too_large': { status: 413, doc: 'The request body is larger than server.bodyLimit.' },
  'route.not_found': { status: 404, doc: 'No such endpoint.' },
  'auth.unauthorized': { status: 401, doc: 'Missing, unknown or revoked credentials.' },
  'auth.forbidden': { status: 403, doc: 'The credentials are valid but do not allow this action.' },
  'api.rate_limited': { status: 429, doc: 'The admin key sent more requests this minute than api.rateLimitPerMinute allows; retry after Retry-After seconds.' },
  'auth.throttled': { status: 429, doc: 'Too many failed authentication attempts from this client address (server.authFailuresPerMinute); retry after Retry-After seconds. Valid credentials are never throttled.' },
  'org.not_found': { status: 404, doc: 'No such organization (or not visible to this key).' },
  'org.merged': { status: 410, doc: 'The organization was merged, or is being merged, into another one (details.mergedInto, details.state); it takes no changes.' },
  'org.merge_refused': { status: 409, doc: 'The merge cannot run: the same organization on both sides, the target closed, or another merge of the source under way into a different target.' },
  'org.deleting': { status: 409, doc: 'The organization is scheduled for deletion (details.purgeAt): it takes no changes and its tokens and links do not work; an owner or the operator can restore it until then.' },
  'org.deletion_refused': { status: 409, doc: 'The organization cannot be deleted or restored in its state (merged, being merged, not scheduled for deletion, or already purged).' },
  'support.consent_required': { status: 403, doc: "The organization allows support access only with an owner's consent: an owner grants time-boxed access (`idsync support-access grant --org ORG_ID --hours N --reason TEXT` with the org's key, or POST /api/v1/orgs/{org}/support-grants)." },
  'support.grant_not_found': { status: 404, doc: 'No such support access grant in this organization.' },
  'merge.not_found': { status: 404, doc: 'No merge has been started for this organization.' },
  'audit.verification_not_found': { status: 404, doc: "The organization's audit chain has not been verified in the background yet." },
  'member.not_found': { status: 404, doc: 'No such member in this organization.' },
  'member.user_name_taken': { status: 409, doc: 'Another live member of the organization has this userName (case-insensitive).' },
  'member.removed': { status: 409, doc: 'The member was removed; a removed member is a tombstone and is never reactivated.' },
  'member.last_owner': { status: 409, doc: 'The change would leave the organization without an active owner.' },
  'member.domain_not_allowed': { status: 422, doc: "The member's email domain is not in the organization's allowed domains." },
  'member.managed_elsewhere': { status: 409, doc: 'Another writer (SCIM or a directory connection) manages this member.' },
  'member.already_member': { status: 409, doc: 'The person being added from another organization is already a live member of this one (same sign-in identity or email).' },
  'member.not_addable': { status: 409, doc: 'Only an active person can be added from another organization: the account is inactive there, or a service account.' },
  'member.role_governed': { status: 409, doc: "A role mapping governs this member's role (the error names it); change the mapping or the group, or let manual overrides win (settings.manualOverridesWin)." },
  'role_mapping.not_found': { status: 404, doc: 'No such role mapping in this organization.' },
  'role_mapping.exists': { status: 409, doc: 'This group already has a role mapping in the organization; change that one.' },
  'role_mapping.owner_not_allowed': { status: 403, doc: 'A mapping to the owner role needs the organization to allow it (settings.ownerByMapping).' },
  'team.not_found': { status: 404, doc: 'No such team in this organization.' },
  'team.name_taken': { status: 409, doc: 'Another team of the organization has this displayName (case-insensitive).' },
  'team.managed_elsewhere': { status: 409, doc: "A directory connection keeps this team from a directory group (the error names both): change its members and name in the directory, or stop syncing the group; an emptied team may be deleted." },
  'invite.not_found': { status: 404, doc: 'No such invitation in this organization.' },
  'invite.cap_reached': { status: 409, doc: "The organization already has its maximum of pending invitations (settings.pendingInviteCap)." },
  'invite.duplicate': { status: 409, doc: 'A pending invitation for this email already exists; resend it instead.' },
  'link.not_found': { status: 404, doc: 'No such invite link in this organization.' },
  'invite.already_member': { status: 409, doc: 'A live member of the organization already has this email; nobody needs inviting.' },
  'invite.expired': { status: 410, doc: 'The invitation passed its expiry; ask for a new one (an admin can resend it).' },
  'invite.revoked': { status: 410, doc: 'The invitation was revoked or withdrawn.' },
  'invite.used': { status: 409, doc: 'The invitation was already accepted; it can be used once.' },
  'invite.wrong_email': { status: 403, doc: "The signed-in identity's verified email is not the invited one (compared case-insensitively)." },
  'link.expired': { status: 410, doc: 'The invite link passed its expiry.' },
  'link.revoked': { status: 410, doc: 'The invite link was revoked; an old URL of a rotated link is not found at all.' },
  'link.used_up': { status: 409, doc: 'The invite link reached its maximum number of uses.' },
  'link.domain_not_allowed': { status: 403, doc: "The joiner's verified email domain is not one the invite link allows." },
  'join.email_unverified': { status: 403, doc: "The sign-in provider did not confirm the joiner's email address; an invite link needs a verified one." },
  'join.not_in_directory': { status: 403, doc: 'The invite link is for people its directory connection lists as active, and the signed-in person is not one (or signed in with another provider).' },
  'join.failed': { status: 502, doc: "The sign-in provider, or the link's directory, could not confirm who the joiner is; try again." },
  'join.provider_unavailable': { status: 404, doc: 'The sign-in provider named in the join URL is not configured.' },
  'join.session_invalid': { status: 400, doc: 'The join sign-in could not be verified (its state cookie is missing, expired, from another browser or altered); start again from the link.' },
  'join.cancelled': { status: 400, doc: 'The joiner cancelled the sign-in at the provider.' },
  'signup.closed': { status: 404, doc: 'Sign-up is off on this installation (signup.mode), or invite-only and the action needs it open.' },
  'domain.invalid': { status: 400, doc: 'Not a domain name (expected e.g. example.com).' },
  'domain.public': { status: 422, doc: 'A public mail domain (gmail.com, outlook.com, …) cannot be captured by an organization.' },
  'domain.not_found': { status: 404, doc: 'The organization has no claim on this domain.' },
  'domain.exists': { status: 409, doc: 'The organization already claims this domain.' },
  'domain.taken': { status: 409, doc: 'Another organization has verified this domain; two organizations cannot capture one domain.' },
  'domain.not_verified': { status: 422, doc: 'The proof was not found: no TXT record idsync-verification=TOKEN at _idsync.DOMAIN, or no active owner whose verified sign-in is at the domain.' },
  'domain.dns_unavailable': { status: 503, doc: 'The DNS lookup of the verification record failed (timeout, SERVFAIL); try again, or verify by an owner sign-in where the installation accepts it.' },
  'domain.method_disabled': { status: 409, doc: "This installation accepts only the DNS TXT record as proof of a domain (domains.ownerSignInProof is false): publish the record the claim shows and verify with method dns." },
  'join_request.not_found': { status: 404, doc: 'No such join request in this organization.' },
  'join_request.decided': { status: 409, doc: 'The join request was already approved or declined.' },
  'console.link_invalid': { status: 404, doc: 'The console link is not one idsync issued (or it was cut short); ask for a new one.' },
  'console.link_expired': { status: 410, doc: 'The console link passed its 5-minute validity; ask for a new one.' },
  'console.link_used': { status: 409, doc: 'The console link was already opened; each link starts one session. Ask for a new one.' },
  'console.session_expired': { status: 401, doc: 'The console session ended (signed out, idle for console.sessionIdleMinutes, or older than console.sessionMaxHours); open a new console link.' },
  'console.csrf_failed': { status: 403, doc: 'A console form was sent without the token of the current session (an old page, another site or a forged request); nothing was changed.' },
  'console.intent_not_covered': { status: 403, doc: 'The console session was opened for another part of the console (its link had another intent).' },
  'console.not_admin': { status: 403, doc: 'The person who signed in is not an active owner or admin of any organization (or of the one asked for); the console is for owners and admins.' },
  'console.sign_in_invalid': { status: 400, doc: 'The console sign-in could not be verified (its state cookie is missing, expired, from another browser or altered, or the state or nonce did not match); sign in again.' },
  'console.sign_in_failed': { status: 502, doc: 'The sign-in provider did not confirm who signed in (cancelled, refused or unreachable); sign in again.' },
  'console.provider_unavailable': { status: 404, doc: 'The sign-in provider named in the console sign-in URL is not configured.' },
  'mail.send_failed': { status: 502, doc: 'The SMTP server refused the message or could not be reached; the invitation still exists (copy its link or resend).' },
  'connection.not_found': { status: 404, doc: 'No such directory connection.' },
  'run.not_found': { status: 404, doc: 'No such reconcile run.' },
  'run.not_held': { status: 409, doc: 'Only a held run can be approved or rejected, and only once: this one was already decided (perhaps a moment ago from another place; the first decision wins) or never held anything.' },
  'run.in_progress': { status: 409, doc: 'A real run of this connection is in progress (scheduled, by a notification, by an admin or an approval): one runs at a time, so each deactivation budget holds. Start this one when it has finished; the message names the run in progress.' },
  'run.dry_run': { status: 409, doc: 'The run is a dry run: it only recorded what would happen, so there is nothing to approve or reject; start a real run and decide that one.' },
  'webhook.not_found': { status: 404, doc: 'No such webhook endpoint in this organization.' },
  'signals.stream_not_found': { status: 404, doc: 'No such Shared Signals stream (or not visible to this key).' },
  'universal_logout.not_configured': { status: 404, doc: 'The organization has no Universal Logout settings (set them with PUT /orgs/{org}/universal-logout).' },
  'universal_logout.token_invalid': { status: 401, doc: "The Universal Logout request's bearer JWT was refused: missing, not signed by a key of the configured issuer's JWKS, wrong iss or aud, expired or not yet valid, its jti already used, or Universal Logout is not set up for the organization." },
  'universal_logout.subject_invalid': { status: 400, doc: 'The Universal Logout request names nobody idsync can look up: no sub_id (or subject), or a format other than email, iss_sub or opaque, or a malformed one.' },
  'universal_logout.person_not_found': { status: 404, doc: 'No member (and no pending invitation) of the organization matches the Universal Logout subject.' },
  'token.not_found': { status: 404, doc: 'No such SCIM token, SCIM OAuth client (or client secret) or admin key.' },
  'token.limit_reached': { status: 409, doc: 'The organization already has two live SCIM tokens, or the SCIM OAuth client two live secrets; revoke one first.' },
  'oauth.invalid_request': { status: 400, doc: 'The token request is malformed: not form-encoded, a parameter missing or repeated, or two client authentication methods (RFC 6749 §5.2 `invalid_request`).' },
  'oauth.invalid_client': { status: 401, doc: 'Client authentication failed: unknown or revoked client, wrong or expired secret, or a bad, expired or replayed client assertion (RFC 6749 §5.2 `invalid_client`).' },
  'oauth.rate_limited': { status: 429, doc: 'The SCIM OAuth client asked for more access tokens than it needs (20 at once, then one per 6 seconds; an IdP needs about one an hour); retry after Retry-After seconds.' },
  'oauth.unsupported_grant_type': { status: 400, doc: 'The token endpoint only issues tokens for `grant_type=client_credentials` (RFC 6749 §5.2 `unsupported_grant_type`).' },
  'version.mismatch': { status: 412, doc: 'The record changed since it was read (optimistic version check failed).' },
  'store.unavailable': { status: 503, doc: 'The store (SQLite, Redis or PostgreSQL) cannot be reached right now; retry later.' },
  'store.corrupt': { status: 500, doc: 'The store file is damaged or is not an idsync database, or its schema was written by a newer idsync.' },
  'connector.invalid_config': { status: 400, doc: 'The directory connection config failed validation; the message names the key.' },
  'connector.auth_failed': { status: 422, doc: 'The directory rejected the connection credentials (bad key, secret, token or app installation).' },
  'connector.forbidden': { status: 422, doc: 'The credentials are valid but lack a scope, permission or domain-wide delegation needed to read the directory.' },
  'connector.not_found': { status: 422, doc: 'The customer, domain, tenant, group or organization named in the connection does not exist upstream.' },
  'connector.throttled': { status: 503, doc: 'The directory is rate limiting and the wait would pass the run deadline; retry later.' },
  'connector.unreachable': { status: 502, doc: 'The directory host cannot be reached (DNS, connection, TLS or timeout) after retries.' },
  'connector.upstream_error': { status: 502, doc: 'The directory answered with an error or a malformed response after retries.' },
  'connector.budget_exhausted': { status: 503, doc: "The run's request budget or deadline was used up before the work finished." },
  'connector.aborted': { status: 503, doc: 'The run was cancelled (shutdown, timeout or the caller stopped reading).' },
  'connector.incomplete': { status: 502, doc: 'The directory listing ended before its last page; nothing may be concluded from it.' },
  'config.invalid': { status: 500, doc: 'The configuration failed validation at start.' },
  'internal': { status: 500, doc: 'An unexpected failure; details are in the server log under the request id.' },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export class IdsyncError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'IdsyncError';
    this.code = code;
    this.details = details;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

export function isIdsyncError(err: unknown, code?: ErrorCode): err is IdsyncError {
  return err instanceof IdsyncError && (code === undefined || err.code === code);
}
