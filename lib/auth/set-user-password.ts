import { db } from "@/lib/db/client";
import { badRequest } from "@/lib/http/errors";
import { hashPassword, verifyPassword } from "@/lib/auth/password-hashing";
import { passwordPolicyOf, passwordViolations } from "@/lib/auth/password-policy";

/**
 * Checks a new password against the tenant's policy (rules and the last N
 * passwords) and stores its argon2id hash. Throws a 400 listing every violation.
 */
export async function setUserPassword(userId: string, newPassword: string, opts: { activate?: boolean } = {}): Promise<void> {
  const user = await db().user.findUniqueOrThrow({ where: { id: userId }, include: { tenant: true } });
  const policy = passwordPolicyOf(user.tenant);
  const problems = passwordViolations(newPassword, policy, { email: user.email });
  if (problems.length === 0 && policy.history > 0) {
    const previous = await db().passwordHistory.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, take: policy.history });
    const candidates = [...(user.passwordHash ? [user.passwordHash] : []), ...previous.map((p) => p.hash)].slice(0, policy.history);
    for (const h of candidates) {
      if (await verifyPassword(h, newPassword)) {
        problems.push(`Choose a password you have not used for your last ${policy.history} passwords.`);
        break;
      }
    }
  }
  if (problems.length) throw badRequest(problems[0]!, { issues: problems.map((message) => ({ field: "password", message })) });
  const hash = await hashPassword(newPassword);
  await db().$transaction([
    db().passwordHistory.create({ data: { userId, hash } }),
    db().user.update({
      where: { id: userId },
      data: { passwordHash: hash, passwordChangedAt: new Date(), ...(opts.activate && user.status === "invited" ? { status: "active" } : {}) },
    }),
  ]);
  // Keep only what the policy needs to remember (at most 24).
  const stale = await db().passwordHistory.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, skip: Math.max(policy.history, 1), select: { id: true } });
  if (stale.length) await db().passwordHistory.deleteMany({ where: { id: { in: stale.map((s) => s.id) } } });
}
