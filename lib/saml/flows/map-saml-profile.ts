import { attributeNamesFor, type SamlAttributeField } from "@/lib/saml/attribute-defaults";
import type { SsoConnection } from "@/lib/saml/connection";
import type { SamlProfile } from "@/lib/saml/validate-response";

export const EMAIL_NAMEID_FORMAT = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
const EMAIL = /^[^\s@]{1,200}@[^\s@]{1,200}\.[^\s@]{1,60}$/;

export interface MappedProfile {
  /** Normalised (trimmed, lower-case); null when the assertion has no usable email. */
  email: string | null;
  firstName: string;
  lastName: string;
  displayName: string;
  /** The name to store: displayName, else "first last". */
  name: string;
  groups: string[];
}

function first(profile: SamlProfile, conn: Pick<SsoConnection, "attributes">, field: SamlAttributeField): string[] {
  for (const name of attributeNamesFor(field, conn.attributes[field])) {
    const values = profile.attributes[name];
    if (values && values.some((v) => v.trim() !== "")) return values.map((v) => v.trim()).filter((v) => v !== "");
  }
  return [];
}

export function normaliseSamlEmail(value: string): string | null {
  const e = value.trim().toLowerCase();
  return e.length <= 320 && EMAIL.test(e) ? e : null;
}

/**
 * Maps a validated assertion to Atrium's user fields: the configured attribute names (or the defaults of
 * lib/saml/attribute-defaults.ts); email from the mapped attribute, else from the NameID when its format is
 * emailAddress. The email's domain need not be one of the tenant's domains (IdPs sign in contractors too).
 */
export function mapSamlProfile(profile: SamlProfile, conn: Pick<SsoConnection, "attributes">): MappedProfile {
  const emailAttr = first(profile, conn, "email")[0];
  const email = emailAttr !== undefined ? normaliseSamlEmail(emailAttr) : profile.nameIdFormat === EMAIL_NAMEID_FORMAT ? normaliseSamlEmail(profile.nameId) : null;
  const firstName = (first(profile, conn, "firstName")[0] ?? "").slice(0, 100);
  const lastName = (first(profile, conn, "lastName")[0] ?? "").slice(0, 100);
  const displayName = (first(profile, conn, "displayName")[0] ?? "").slice(0, 200);
  const name = (displayName || `${firstName} ${lastName}`.trim()).slice(0, 200);
  const groups = [...new Set(first(profile, conn, "groups").map((g) => g.slice(0, 512)))].slice(0, 1000);
  return { email, firstName, lastName, displayName, name, groups };
}
