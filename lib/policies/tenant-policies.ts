import type { TenantContext } from "@/lib/http/api-route";
import { db } from "@/lib/db/client";
import { passwordPolicyColumns, passwordPolicyOf, type PasswordPolicy } from "@/lib/auth/password-policy";
import { sessionPolicyBounds, type LockoutPolicy, type SessionPolicy } from "@/lib/auth/session-policy";

/**
 * The tenant's company-wide policies. A new session policy is effective at once:
 * the idle timeout is read on every request, the maximum duration at every new sign-in.
 */
const tenantOf = (ctx: TenantContext) => db().tenant.findUniqueOrThrow({ where: { id: ctx.tenantId } });

export async function getSessionPolicy(ctx: TenantContext) {
  const t = await tenantOf(ctx);
  return { maxSessionSeconds: t.sessionMaxSeconds, idleTimeoutSeconds: t.sessionIdleSeconds, bounds: sessionPolicyBounds() };
}

export async function setSessionPolicy(ctx: TenantContext, p: SessionPolicy) {
  const before = await tenantOf(ctx);
  await db().tenant.update({ where: { id: ctx.tenantId }, data: { sessionMaxSeconds: p.maxSessionSeconds, sessionIdleSeconds: p.idleTimeoutSeconds } });
  await ctx.audit({
    action: "policy.session_changed",
    target: { type: "tenant", id: ctx.tenantId },
    metadata: { from: { maxSessionSeconds: before.sessionMaxSeconds, idleTimeoutSeconds: before.sessionIdleSeconds }, to: p },
  });
  return getSessionPolicy(ctx);
}

export async function getPasswordPolicy(ctx: TenantContext): Promise<PasswordPolicy> {
  return passwordPolicyOf(await tenantOf(ctx));
}

export async function setPasswordPolicy(ctx: TenantContext, p: PasswordPolicy): Promise<PasswordPolicy> {
  const before = passwordPolicyOf(await tenantOf(ctx));
  await db().tenant.update({ where: { id: ctx.tenantId }, data: passwordPolicyColumns(p) });
  await ctx.audit({ action: "policy.password_changed", target: { type: "tenant", id: ctx.tenantId }, metadata: { from: before, to: p } });
  return getPasswordPolicy(ctx);
}

export async function getLockoutPolicy(ctx: TenantContext): Promise<LockoutPolicy> {
  const t = await tenantOf(ctx);
  return { threshold: t.lockoutThreshold, windowSeconds: t.lockoutWindowSeconds, durationSeconds: t.lockoutDurationSeconds };
}

export async function setLockoutPolicy(ctx: TenantContext, p: LockoutPolicy): Promise<LockoutPolicy> {
  const before = await getLockoutPolicy(ctx);
  await db().tenant.update({ where: { id: ctx.tenantId }, data: { lockoutThreshold: p.threshold, lockoutWindowSeconds: p.windowSeconds, lockoutDurationSeconds: p.durationSeconds } });
  await ctx.audit({ action: "policy.lockout_changed", target: { type: "tenant", id: ctx.tenantId }, metadata: { from: before, to: p } });
  return getLockoutPolicy(ctx);
}
