import { z } from 'zod';
import { continueUrlProblem, type SignupMode } from '../domain/signup.js';

/**
 * The one configuration schema. Every key has a doc line, a default and an IDSYNC_* environment
 * name; the README table and config/idsync.example.yaml are generated from this list
 * (`node scripts/gen-config-docs.mjs`) and a test keeps them in sync.
 */
export interface KeySpec {
  /** Dotted path in the YAML file and in the resulting Config object. */
  path: string;
  env: string;
  doc: string;
  default: string | number | boolean;
  schema: z.ZodType;
  /** Values never printed, logged or echoed back in errors. */
  secret?: boolean;
}

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const bool = z.preprocess((v) => (typeof v === 'string' ? v.trim().toLowerCase() : v), z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])]))
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const hostPortList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port')));

export const KEYS: readonly KeySpec[] = [
  { path: 'server.host', env: 'IDSYNC_HOST', doc: 'Interface the HTTP server binds to.', default: '0.0.0.0', schema: z.string().min(1) },
  { path: 'server.port', env: 'IDSYNC_PORT', doc: 'TCP port of the HTTP server (0 picks a free port).', default: 8080, schema: port },
  {
    path: 'server.publicUrl',
    env: 'IDSYNC_PUBLIC_URL',
    doc: 'External base URL (SCIM base URL, invitation links). Empty: http://localhost:PORT.',
    default: '',
    schema: z.union([z.literal(''), z.url({ protocol: /^https?$/ })]),
  },
  { path: 'server.bodyLimit', env: 'IDSYNC_BODY_LIMIT', doc: 'Largest accepted request body (bytes, or a size such as 1mb).', default: '1mb', schema: z.string().regex(/^\d+(b|kb|mb)?$/i, 'expected a size such as 512kb or 1mb') },
  { path: 'server.trustProxy', env: 'IDSYNC_TRUST_PROXY', doc: 'Trust X-Forwarded-* headers (set behind an ingress or load balancer).', default: false, schema: bool },
  { path: 'server.authFailuresPerMinute', env: 'IDSYNC_AUTH_FAILURES_PER_MINUTE', doc: 'Failed authentication attempts (bad SCIM token, admin key, OAuth client credentials or Universal Logout JWT) allowed per client address and minute, per replica; past it such attempts answer 429 with Retry-After. Valid credentials are never throttled. 0 turns it off.', default: 30, schema: z.coerce.number().int().min(0) },
  { path: 'server.shutdownTimeoutMs', env: 'IDSYNC_SHUTDOWN_TIMEOUT_MS', doc: 'How long shutdown waits for in-flight requests before closing them.', default: 10000, schema: positiveInt },
  { path: 'dataDir', env: 'IDSYNC_DATA_DIR', doc: 'Directory for the SQLite file, the generated secret key and local mail.', default: './data', schema: z.string().min(1) },
  { path: 'store', env: 'IDSYNC_STORE', doc: 'Storage backend: sqlite (embedded, one replica), redis or postgres (any number of replicas).', default: 'sqlite', schema: z.enum(['sqlite', 'redis', 'postgres']) },
  { path: 'sqlite.path', env: 'IDSYNC_SQLITE_PATH', doc: 'SQLite database file. Empty: DATA_DIR/idsync.db.', default: '', schema: z.string() },
  { path: 'sqlite.busyTimeoutMs', env: 'IDSYNC_SQLITE_BUSY_TIMEOUT_MS', doc: "How long a write waits for another process's lock (the CLI and the daemon share the file).", default: 5000, schema: positiveInt },
  {
    path: 'redis.url',
    env: 'IDSYNC_REDIS_URL',
    doc: 'Standalone Redis URL (redis:// or rediss://). One of url, sentinels or clusterNodes is required when store is redis.',
    default: '',
    schema: z.union([z.literal(''), z.url({ protocol: /^rediss?$/ })]),
  },
  { path: 'redis.sentinels', env: 'IDSYNC_REDIS_SENTINELS', doc: 'Sentinel addresses, comma-separated host:port.', default: '', schema: hostPortList },
  { path: 'redis.sentinelName', env: 'IDSYNC_REDIS_SENTINEL_NAME', doc: 'Name of the Sentinel-monitored master.', default: 'mymaster', schema: z.string().min(1) },
  { path: 'redis.clusterNodes', env: 'IDSYNC_REDIS_CLUSTER_NODES', doc: 'Redis Cluster seed nodes, comma-separated host:port.', default: '', schema: hostPortList },
  { path: 'redis.username', env: 'IDSYNC_REDIS_USERNAME', doc: 'Redis ACL user name (optional).', default: '', schema: z.string() },
  { path: 'redis.password', env: 'IDSYNC_REDIS_PASSWORD', doc: 'Redis password (optional; overrides one in the URL).', default: '', schema: z.string(), secret: true },
  { path: 'redis.tls', env: 'IDSYNC_REDIS_TLS', doc: 'Use TLS for Sentinel or Cluster connections (a rediss:// URL implies it).', default: false, schema: bool },
  { path: 'redis.keyPrefix', env: 'IDSYNC_REDIS_KEY_PREFIX', doc: 'Prefix of every key idsync writes.', default: 'idsync', schema: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'letters, digits, _ . - only') },
  { path: 'redis.commandTimeoutMs', env: 'IDSYNC_REDIS_COMMAND_TIMEOUT_MS', doc: 'A Redis command that takes longer fails (the request answers 503 instead of hanging).', default: 2000, schema: positiveInt },
  {
    path: 'postgres.url',
    env: 'IDSYNC_POSTGRES_URL',
    doc: 'PostgreSQL URL, postgres://user[:password]@host[:port]/database[?sslmode=…]. Required when store is postgres.',
    default: '',
    schema: z.union([z.literal(''), z.url({ protocol: /^postgres(ql)?$/, error: 'expected a postgres:// or postgresql:// URL' })]),
    secret: true,
  },
  { path: 'postgres.password', env: 'IDSYNC_POSTGRES_PASSWORD', doc: 'PostgreSQL password, when the URL carries none (keep it in its own secret).', default: '', schema: z.string(), secret: true },
  {
    path: 'postgres.ssl',
    env: 'IDSYNC_POSTGRES_SSL',
    doc: 'TLS to PostgreSQL: disable, require (encrypted, certificate not checked), verify-ca or verify-full (also the host name). Empty: as the URL sslmode says (none: no TLS).',
    default: '',
    schema: z.enum(['', 'disable', 'require', 'verify-ca', 'verify-full']),
  },
  { path: 'postgres.caFile', env: 'IDSYNC_POSTGRES_CA_FILE', doc: "PEM file of the CAs PostgreSQL's certificate must chain to (verify-ca, verify-full). Empty: the system's CAs.", default: '', schema: z.string() },
  { path: 'postgres.poolSize', env: 'IDSYNC_POSTGRES_POOL_SIZE', doc: 'Connections each replica keeps open at most.', default: 10, schema: positiveInt },
  { path: 'postgres.statementTimeoutMs', env: 'IDSYNC_POSTGRES_STATEMENT_TIMEOUT_MS', doc: 'A statement or lock wait that takes longer is cancelled (the request answers 503 instead of hanging).', default: 5000, schema: positiveInt },
  {
    path: 'postgres.startupWaitSeconds',
    env: 'IDSYNC_POSTGRES_STARTUP_WAIT_SECONDS',
    doc: 'How long `serve` waits for an unreachable PostgreSQL at start (retrying with backoff, each attempt logged) before it exits with store.unavailable, for a database that starts after the daemon. 0: no waiting. CLI commands never wait.',
    default: 60,
    schema: z.coerce.number().int().min(0).max(3600),
  },
  { path: 'postgres.schema', env: 'IDSYNC_POSTGRES_SCHEMA', doc: "Schema idsync's tables live in (created when missing).", default: 'public', schema: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'lower-case letters, digits and _ only') },
  {
    path: 'secretKey',
    env: 'IDSYNC_SECRET_KEY',
    doc: 'At least 32 bytes, base64 or hex; encrypts connector credentials and signs links. Generated into DATA_DIR/secret.key in SQLite mode; required with Redis or PostgreSQL.',
    default: '',
    schema: z.string(),
    secret: true,
  },
  { path: 'api.rateLimitPerMinute', env: 'IDSYNC_API_RATE_LIMIT', doc: 'Admin API requests per minute allowed per admin key (shared by all replicas in Redis mode); over it, 429 with Retry-After. 0 turns the limit off.', default: 600, schema: z.coerce.number().int().min(0) },
  { path: 'scim.rateLimitPerSecond', env: 'IDSYNC_SCIM_RATE_LIMIT', doc: 'SCIM requests per second allowed per token (per replica); over it, 429 with Retry-After. 0 turns the limit off.', default: 100, schema: z.coerce.number().int().min(0) },
  { path: 'scim.rateLimitBurst', env: 'IDSYNC_SCIM_RATE_BURST', doc: 'SCIM requests a token may send at once before the per-second limit applies.', default: 200, schema: positiveInt },
  { path: 'scim.oauthTokenTtlSeconds', env: 'IDSYNC_SCIM_OAUTH_TOKEN_TTL', doc: 'Lifetime in seconds of the access tokens /oauth/token issues to SCIM OAuth clients (1 to 6 hours); a revoked client\'s tokens stop working at once regardless.', default: 3600, schema: z.coerce.number().int().min(3600).max(21600) },
  { path: 'scim.bulkMaxOperations', env: 'IDSYNC_SCIM_BULK_MAX_OPERATIONS', doc: 'Operations one SCIM Bulk request may carry (maxOperations in /ServiceProviderConfig); more answers 413. Each operation counts against the token rate limit.', default: 1000, schema: positiveInt },
  { path: 'scim.leanLookups', env: 'IDSYNC_SCIM_LEAN_LOOKUPS', doc: 'Plain SCIM lookups (GET /Users with a filter or a page, no body, no conditional header) skip the HTTP router for the same guards, handler and answers: about 15% less CPU per lookup. false sends them through the router like every other request.', default: true, schema: bool },
  { path: 'scim.requestLogDays', env: 'IDSYNC_SCIM_REQUEST_LOG_DAYS', doc: "Days each org's SCIM request log (method, path, status, latency, IdP, redacted body, SCIM error) is kept; pruned every 10 minutes by one replica. 0 turns the log off.", default: 30, schema: z.coerce.number().int().min(0).max(3650) },
  { path: 'scim.requestLogMaxPerOrg', env: 'IDSYNC_SCIM_REQUEST_LOG_MAX_PER_ORG', doc: 'Most SCIM request log entries kept per org; past it the oldest are dropped (on Redis as entries are written, to within one stream node; exactly at each prune).', default: 100000, schema: positiveInt },
  { path: 'webhooks.pollMs', env: 'IDSYNC_WEBHOOK_POLL_MS', doc: 'How often the webhook worker reads the outbox and sends due deliveries (milliseconds).', default: 1000, schema: positiveInt },
  { path: 'webhooks.maxAttempts', env: 'IDSYNC_WEBHOOK_MAX_ATTEMPTS', doc: 'Attempts per webhook delivery before it is marked failed.', default: 8, schema: positiveInt },
  { path: 'webhooks.retryBaseMs', env: 'IDSYNC_WEBHOOK_RETRY_BASE_MS', doc: 'First webhook retry delay; each further retry doubles it, up to one hour, with jitter.', default: 10000, schema: positiveInt },
  {
    path: 'webhooks.allowPrivateNetworks',
    env: 'IDSYNC_WEBHOOK_ALLOW_PRIVATE_NETWORKS',
    doc: 'Let webhook endpoints and SCIM OAuth clients\' JWKS URLs point at loopback, private, link-local or reserved addresses (checked at registration for IP hosts, and on every delivery or key fetch against each resolved address). Off: a tenant cannot make idsync call internal services.',
    default: false,
    schema: bool,
  },
  { path: 'console.sessionIdleMinutes', env: 'IDSYNC_CONSOLE_SESSION_IDLE_MINUTES', doc: 'A console session unused this long ends (the person opens a new console link).', default: 30, schema: z.coerce.number().int().min(1).max(360) },
  { path: 'console.sessionMaxHours', env: 'IDSYNC_CONSOLE_SESSION_MAX_HOURS', doc: 'A console session ends this many hours after it started, however busy (1 to 6).', default: 6, schema: z.coerce.number().int().min(1).max(6) },
  { path: 'orgs.deletionGraceDays', env: 'IDSYNC_ORGS_DELETION_GRACE_DAYS', doc: 'A deleted organization can be restored for this many days (1 to 365); then its data is purged and a receipt kept.', default: 30, schema: z.coerce.number().int().min(1).max(365) },
  { path: 'reconcile.scheduler', env: 'IDSYNC_RECONCILE_SCHEDULER', doc: "Run each enabled connection's reconcile on its cron schedule (Redis mode: one BullMQ job per connection and tick, run by one replica; SQLite mode: in process).", default: true, schema: bool },
  { path: 'reconcile.resyncMs', env: 'IDSYNC_RECONCILE_RESYNC_MS', doc: 'How often the scheduler re-reads connections and their schedules (milliseconds).', default: 60000, schema: positiveInt },
  { path: 'reconcile.runTimeoutMs', env: 'IDSYNC_RECONCILE_RUN_TIMEOUT_MS', doc: 'A scheduled run taking longer is aborted; its listing is then incomplete and nobody is deactivated.', default: 600000, schema: positiveInt },
  { path: 'reconcile.failureBackoffMs', env: 'IDSYNC_RECONCILE_FAILURE_BACKOFF_MS', doc: 'After a failed run, later ticks of that connection wait this long, doubling per failure up to one hour.', default: 60000, schema: positiveInt },
  { path: 'oidc.google.clientId', env: 'IDSYNC_OIDC_GOOGLE_CLIENT_ID', doc: 'OAuth client id for "Continue with Google" on the join page. Empty: Google is not offered.', default: '', schema: z.string() },
  { path: 'oidc.google.clientSecret', env: 'IDSYNC_OIDC_GOOGLE_CLIENT_SECRET', doc: 'OAuth client secret of the Google sign-in client.', default: '', schema: z.string(), secret: true },
  { path: 'oidc.google.issuer', env: 'IDSYNC_OIDC_GOOGLE_ISSUER', doc: 'OpenID issuer for Google sign-in (discovery is read from it).', default: 'https://accounts.google.com', schema: z.url({ protocol: /^https?$/ }) },
  { path: 'oidc.microsoft.clientId', env: 'IDSYNC_OIDC_MICROSOFT_CLIENT_ID', doc: 'Entra application (client) id for "Continue with Microsoft". Empty: Microsoft is not offered.', default: '', schema: z.string() },
  { path: 'oidc.microsoft.clientSecret', env: 'IDSYNC_OIDC_MICROSOFT_CLIENT_SECRET', doc: 'Client secret of the Entra sign-in application.', default: '', schema: z.string(), secret: true },
  {
    path: 'oidc.microsoft.issuer',
    env: 'IDSYNC_OIDC_MICROSOFT_ISSUER',
    doc: 'OpenID issuer for Microsoft sign-in: a tenant URL, or the multi-tenant organizations endpoint (iss is then checked against the token tid).',
    default: 'https://login.microsoftonline.com/organizations/v2.0',
    schema: z.url({ protocol: /^https?$/ }),
  },
  { path: 'oidc.github.clientId', env: 'IDSYNC_OIDC_GITHUB_CLIENT_ID', doc: 'GitHub OAuth app client id for "Continue with GitHub". Empty: GitHub is not offered.', default: '', schema: z.string() },
  { path: 'oidc.github.clientSecret', env: 'IDSYNC_OIDC_GITHUB_CLIENT_SECRET', doc: 'Client secret of the GitHub OAuth app.', default: '', schema: z.string(), secret: true },
  { path: 'oidc.github.authorizeUrl', env: 'IDSYNC_OIDC_GITHUB_AUTHORIZE_URL', doc: 'GitHub OAuth authorize endpoint (GitHub Enterprise Server: your host).', default: 'https://github.com/login/oauth/authorize', schema: z.url({ protocol: /^https?$/ }) },
  { path: 'oidc.github.tokenUrl', env: 'IDSYNC_OIDC_GITHUB_TOKEN_URL', doc: 'GitHub OAuth token endpoint.', default: 'https://github.com/login/oauth/access_token', schema: z.url({ protocol: /^https?$/ }) },
  { path: 'oidc.github.apiBaseUrl', env: 'IDSYNC_OIDC_GITHUB_API_BASE_URL', doc: 'GitHub REST API base URL (reads the user id and verified primary email).', default: 'https://api.github.com', schema: z.url({ protocol: /^https?$/ }) },
  {
    path: 'signup.mode',
    env: 'IDSYNC_SIGNUP_MODE',
    doc: 'The /signup page: off (the page says sign-up is closed; orgs are created with the CLI or API), open (a verified sign-in creates an org with the person as owner, unless an invitation, an invite link or a captured domain applies) or invite-only (only invitations, invite links and captured domains; others can ask the operator for access).',
    default: 'off',
    schema: z.enum(['off', 'open', 'invite-only']),
  },
  {
    path: 'join.continueUrl',
    env: 'IDSYNC_JOIN_CONTINUE_URL',
    doc: "Where people go after joining through an invitation or invite link, or signing up, with orgId and memberId added as query parameters; an org's settings.continueUrl wins. https (http only for localhost). Empty: the page says where to go next.",
    default: '',
    schema: z.string().refine((v) => v === '' || continueUrlProblem(v) === undefined, { message: 'expected an absolute https URL (http only for localhost)' }),
  },
  {
    path: 'domains.dnsServers',
    env: 'IDSYNC_DOMAINS_DNS_SERVERS',
    doc: 'DNS servers that domain verification asks for the _idsync TXT record, comma-separated ip or ip:port. Empty: the system resolver.',
    default: '',
    schema: z
      .union([z.string(), z.array(z.string())])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean))
      .pipe(z.array(z.string().regex(/^(\d{1,3}(\.\d{1,3}){3}(:\d{1,5})?|\[[0-9a-fA-F:]+\](:\d{1,5})?|[0-9a-fA-F:]+)$/, 'expected an IP address, optionally with :port'))),
  },
  {
    path: 'domains.ownerSignInProof',
    env: 'IDSYNC_DOMAINS_OWNER_SIGN_IN_PROOF',
    doc: "Accept an active owner's verified sign-in at the domain as proof of a domain claim (method owner_sign_in), besides the DNS TXT record. false: DNS proof only (in open sign-up mode anyone with an address at an unclaimed domain can become an owner and so prove it).",
    default: true,
    schema: bool,
  },
  {
    path: 'mail.smtpUrl',
    env: 'IDSYNC_SMTP_URL',
    doc: 'SMTP server for invitation mail: smtp:// (STARTTLS when offered) or smtps:// (TLS), with optional user:pass@ (URL-encoded). Empty: mail is written as .eml files under DATA_DIR/mail.',
    default: '',
    schema: z.union([z.literal(''), z.url({ protocol: /^smtps?$/, error: 'expected an smtp:// or smtps:// URL' })]),
    secret: true,
  },
  { path: 'mail.from', env: 'IDSYNC_MAIL_FROM', doc: 'From address of invitation mail, e.g. "Acme <no-reply@acme.example>". Empty: idsync <no-reply@HOST>, HOST being the public URL host (or localhost).', default: '', schema: z.string().regex(/^[^\r\n]*$/, 'one line') },
  { path: 'mail.tlsRejectUnauthorized', env: 'IDSYNC_SMTP_TLS_REJECT_UNAUTHORIZED', doc: "Verify the SMTP server's TLS certificate (turn off only for a server with a self-signed certificate).", default: true, schema: bool },
  { path: 'log.level', env: 'IDSYNC_LOG_LEVEL', doc: 'Least severe level logged.', default: 'info', schema: z.enum(['error', 'warn', 'info', 'debug']) },
  { path: 'log.format', env: 'IDSYNC_LOG_FORMAT', doc: 'json (one object per line) or pretty (readable, for development).', default: 'json', schema: z.enum(['json', 'pretty']) },
];

