import { db } from "@/lib/db/client";
import { spEndpoints } from "@/lib/saml/connection";

/**
 * Where email-domain discovery sends a user of this tenant: straight to the IdP (the SP login URL) when SSO is
 * enabled and required; otherwise the tenant's sign-in page (which offers SSO next to the password when enabled).
 */
export async function ssoSignInTarget(tenantSlug: string): Promise<{ enabled: boolean; required: boolean; loginUrl: string } | null> {
  const row = await db().ssoConnection.findFirst({ where: { tenant: { slug: tenantSlug } }, select: { enabled: true, requireSso: true } });
  if (!row || !row.enabled) return null;
  const next = `/t/${tenantSlug}/app`;
  return { enabled: true, required: row.requireSso, loginUrl: `${spEndpoints(tenantSlug).loginUrl}?next=${encodeURIComponent(next)}` };
}
