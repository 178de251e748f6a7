import { redis } from "@/lib/redis";
import { createSamlReplayCache, type SamlReplayCache } from "@/lib/saml/replay-cache";

/** The tenant's Redis-backed SAML caches (pending requests, assertion ids), shared by every portal replica. */
export function samlCachesFor(tenantId: string): SamlReplayCache {
  return createSamlReplayCache(redis(), { prefix: `saml:${tenantId}` });
}

/** One-time values in Redis (GETDEL: only the first reader gets the value). */
export async function putOnce(key: string, value: unknown, ttlSeconds: number): Promise<void> {
  await redis().set(key, JSON.stringify(value), "EX", ttlSeconds);
}

export async function takeOnce<T>(key: string): Promise<T | null> {
  const raw = await redis().getdel(key);
  if (!raw) return null;
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}
