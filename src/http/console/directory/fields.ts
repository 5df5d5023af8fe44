import type { DirectoryProvider } from '../../../domain/model.js';

/**
 * The connection forms of the console: one per provider, with the config keys of the README
 * ("Directory connections") and, for each, where to find the value in the provider's admin UI.
 * A field named `a.b` is the nested key `b` of config key `a` (Entra's certificate).
 */
export interface ConfigField {
  name: string;
  label: string;
  help: string;
  /** Sealed at rest, never shown again: the form leaves it blank and blank keeps the stored one. */
  secret?: boolean;
  multiline?: boolean;
  required?: boolean;
  /** Shown under "Advanced" (base URLs for national clouds, GitHub Enterprise Server, tests). */
  advanced?: boolean;
}

export interface ProviderForm {
  provider: DirectoryProvider;
  title: string;
  intro: string;
  fields: ConfigField[];
}

export const PROVIDER_FORMS: Record<DirectoryProvider, ProviderForm> = {
  google: {
    provider: 'google',
    title: 'Google Workspace',
    intro:
      'idsync reads your users with a Google Cloud service account that acts as one of your administrators (domain-wide delegation, read-only scope https://www.googleapis.com/auth/admin.directory.user.readonly).',
    fields: [
      { name: 'adminEmail', label: 'Administrator email', required: true, help: 'A Workspace administrator idsync acts as (Admin console → Directory → Users: someone with the Super Admin or User Management role). In the Admin console, Security → Access and data control → API controls → Manage Domain Wide Delegation: add the service account\u2019s client ID with the scope above.' },
      { name: 'serviceAccountKey', label: 'Service account key (JSON)', secret: true, multiline: true, required: true, help: 'Google Cloud console → IAM & Admin → Service accounts → your account → Keys → Add key → Create new key → JSON. Paste the whole file.' },
      { name: 'customer', label: 'Customer ID (optional)', help: 'Admin console → Account → Account settings → Customer ID (like C01abc234). Blank reads every domain of the account (my_customer).' },
      { name: 'domain', label: 'Domain (optional)', help: 'Read a single domain of the account instead of all of them (Admin console → Account → Domains). Give the customer ID or a domain, not both.' },
      { name: 'orgUnitPath', label: 'Organizational unit (optional)', help: 'Only users under this unit, like /Engineering (Admin console → Directory → Organizational units).' },
      { name: 'query', label: 'User query (optional)', help: 'A Directory API search query that narrows the users, like isSuspended=false orgDepartment=Sales.' },
      { name: 'apiBaseUrl', label: 'Directory API base URL', advanced: true, help: 'Leave blank for https://admin.googleapis.com.' },
      { name: 'tokenUrl', label: 'Token URL', advanced: true, help: 'Leave blank for https://oauth2.googleapis.com/token.' },
    ],
  },
  microsoft: {
    provider: 'microsoft',
    title: 'Microsoft Entra ID',
    intro:
      'idsync reads your users through Microsoft Graph with an app registration of your tenant (client credentials). In the Microsoft Entra admin center, App registrations → your app → API permissions → Add a permission → Microsoft Graph → Application permissions: User.Read.All (and GroupMember.Read.All to read one group), then Grant admin consent.',
    fields: [
      { name: 'tenantId', label: 'Tenant ID', required: true, help: 'Microsoft Entra admin center → Identity → Overview → Tenant ID (a GUID), or a verified domain of the tenant.' },
      { name: 'clientId', label: 'Application (client) ID', required: true, help: 'Microsoft Entra admin center → App registrations → your app → Overview → Application (client) ID.' },
      { name: 'clientSecret', label: 'Client secret', secret: true, help: 'App registrations → your app → Certificates & secrets → Client secrets → New client secret. Copy its Value (not the Secret ID) when it is shown. Give a client secret or a certificate.' },
      { name: 'certificate.privateKey', label: 'Certificate private key (PEM, instead of a secret)', secret: true, multiline: true, help: 'The private key of a certificate uploaded under Certificates & secrets → Certificates (BEGIN PRIVATE KEY).' },
      { name: 'certificate.thumbprint', label: 'Certificate thumbprint', secret: true, help: 'Certificates & secrets → Certificates → the Thumbprint column of that certificate. Given with the private key.' },
      { name: 'groupId', label: 'Group object ID (optional)', help: 'Only the members of this group (and its nested groups): Groups → All groups → the group → Object ID. Blank reads every user of the tenant.' },
      { name: 'graphBaseUrl', label: 'Graph base URL', advanced: true, help: 'Leave blank for https://graph.microsoft.com (national clouds have their own).' },
      { name: 'authorityHost', label: 'Authority host', advanced: true, help: 'Leave blank for https://login.microsoftonline.com.' },
    ],
  },
  github: {
    provider: 'github',
    title: 'GitHub',
    intro: 'idsync reads the members of your GitHub organization with a GitHub App installed on it (Organization permissions → Members: read), or with a token. Where SAML SSO is on, it maps logins to corporate emails.',
    fields: [
      { name: 'org', label: 'Organization', required: true, help: 'The organization\u2019s login, as in https://github.com/ORGANIZATION.' },
      { name: 'appId', label: 'App ID', help: 'Organization settings → Developer settings → GitHub Apps → your app → Edit → App ID.' },
      { name: 'installationId', label: 'Installation ID', help: 'Organization settings → GitHub Apps → your app → Configure: the number at the end of the address (…/installations/NUMBER).' },
      { name: 'privateKey', label: 'App private key (PEM)', secret: true, multiline: true, help: 'Your app → Edit → Private keys → Generate a private key: paste the downloaded .pem file.' },
      { name: 'token', label: 'Token (instead of an app)', secret: true, help: 'A personal access token of an organization owner with read:org (fine-grained: Members read). Give an app or a token, not both.' },
      { name: 'webhookSecret', label: 'Webhook secret (optional)', secret: true, help: 'Your app → Edit → Webhook secret (at least 16 characters); needed only for real-time offboarding.' },
      { name: 'apiBaseUrl', label: 'API base URL', advanced: true, help: 'Leave blank for https://api.github.com; GitHub Enterprise Server: https://HOST/api/v3.' },
      { name: 'graphqlUrl', label: 'GraphQL URL', advanced: true, help: 'Leave blank to derive it from the API base URL.' },
    ],
  },
};