/** The validated, frozen configuration. */
export interface Config {
  server: { host: string; port: number; publicUrl: string; bodyLimit: string; trustProxy: boolean; authFailuresPerMinute: number; shutdownTimeoutMs: number };
  dataDir: string;
  store: 'sqlite' | 'redis' | 'postgres';
  sqlite: { path: string; busyTimeoutMs: number };
  postgres: {
    url: string;
    password: string;
    ssl: '' | 'disable' | 'require' | 'verify-ca' | 'verify-full';
    caFile: string;
    poolSize: number;
    statementTimeoutMs: number;
    startupWaitSeconds: number;
    schema: string;
  };
  redis: {
    url: string;
    sentinels: string[];
    sentinelName: string;
    clusterNodes: string[];
    username: string;
    password: string;
    tls: boolean;
    keyPrefix: string;
    commandTimeoutMs: number;
  };
  secretKey: string;
  api: { rateLimitPerMinute: number };
  scim: { rateLimitPerSecond: number; rateLimitBurst: number; bulkMaxOperations: number; leanLookups: boolean; requestLogDays: number; requestLogMaxPerOrg: number; oauthTokenTtlSeconds: number };
  webhooks: { pollMs: number; maxAttempts: number; retryBaseMs: number; allowPrivateNetworks: boolean };
  console: { sessionIdleMinutes: number; sessionMaxHours: number };
  orgs: { deletionGraceDays: number };
  reconcile: { scheduler: boolean; resyncMs: number; runTimeoutMs: number; failureBackoffMs: number };
  mail: { smtpUrl: string; from: string; tlsRejectUnauthorized: boolean };
  log: { level: 'error' | 'warn' | 'info' | 'debug'; format: 'json' | 'pretty' };
  oidc: OidcConfig;
  signup: { mode: SignupMode };
  join: { continueUrl: string };
  domains: { dnsServers: string[]; ownerSignInProof: boolean };
}

export interface OidcClientConfig {
  clientId: string;
  clientSecret: string;
  issuer: string;
}

/** Sign-in providers of the join page; a provider without a client id is not offered. */
export interface OidcConfig {
  google: OidcClientConfig;
  microsoft: OidcClientConfig;
  github: { clientId: string; clientSecret: string; authorizeUrl: string; tokenUrl: string; apiBaseUrl: string };
}
