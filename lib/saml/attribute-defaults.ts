/**
 * The attribute names Atrium looks for when a tenant leaves an attribute name empty (sso_connections.attr_* = "").
 * One list per profile field, tried in order; the first attribute present in the assertion wins. Names are compared
 * exactly as IdPs send them (Okta/Google short names, ADFS/Entra claim URIs, LDAP OIDs).
 * Shown as placeholders on the admin page; used by the SAML provisioning (lib/saml/flows).
 */
export const SAML_ATTRIBUTE_DEFAULTS = {
  email: [
    "email",
    "mail",
    "emailaddress",
    "emailAddress",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress",
    "urn:oid:0.9.2342.19200300.100.1.3",
  ],
  firstName: [
    "firstName",
    "givenName",
    "givenname",
    "first_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/givenname",
    "urn:oid:2.5.4.42",
  ],
  lastName: [
    "lastName",
    "sn",
    "surname",
    "last_name",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/surname",
    "urn:oid:2.5.4.4",
  ],
  displayName: [
    "displayName",
    "name",
    "cn",
    "http://schemas.microsoft.com/identity/claims/displayname",
    "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name",
    "urn:oid:2.16.840.1.113730.3.1.241",
    "urn:oid:2.5.4.3",
  ],
  groups: [
    "groups",
    "memberOf",
    "memberof",
    "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups",
    "http://schemas.xmlsoap.org/claims/Group",
    "urn:oid:1.3.6.1.4.1.5923.1.5.1.1",
  ],
} as const satisfies Record<"email" | "firstName" | "lastName" | "displayName" | "groups", readonly string[]>;

export type SamlAttributeField = keyof typeof SAML_ATTRIBUTE_DEFAULTS;

/** The names to try for a field: the tenant's configured name alone, or the defaults when it is empty. */
export function attributeNamesFor(field: SamlAttributeField, configured: string): readonly string[] {
  const name = configured.trim();
  return name ? [name] : SAML_ATTRIBUTE_DEFAULTS[field];
}
