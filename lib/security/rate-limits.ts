import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import { config } from "@/lib/config";
import { redis } from "@/lib/redis";

/** Fixed-window limiters in Redis, shared by every portal replica. */
const limiters = new Map<string, RateLimiterRedis>();

function limiter(prefix: string, points: number, duration: number, blockDuration = 0): RateLimiterRedis {
  const key = `${prefix}:${points}:${duration}:${blockDuration}`;
  let l = limiters.get(key);
  if (!l) {
    l = new RateLimiterRedis({ storeClient: redis(), keyPrefix: `rl:${prefix}`, points, duration, blockDuration });
    limiters.set(key, l);
  }
  return l;
}

export interface LimitOutcome {
  allowed: boolean;
  retryAfterSeconds: number;
  /**
   * True for the first refused request of a window only: refusals are audited
   * once per window, so a flood cannot turn into a flood of audit writes.
   */
  firstRefusal: boolean;
}

async function take(l: RateLimiterRedis, key: string): Promise<LimitOutcome> {
  try {
    await l.consume(key);
    return { allowed: true, retryAfterSeconds: 0, firstRefusal: false };
  } catch (e) {
    if (e instanceof RateLimiterRes) {
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(e.msBeforeNext / 1000)), firstRefusal: e.consumedPoints === l.points + 1 };
    }
    throw e;
  }
}

export function limitSignInByIp(ip: string): Promise<LimitOutcome> {
  const c = config();
  return take(limiter("signin-ip", c.RATE_SIGNIN_PER_IP, c.RATE_SIGNIN_WINDOW_SECONDS), ip || "unknown");
}

export function limitApiByIp(ip: string): Promise<LimitOutcome> {
  const c = config();
  return take(limiter("api-ip", c.RATE_API_PER_IP, c.RATE_API_WINDOW_SECONDS), ip || "unknown");
}

export function limitApiByPrincipal(principalId: string): Promise<LimitOutcome> {
  const c = config();
  return take(limiter("api-principal", c.RATE_API_PER_PRINCIPAL, c.RATE_API_WINDOW_SECONDS), principalId);
}

export function limitApiByTenant(tenantId: string): Promise<LimitOutcome> {
  const c = config();
  return take(limiter("api-tenant", c.RATE_API_PER_TENANT, c.RATE_API_WINDOW_SECONDS), tenantId);
}
