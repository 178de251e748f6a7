import { db } from "@/lib/db/client";
import { recordAuditEvent } from "@/lib/audit/record-audit-event";
import { clearFailures, lockedForSeconds, registerFailure } from "@/lib/auth/account-lockout";
import { verifyAgainstDummy, verifyPassword } from "@/lib/auth/password-hashing";
import { limitSignInByIp } from "@/lib/security/rate-limits";
import { passwordRefusedBySso } from "@/lib/saml/require-sso";
import type { RequestMeta } from "@/lib/http/request-meta";
import type { Principal } from "@/lib/auth/session-store";

export type SignInResult =
  | { ok: true; principal: Principal; email: string }
  | { ok: false; error: "invalid_credentials" }
  | { ok: false; error: "rate_limited"; retryAfterSeconds: number };

export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Verifies a tenant user's password. Unknown tenant, unknown user, wrong
 * password, disabled user and locked account all return the same
 * `invalid_credentials` (and take the same time); the audit trail records which.
 */
export async function signInTenantUser(input: { tenantSlug: string; email: string; password: string }, meta: RequestMeta): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const anonymous = { type: "anonymous" as const, label: email.slice(0, 320) };
  const ipLimit = await limitSignInByIp(meta.ip);
  if (!ipLimit.allowed) {
    if (ipLimit.firstRefusal) {
      await recordAuditEvent({ tenantId: null, actor: anonymous, action: "signin.failure", outcome: "failure", reason: "rate_limited_ip", meta, metadata: { tenantSlug: input.tenantSlug } });
    }
    return { ok: false, error: "rate_limited", retryAfterSeconds: ipLimit.retryAfterSeconds };
  }
  const fail = async (tenantId: string | null, reason: string, metadata: Record<string, unknown> = {}) => {
    await recordAuditEvent({ tenantId, actor: anonymous, action: "signin.failure", outcome: "failure", reason, meta, metadata });
    return { ok: false as const, error: "invalid_credentials" as const };
  };

  const tenant = await db().tenant.findUnique({ where: { slug: input.tenantSlug } });
  if (!tenant) {
    await verifyAgainstDummy(input.password);
    return fail(null, "unknown_tenant", { tenantSlug: input.tenantSlug.slice(0, 64) });
  }
  const lockout = { threshold: tenant.lockoutThreshold, windowSeconds: tenant.lockoutWindowSeconds, durationSeconds: tenant.lockoutDurationSeconds };
  const lockedFor = await lockedForSeconds(tenant.id, email);
  if (lockedFor > 0) {
    await verifyAgainstDummy(input.password);
    return fail(tenant.id, "account_locked", { lockedForSeconds: lockedFor });
  }

  const user = await db().user.findUnique({ where: { tenantId_email: { tenantId: tenant.id, email } } });
  const valid = user?.passwordHash ? await verifyPassword(user.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!user || !valid || user.status !== "active") {
    const reason = !user ? "unknown_user" : !valid ? (user.passwordHash ? "wrong_password" : "no_password_set") : `user_${user.status}`;
    if (!valid) {
      const lockedNow = await registerFailure(tenant.id, email, lockout);
      if (lockedNow) {
        await recordAuditEvent({
          tenantId: tenant.id,
          actor: anonymous,
          action: "signin.lockout",
          outcome: "failure",
          reason: `${lockout.threshold} failures within ${lockout.windowSeconds}s`,
          target: user ? { type: "user", id: user.id } : undefined,
          meta,
          metadata: { lockedForSeconds: lockout.durationSeconds },
        });
      }
    }
    return fail(tenant.id, reason, user ? { userId: user.id } : {});
  }

  // Require-SSO: the right password, but this user must sign in through the IdP. The same generic refusal (no
  // enumeration of who is break-glass); the trail records the true reason.
  if (await passwordRefusedBySso(tenant.id, user)) return fail(tenant.id, "sso_required", { userId: user.id });

  await clearFailures(tenant.id, email);
  await db().user.update({ where: { id: user.id }, data: { lastSignInAt: new Date() } });
  await recordAuditEvent({ tenantId: tenant.id, actor: { type: "user", id: user.id, label: user.email }, action: "signin.success", meta, metadata: { method: "password" } });
  return { ok: true, principal: { kind: "user", userId: user.id, tenantId: tenant.id }, email: user.email };
}

/** Platform operators sign in at /operator/sign-in with the same protections (IP limit, generic errors). */
export async function signInOperator(input: { email: string; password: string }, meta: RequestMeta): Promise<SignInResult> {
  const email = normaliseEmail(input.email);
  const ipLimit = await limitSignInByIp(meta.ip);
  if (!ipLimit.allowed) return { ok: false, error: "rate_limited", retryAfterSeconds: ipLimit.retryAfterSeconds };
  const op = await db().operator.findUnique({ where: { email } });
  const lockedFor = await lockedForSeconds("operator", email);
  const valid = !lockedFor && op ? await verifyPassword(op.passwordHash, input.password) : await verifyAgainstDummy(input.password);
  if (!op || !valid) {
    if (!lockedFor) await registerFailure("operator", email, { threshold: 10, windowSeconds: 900, durationSeconds: 900 });
    await recordAuditEvent({ tenantId: null, actor: { type: "anonymous", label: email }, action: "operator.signin.failure", outcome: "failure", reason: lockedFor ? "account_locked" : op ? "wrong_password" : "unknown_operator", meta });
    return { ok: false, error: "invalid_credentials" };
  }
  await clearFailures("operator", email);
  await recordAuditEvent({ tenantId: null, actor: { type: "operator", id: op.id, label: op.email }, action: "operator.signin.success", meta });
  return { ok: true, principal: { kind: "operator", operatorId: op.id }, email: op.email };
}
