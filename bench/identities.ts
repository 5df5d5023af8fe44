/** Fixed, fake identities shared by the benchmark and its fake servers (nothing here is a secret). */
export const BENCH = {
  serviceAccount: 'bench@idsync-bench.iam.gserviceaccount.com',
  admin: 'admin@example.com',
  tenantId: '11111111-2222-4333-8444-555555555555',
  clientId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee',
  clientSecret: 'bench-secret',
  org: 'acme',
  appId: '4242',
  installationId: '77',
} as const;
