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

/** What Atrium remembers about an AuthnRequest it sent, until the answer arrives (or the TTL passes). */
export interface PendingSamlRequest {
  /** login: a normal sign-in; test: an admin's "test connection" (no session is created). */
  mode: "login" | "test";
  /** Where to go after sign-in: a same-origin relative path (already sanitised with safeRelayState). */
  next: string | null;
  /** mode=test: the admin who started the test (the result is shown to them only). */
  adminUserId: string | null;
  /** SHA-256 of the login-binding cookie of the browser that started the sign-in (login-CSRF defence). */
  browserBinding?: string | null;
}

export interface SamlReplayCache extends SamlValidationCaches {
  rememberRequestId(id: string): Promise<void>;
  /** Stores a pending request with what the response handler needs; consumed (one-time) by consumeRequestId. */
  rememberPendingRequest(id: string, pending: PendingSamlRequest): Promise<void>;
  /** Reads a pending request without consuming it (the validator consumes it after every other check passed). */
  peekPendingRequest(id: string): Promise<PendingSamlRequest | null>;
}

type RedisLike = Pick<Redis, "set" | "del" | "get">;

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
    async rememberPendingRequest(id, pending) {
      await redis.set(reqKey(id), JSON.stringify(pending), "EX", requestTtl);
    },
    async peekPendingRequest(id) {
      return parsePending(await redis.get(reqKey(id)));
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

function parsePending(raw: string | null): PendingSamlRequest | null {
  if (!raw) return null;
  if (raw === "1") return { mode: "login", next: null, adminUserId: null };
  try {
    const v = JSON.parse(raw) as Partial<PendingSamlRequest>;
    return {
      mode: v.mode === "test" ? "test" : "login",
      next: typeof v.next === "string" ? v.next : null,
      adminUserId: typeof v.adminUserId === "string" ? v.adminUserId : null,
      browserBinding: typeof v.browserBinding === "string" ? v.browserBinding : null,
    };
  } catch {
    return null;
  }
}

/** In-memory equivalent for tests and single-process tools (not for production: not shared across replicas). */
export function createMemorySamlCaches(pendingRequestIds: Iterable<string> = []): SamlReplayCache {
  const pending = new Map<string, PendingSamlRequest>([...pendingRequestIds].map((id) => [id, { mode: "login", next: null, adminUserId: null }]));
  const seen = new Map<string, number>();
  return {
    async rememberRequestId(id) {
      pending.set(id, { mode: "login", next: null, adminUserId: null });
    },
    async rememberPendingRequest(id, p) {
      pending.set(id, p);
    },
    async peekPendingRequest(id) {
      return pending.get(id) ?? null;
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
