import { Redis } from "ioredis";
import { config } from "@/lib/config";

const globalForRedis = globalThis as unknown as { atriumRedis?: Redis };

/** The shared Redis connection: rate limits, lockouts, caches (and pub/sub via duplicate()). */
export function redis(): Redis {
  globalForRedis.atriumRedis ??= new Redis(config().REDIS_URL, { maxRetriesPerRequest: 2, enableOfflineQueue: true, lazyConnect: false });
  return globalForRedis.atriumRedis;
}

export async function closeRedis(): Promise<void> {
  await globalForRedis.atriumRedis?.quit().catch(() => undefined);
  globalForRedis.atriumRedis = undefined;
}
