/**
 * Whether a failed reconcile is worth retrying. Retriable failures (throttling, 5xx, the network,
 * timeouts, a cut listing, the store away) back off and run again; terminal ones (credentials
 * refused, a permission or the tenant missing, an invalid config) would fail the same way on every
 * retry, so the connection stops and says what to fix until someone changes or tests it.
 */
export type FailureClass = 'retriable' | 'terminal';

const TERMINAL: Readonly<Record<string, string>> = {
  'connector.auth_failed': 'the directory refused the credentials: renew them with `idsync connections update ID --config FILE`',
  'connector.forbidden': 'the credentials lack a permission, scope or domain-wide delegation: grant it (see "Directory connections" in the README), then run `idsync connections test ID`',
  'connector.not_found': 'the tenant, domain, group or organization named in the connection does not exist upstream: fix the settings with `idsync connections update ID --config FILE`',
  'connector.invalid_config': 'the connection config is invalid: fix it with `idsync connections update ID --config FILE`',
};

/** Every code not known to be terminal is retried: a failure we cannot name must not stop a connection for good. */
export function classifyFailure(code: string): FailureClass {
  return code in TERMINAL ? 'terminal' : 'retriable';
}

/** What an admin must do about a terminal failure (undefined for retriable ones). */
export function failureHint(code: string): string | undefined {
  return TERMINAL[code];
}
