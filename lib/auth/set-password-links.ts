import { config } from "@/lib/config";
import { db } from "@/lib/db/client";
import type { TokenPurpose } from "@/lib/generated/prisma/client";
import { randomToken, sha256Hex } from "@/lib/security/tokens";

/**
 * One-time, expiring set-password links (invitations and resets). No mail
 * server is needed: the link is shown once to the admin who asked for it. Only
 * the token's SHA-256 is stored; issuing a new link voids the older ones.
 */
export async function issueSetPasswordLink(input: { tenantId: string; userId: string; purpose: TokenPurpose; createdById: string | null }): Promise<{ url: string; expiresAt: Date }> {
  const token = randomToken(32);
  const expiresAt = new Date(Date.now() + config().INVITE_TTL_HOURS * 3600_000);
  await db().$transaction([
    db().setPasswordToken.updateMany({ where: { userId: input.userId, usedAt: null }, data: { usedAt: new Date() } }),
    db().setPasswordToken.create({ data: { tenantId: input.tenantId, userId: input.userId, tokenHash: sha256Hex(token), purpose: input.purpose, expiresAt, createdById: input.createdById } }),
  ]);
  return { url: `${config().PUBLIC_ORIGIN}/set-password/${token}`, expiresAt };
}

/** The live link behind a token, or null when unknown, used or expired. */
export async function findLiveSetPasswordLink(token: string) {
  if (!/^[A-Za-z0-9_-]{20,100}$/.test(token)) return null;
  const row = await db().setPasswordToken.findUnique({ where: { tokenHash: sha256Hex(token) }, include: { user: true, tenant: true } });
  if (!row || row.usedAt || row.expiresAt <= new Date() || row.user.status === "disabled") return null;
  return row;
}
