import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/http/errors";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { findLiveSetPasswordLink } from "@/lib/auth/set-password-links";
import { checkNewPassword, storePasswordHash } from "@/lib/auth/set-user-password";
import { endUserSessions } from "@/lib/auth/session-store";
import type { RequestMeta } from "@/lib/http/request-meta";
import type { Role } from "@/lib/generated/prisma/enums";
import { passwordRefusedBySso, SSO_REQUIRED_LINK_MESSAGE } from "@/lib/saml/require-sso";

/** Require-SSO: set-password and reset links of users who must sign in through the IdP are refused (audited). */
export async function refuseSsoOnlyUser(link: { tenantId: string; userId: string; user: { email: string; role: Role; ssoBreakGlass: boolean } }, meta: RequestMeta) {
  if (!(await passwordRefusedBySso(link.tenantId, link.user))) return;
  await recordAuditEvent({
    tenantId: link.tenantId,
    actor: { type: "anonymous", label: link.user.email },
    action: "user.set_password",
    outcome: "failure",
    reason: "sso_required",
    target: { type: "user", id: link.userId },
    meta,
  });
  throw new AppError(403, "sso_required", SSO_REQUIRED_LINK_MESSAGE, undefined, true);
}

/** Sets a password through a one-time link; the link is spent only when the password is accepted. */
export async function consumeSetPasswordLink(token: string, password: string, meta: RequestMeta) {
  const link = await findLiveSetPasswordLink(token);
  if (!link) {
    await recordAuditEvent({ tenantId: null, actor: { type: "anonymous" }, action: "user.set_password", outcome: "failure", reason: "link_invalid_or_expired", meta });
    throw new AppError(404, "link_invalid", "This link is invalid or has expired. Ask your administrator for a new one.");
  }
  await refuseSsoOnlyUser(link, meta);
  // Check first (a refused password leaves the link usable), then spend the link
  // atomically, and only the request that spent it writes its password: two
  // concurrent uses cannot both succeed, nor can the loser's password win.
  const hash = await checkNewPassword(link.userId, password);
  const { count } = await db().setPasswordToken.updateMany({ where: { id: link.id, usedAt: null, expiresAt: { gt: new Date() } }, data: { usedAt: new Date() } });
  if (!count) throw new AppError(404, "link_invalid", "This link is invalid or has expired. Ask your administrator for a new one.");
  await storePasswordHash(link.userId, hash, { activate: true });
  const actor = { type: "user" as const, id: link.userId, label: link.user.email };
  await recordAuditEvent({ tenantId: link.tenantId, actor, action: link.purpose === "invite" ? "user.invite_accepted" : "user.password_reset", target: { type: "user", id: link.userId }, meta });
  // A reset means the old password may be known to someone else: end every session.
  if (link.purpose === "reset") await endUserSessions(link.userId, "password_changed", { meta, actor });
  return { ok: true, signInUrl: `${config().PUBLIC_ORIGIN}/t/${link.tenant.slug}/sign-in?email=${encodeURIComponent(link.user.email)}` };
}
