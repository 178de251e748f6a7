import { db } from "@/lib/db/client";
import type { Role } from "@/lib/generated/prisma/enums";

/**
 * Require-SSO: when a tenant's SSO connection is enabled and requires SSO, its users sign in through the IdP only.
 * Break-glass owners/administrators (users.sso_break_glass) keep their password, so an IdP outage cannot lock the
 * tenant out (the admin API refuses to turn requireSso on without one: lib/saml/manage-connection.ts).
 */
export async function tenantRequiresSso(tenantId: string): Promise<boolean> {
  const c = await db().ssoConnection.findUnique({ where: { tenantId }, select: { enabled: true, requireSso: true } });
  return !!c && c.enabled && c.requireSso;
}

/** Whether this user's password may be used (sign-in, set-password and reset links). */
export function passwordAllowedFor(user: { role: Role; ssoBreakGlass: boolean }, requiresSso: boolean): boolean {
  return !requiresSso || (user.ssoBreakGlass && (user.role === "owner" || user.role === "admin"));
}

export async function passwordRefusedBySso(tenantId: string, user: { role: Role; ssoBreakGlass: boolean }): Promise<boolean> {
  return !passwordAllowedFor(user, await tenantRequiresSso(tenantId));
}

export const SSO_REQUIRED_LINK_MESSAGE = "Your organisation signs in with single sign-on; passwords are not used. Sign in with your company account instead.";
