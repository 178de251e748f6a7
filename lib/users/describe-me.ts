import type { SelfContext } from "@/lib/http/api-route";
import { db } from "@/lib/db/client";
import { csrfTokenFor } from "@/lib/http/csrf";
import { PERMISSIONS } from "@/lib/auth/permissions";
import { isPasswordExpired, passwordPolicyOf } from "@/lib/auth/password-policy";
import { toUserView, userViewInclude } from "@/lib/users/user-view";

export async function describeMe(ctx: SelfContext) {
  const user = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.user.userId }, include: userViewInclude });
  const tenant = await db().tenant.findUniqueOrThrow({ where: { id: ctx.tenantId } });
  const view = toUserView(user);
  return {
    user: { id: view.id, email: view.email, name: view.name, role: view.role, groups: view.groups },
    tenant: { slug: tenant.slug, name: tenant.name },
    session: { id: ctx.user.sessionId, expiresAt: ctx.user.expiresAt, idleExpiresAt: ctx.user.idleExpiresAt },
    csrfToken: csrfTokenFor(ctx.user.sessionId),
    passwordExpired: isPasswordExpired(passwordPolicyOf(tenant), user.passwordChangedAt),
    permissions: [...PERMISSIONS[user.role]].sort(),
  };
}
