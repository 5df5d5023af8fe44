import SCIMMY from 'scimmy';

/**
 * RFC 7643 §4.1.2 gives `roles`, `entitlements` and `x509Certificates` no vocabulary for `type`
 * ("No vocabulary or syntax is specified"), but scimmy declares an empty canonical list there,
 * which refuses every value, Entra's `WindowsAzureActiveDirectoryRole` included. Lifted once per
 * process (scimmy's schema definitions are process-global).
 */
export function openSubAttributeVocabularies(): void {
  for (const name of ['roles.type', 'entitlements.type', 'x509Certificates.type']) {
    const attribute = SCIMMY.Schemas.User.definition.attribute(name) as { config: { canonicalValues: unknown } } | undefined;
    if (attribute && Array.isArray(attribute.config.canonicalValues) && attribute.config.canonicalValues.length === 0) attribute.config.canonicalValues = false;
  }
}
