import { db } from "@/lib/db/client";
import { badRequest } from "@/lib/http/errors";
import { hashPassword, verifyPassword } from "@/lib/auth/password-hashing";
import { passwordPolicyOf, passwordViolations } from "@/lib/auth/password-policy";

/**
 * Checks a new password against the tenant's policy — its rules and the last N
 * passwords — and returns the argon2id hash to store. Writes nothing, so callers
 * can spend a one-time link between the check and the write. Throws a 400
 * listing every violation.
 */
export async function checkNewPassword(userId: string, newPassword: string): Promise<string> {
  const user = await db().user.findUniqueOrThrow({ where: { id: userId }, include: { tenant: true } });
  const policy = passwordPolicyOf(user.tenant);
  const problems = passwordViolations(newPassword, policy, { email: user.email });
  if (problems.length === 0 && policy.history > 0) {
    const previous = await db().passwordHistory.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, take: policy.history, select: { hash: true } });
    // The current hash is normally also the newest history row: count it once.
    const remembered = [...new Set([...(user.passwordHash ? [user.passwordHash] : []), ...previous.map((p) => p.hash)])].slice(0, policy.history);
    for (const h of remembered) {
      if (await verifyPassword(h, newPassword)) {
        problems.push(`Choose a password you have not used for your last ${policy.history} passwords.`);
        break;
      }
    }
  }
  if (problems.length) throw badRequest(problems[0]!, { issues: problems.map((message) => ({ field: "password", message })) });
  return hashPassword(newPassword);
}

/** Stores a hash made by checkNewPassword, keeping only as much history as the policy can ask for. */
export async function storePasswordHash(userId: string, hash: string, opts: { activate?: boolean } = {}): Promise<void> {
  const now = new Date();
  await db().$transaction(async (tx) => {
    await tx.passwordHistory.create({ data: { userId, hash, createdAt: now } });
    const user = await tx.user.update({ where: { id: userId }, data: { passwordHash: hash, passwordChangedAt: now }, include: { tenant: { select: { passwordHistory: true } } } });
    if (opts.activate && user.status === "invited") await tx.user.update({ where: { id: userId }, data: { status: "active" } });
    const stale = await tx.passwordHistory.findMany({ where: { userId }, orderBy: { createdAt: "desc" }, skip: Math.max(user.tenant.passwordHistory, 1), select: { id: true } });
    if (stale.length) await tx.passwordHistory.deleteMany({ where: { id: { in: stale.map((s) => s.id) } } });
  });
}

export async function setUserPassword(userId: string, newPassword: string, opts: { activate?: boolean } = {}): Promise<void> {
  await storePasswordHash(userId, await checkNewPassword(userId, newPassword), opts);
}
