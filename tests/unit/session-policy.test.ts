import { afterEach, describe, expect, it, vi } from "vitest";

// The bounds depend on configuration; load the module fresh under each environment.
async function schemaWith(env: Record<string, string>) {
  vi.resetModules();
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  return (await import("@/lib/auth/session-policy")).sessionPolicySchema();
}

const env = { DATABASE_URL: "postgresql://a@b/c", REDIS_URL: "redis://b", AUTH_SECRET: "y".repeat(32), PUBLIC_ORIGIN: "https://atrium.example.com", ATRIUM_TEST_SHORT_SESSIONS: "0" };

afterEach(() => vi.unstubAllEnvs());

describe("session policy bounds", () => {
  it("keeps production bounds: 15 min to 30 days, idle 5 min to 24 h, idle never above the maximum", async () => {
    const s = await schemaWith(env);
    expect(s.safeParse({ maxSessionSeconds: 8 * 3600, idleTimeoutSeconds: 1800 }).success).toBe(true);
    const msg = (v: object) => (s.safeParse(v).error?.issues[0]?.message ?? "");
    expect(msg({ maxSessionSeconds: 60, idleTimeoutSeconds: 60 })).toBe("Maximum session duration must be at least 15 minutes.");
    expect(msg({ maxSessionSeconds: 31 * 86400, idleTimeoutSeconds: 3600 })).toBe("Maximum session duration can be at most 30 days.");
    expect(msg({ maxSessionSeconds: 3600, idleTimeoutSeconds: 7200 })).toBe("Idle timeout cannot be longer than the maximum session duration.");
    expect(msg({ maxSessionSeconds: 3600, idleTimeoutSeconds: 100 })).toBe("Idle timeout must be at least 5 minutes.");
    expect(msg({ maxSessionSeconds: 3600.5, idleTimeoutSeconds: 600 })).toBe("Maximum session duration must be a whole number of seconds.");
    expect(s.safeParse({ maxSessionSeconds: "3600", idleTimeoutSeconds: 600 }).success).toBe(false);
  });

  it("lowers only the minimums to 1 second under the test setting", async () => {
    const s = await schemaWith({ ...env, PUBLIC_ORIGIN: "http://localhost:3210", ATRIUM_TEST_SHORT_SESSIONS: "1" });
    expect(s.safeParse({ maxSessionSeconds: 4, idleTimeoutSeconds: 2 }).success).toBe(true);
    expect(s.safeParse({ maxSessionSeconds: 31 * 86400, idleTimeoutSeconds: 2 }).success).toBe(false);
  });
});
