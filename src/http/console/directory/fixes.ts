import type { DirectoryProvider } from '../../../domain/model.js';

/**
 * What the person at the console should do about a failed test or run, by error code and provider:
 * the console's wording of the CLI's hints (domain/failures.ts), pointing at the provider's admin UI.
 */
const FIXES: Record<string, Partial<Record<DirectoryProvider | 'any', string>>> = {
  'connector.auth_failed': {
    microsoft: 'Check the tenant ID, the application (client) ID and the client secret: paste the secret\u2019s Value, not its Secret ID, and check it has not expired (App registrations → your app → Certificates & secrets). Enter a new one under Connection settings.',
    google: 'The service account key was refused: create a new JSON key (Google Cloud console → IAM & Admin → Service accounts → Keys) and paste it under Connection settings; check that the administrator email is a real administrator of the account.',
    github: 'The app or token was refused: check the App ID, the installation ID and the private key (or the token), and that the app is still installed on the organization. Enter new ones under Connection settings.',
  },
  'connector.forbidden': {
    microsoft: 'The app lacks a permission: App registrations → your app → API permissions → add Microsoft Graph application permission User.Read.All (and GroupMember.Read.All for a group), then Grant admin consent. Test again afterwards.',
    google: 'Domain-wide delegation is missing or lacks the scope: Admin console → Security → Access and data control → API controls → Manage Domain Wide Delegation → add the service account\u2019s client ID with https://www.googleapis.com/auth/admin.directory.user.readonly. The administrator email must be allowed to read users.',
    github: 'The app needs Organization permissions → Members: read (accept the new permissions on the installation), or the token needs read:org.',
  },
  'connector.not_found': {
    microsoft: 'The tenant or the group does not exist: check the tenant ID and the group object ID under Connection settings.',
    google: 'The customer ID or the domain does not exist for this account: check them under Connection settings (blank customer ID reads the whole account).',
    github: 'The organization (or the app installation) was not found: check the organization login and the installation ID.',
  },
  'connector.invalid_config': { any: 'A setting is invalid: correct the field named in the message under Connection settings.' },
  'connector.unreachable': { any: 'The directory could not be reached: check the base URLs under Advanced settings, and that this server can reach the directory (proxy, firewall). Then test again.' },
  'connector.throttled': { any: 'The directory is limiting requests right now: test again in a few minutes.' },
  'connector.upstream_error': { any: 'The directory answered with an error: test again in a few minutes; if it persists, check the directory\u2019s service status.' },
  'connector.incomplete': { any: 'The listing stopped before its last page, so nothing can be concluded from it: test again.' },
  'connector.budget_exhausted': { any: 'The listing took more requests or time than one run may use: test again, or narrow it (a group, an organizational unit).' },
  'connector.aborted': { any: 'The listing was cancelled before it finished: test again.' },
};

export function fixFor(code: string, provider: DirectoryProvider): string {
  const f = FIXES[code];
  return f?.[provider] ?? f?.any ?? 'Try again in a moment; if it keeps failing, the server log has the details.';
}
