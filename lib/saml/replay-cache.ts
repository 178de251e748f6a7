import { createHash } from "node:crypto";
import type Redis from "ioredis";
import type { SamlValidationCaches } from "./validate-response";

/**
 * Redis-backed one-time stores for SAML:
 *  - pending AuthnRequest ids (SP-initiated logins): remembered with a TTL when the request is sent, consumed
 *    exactly once (DEL returns 1 only to the first caller, atomically, on every Redis version);
 *  - assertion ids: SET NX with a PX TTL until the assertion's NotOnOrAfter (+ skew), so a replayed assertion
 *    is refused for as long as it could otherwise be accepted.
 * The client is passed in (no import of lib/redis.ts). Keys are hashed, so attacker-chosen ids cannot make long
 * or odd keys; `prefix` should name the tenant and IdP (e.g. `saml:<tenantId>:<idpId>`).
 */
export interface SamlReplayCacheOptions {
  prefix: string;
  /** How long a pending request id stays valid (default 10 minutes). */
  requestTtlSeconds?: number;
  /** Upper bound for the assertion-id TTL, whatever NotOnOrAfter says (default 24 hours). */
  maxAssertionTtlSeconds?: number;
}

export interface SamlReplayCache extends SamlValidationCaches {
  rememberRequestId(id: string): Promise<void>;
}

type RedisLike = Pick<Redis, "set" | "del">;

const hash = (s: string) => createHash("sha256").update(s).digest("base64url");

export function createSamlReplayCache(redis: RedisLike, options: SamlReplayCacheOptions): SamlReplayCache {
  const requestTtl = options.requestTtlSeconds ?? 600;
  const maxAssertionTtlMs = (options.maxAssertionTtlSeconds ?? 24 * 3600) * 1000;
  const reqKey = (id: string) => `${options.prefix}:req:${hash(id)}`;
  const asrtKey = (id: string) => `${options.prefix}:asrt:${hash(id)}`;
  return {
    async rememberRequestId(id) {
      await redis.set(reqKey(id), "1", "EX", requestTtl);
    },
    async consumeRequestId(id) {
      return (await redis.del(reqKey(id))) === 1;
    },
    async rememberAssertionId(id, until) {
      const ttl = Math.min(Math.max(until.getTime() - Date.now(), 1000), maxAssertionTtlMs);
      return (await redis.set(asrtKey(id), "1", "PX", ttl, "NX")) === "OK";
    },
  };
}

/** In-memory equivalent for tests and single-process tools (not for production: not shared across replicas). */
export function createMemorySamlCaches(pendingRequestIds: Iterable<string> = []): SamlReplayCache {
  const pending = new Set(pendingRequestIds);
  const seen = new Map<string, number>();
  return {
    async rememberRequestId(id) {
      pending.add(id);
    },
    async consumeRequestId(id) {
      return pending.delete(id);
    },
    async rememberAssertionId(id, until) {
      const now = Date.now();
      for (const [k, exp] of seen) if (exp <= now) seen.delete(k);
      if (seen.has(id)) return false;
      seen.set(id, Math.max(until.getTime(), now + 1000));
      return true;
    },
  };
}
