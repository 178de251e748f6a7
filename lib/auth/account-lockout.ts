import { redis } from "@/lib/redis";
import type { LockoutPolicy } from "@/lib/auth/session-policy";

/**
 * Per-account lockout in Redis (so every replica sees it). The key is the
 * tenant and the normalised email, whether or not such a user exists: unknown
 * accounts lock exactly like real ones, so lockout behaviour reveals nothing.
 */
const failKey = (tenantId: string, email: string) => `lockout:fail:${tenantId}:${email}`;
const lockKey = (tenantId: string, email: string) => `lockout:lock:${tenantId}:${email}`;

export async function lockedForSeconds(tenantId: string, email: string): Promise<number> {
  const ttl = await redis().ttl(lockKey(tenantId, email));
  return ttl > 0 ? ttl : 0;
}

/** Counts a failure; returns true when this failure starts a lock. */
export async function registerFailure(tenantId: string, email: string, policy: LockoutPolicy): Promise<boolean> {
  const key = failKey(tenantId, email);
  const [[, count]] = (await redis().multi().incr(key).expire(key, policy.windowSeconds, "NX").exec()) as [[null, number], unknown];
  if (count >= policy.threshold) {
    await redis().multi().set(lockKey(tenantId, email), "1", "EX", policy.durationSeconds).del(key).exec();
    return true;
  }
  return false;
}

export async function clearFailures(tenantId: string, email: string): Promise<void> {
  await redis().del(failKey(tenantId, email), lockKey(tenantId, email));
}