/** Secrets that stand in for one another: giving one drops the stored others (a form cannot hold both). */
const ALTERNATIVES: Record<DirectoryProvider, Record<string, string[]>> = {
  google: {},
  microsoft: { clientSecret: ['certificate'], certificate: ['clientSecret'] },
  github: { token: ['appId', 'installationId', 'privateKey'], privateKey: ['token'] },
};

export function isProvider(v: unknown): v is DirectoryProvider {
  return v === 'google' || v === 'microsoft' || v === 'github';
}

const text = (v: unknown) => (typeof v === 'string' ? v.trim() : '');

/**
 * The connector config a submitted form stands for. On create, blank fields are left out. On edit
 * (merged over the stored config by the service): a blank secret keeps the stored one, a blank
 * setting clears it (`undefined`), and a new secret drops the alternatives it replaces.
 */
export function formToConfig(provider: DirectoryProvider, body: Record<string, unknown>, editing: boolean): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  const given = new Set<string>();
  for (const f of PROVIDER_FORMS[provider].fields) {
    const v = f.multiline ? (typeof body[f.name] === 'string' ? (body[f.name] as string).trim() : '') : text(body[f.name]);
    const [key, sub] = f.name.split('.') as [string, string | undefined];
    if (!v) {
      if (editing && !f.secret && !sub) config[key] = undefined;
      continue;
    }
    given.add(key);
    if (sub) config[key] = { ...((config[key] as Record<string, unknown> | undefined) ?? {}), [sub]: v };
    else config[key] = v;
  }
  if (editing) {
    for (const key of given) for (const other of ALTERNATIVES[provider][key] ?? []) if (!given.has(other)) config[other] = undefined;
  }
  return config;
}

/** The form field a config problem belongs to: `microsoft.certificate.thumbprint` → `certificate.thumbprint`. */
export function fieldOfIssue(provider: DirectoryProvider, key: string): string {
  return key.startsWith(`${provider}.`) ? key.slice(provider.length + 1) : key;
}
