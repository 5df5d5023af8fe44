export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const GROUP_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const ENTERPRISE_SCHEMA = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** Largest page a client may ask for (advertised as filter.maxResults). */
export const MAX_RESULTS = 1000;
/** Page size when the client gives no count. */
export const DEFAULT_COUNT = 100;

export const etagOf = (version: number) => `W/"${version}"`;
