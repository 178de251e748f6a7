import { z } from "zod";
import type { SelfContext, TenantContext } from "@/lib/http/api-route";
import { notFound } from "@/lib/http/errors";
import { endSession, endUserSessions } from "@/lib/auth/session-store";
import { verifyPassword } from "@/lib/auth/password-hashing";
import { setUserPassword } from "@/lib/auth/set-user-password";
import { db } from "@/lib/db/client";
import { AppError } from "@/lib/http/errors";
import { idSchema } from "@/lib/http/api-route";

export const listSessionsQuery = z.object({ userId: idSchema.optional() }).strict();

const actorOf = (ctx: TenantContext) => ({ type: ctx.actor.type === "api_key" ? ("api_key" as const) : ("user" as const), id: ctx.actor.id ?? undefined, label: ctx.actor.label });

/** Live sessions of the tenant (revoked and expired ones are not shown). */
export async function listActiveSessions(ctx: TenantContext, q: z.infer<typeof listSessionsQuery>) {
  const now = new Date();
  const rows = await ctx.db.session.findMany({
    where: { revokedAt: null, expiresAt: { gt: now }, ...(q.userId ? { userId: q.userId } : {}) },
    include: { user: { select: { id: true, email: true, name: true } }, tenant: { select: { sessionIdleSeconds: true } } },
    orderBy: { lastSeenAt: "desc" },
    take: 1000,
  });
  return rows
    .filter((s) => s.tenant && s.lastSeenAt.getTime() + s.tenant.sessionIdleSeconds * 1000 > now.getTime())
    .map((s) => ({
      id: s.id,
      user: s.user,
      ip: s.ip,
      userAgent: s.userAgent,
      authMethod: s.authMethod,
      createdAt: s.createdAt,
      lastSeenAt: s.lastSeenAt,
      expiresAt: s.expiresAt,
      current: s.id === ctx.user?.sessionId,
    }));
}

export async function revokeSession(ctx: TenantContext, id: string): Promise<void> {
  const s = await ctx.db.session.findUnique({ where: { id }, select: { id: true, revokedAt: true } });
  if (!s || s.revokedAt) throw notFound("session");
  await endSession(id, "revoked", ctx.meta, actorOf(ctx));
}

export const changePasswordSchema = z
  .object({
    currentPassword: z.string({ error: "Current password is required." }).min(1, "Current password is required.").max(1024),
    newPassword: z.string({ error: "New password is required." }).min(1, "New password is required.").max(1024, "Use at most 256 characters."),
  })
  .strict();

/** Changes the signed-in user's password and ends every other session of theirs. */
export async function changeOwnPassword(ctx: SelfContext, input: z.infer<typeof changePasswordSchema>) {
  const user = await db().user.findUniqueOrThrow({ where: { id: ctx.user.userId } });
  if (!user.passwordHash || !(await verifyPassword(user.passwordHash, input.currentPassword))) {
    await ctx.audit({ action: "user.password_change", outcome: "failure", reason: "wrong_current_password", target: { type: "user", id: user.id } });
    throw new AppError(400, "wrong_password", "Your current password is not correct.", { issues: [{ field: "currentPassword", message: "Your current password is not correct." }] });
  }
  await setUserPassword(user.id, input.newPassword);
  await ctx.audit({ action: "user.password_changed", target: { type: "user", id: user.id } });
  const endedSessions = await endUserSessions(user.id, "password_changed", { except: ctx.user.sessionId, meta: ctx.meta, actor: actorOf(ctx) });
  return { ok: true, endedSessions };
}

export async function signOutEverywhere(ctx: SelfContext) {
  const endedSessions = await endUserSessions(ctx.user.userId, "signed_out_everywhere", { meta: ctx.meta, actor: actorOf(ctx) });
  await ctx.audit({ action: "user.signed_out_everywhere", target: { type: "user", id: ctx.user.userId }, metadata: { endedSessions } });
  return { ok: true, endedSessions };
}
