import { describe, expect, it } from "vitest";
import { parseConfig } from "@/lib/config";

const base: NodeJS.ProcessEnv = {
  DATABASE_URL: "postgresql://atrium@127.0.0.1:5432/atrium",
  REDIS_URL: "redis://127.0.0.1:6379",
  PUBLIC_ORIGIN: "https://atrium.example.com",
  AUTH_SECRET: "x".repeat(32),
  NODE_ENV: "production",
};

describe("configuration", () => {
  it("parses a valid production environment and derives secure cookies from https", () => {
    const c = parseConfig(base);
    expect(c.PUBLIC_ORIGIN).toBe("https://atrium.example.com");
    expect(c.secureCookies).toBe(true);
    expect(c.PORT).toBe(3000);
  });

  it("fails loudly, naming each bad variable", () => {
    expect(() => parseConfig({ ...base, DATABASE_URL: "mysql://x", AUTH_SECRET: "short" })).toThrow(/DATABASE_URL: must be a postgresql:\/\/ URL[\s\S]*AUTH_SECRET: must be at least 32/);
    expect(() => parseConfig({ ...base, REDIS_URL: undefined })).toThrow(/REDIS_URL/);
  });

  it("refuses plain http in production except on loopback", () => {
    expect(() => parseConfig({ ...base, PUBLIC_ORIGIN: "http://atrium.example.com" })).toThrow(/PUBLIC_ORIGIN: must be https/);
    expect(parseConfig({ ...base, PUBLIC_ORIGIN: "http://localhost:3000" }).secureCookies).toBe(false);
  });

  it("honours the short-session test setting only on a loopback origin", () => {
    expect(() => parseConfig({ ...base, ATRIUM_TEST_SHORT_SESSIONS: "1" })).toThrow(/ATRIUM_TEST_SHORT_SESSIONS/);
    expect(parseConfig({ ...base, PUBLIC_ORIGIN: "http://127.0.0.1:3210", ATRIUM_TEST_SHORT_SESSIONS: "1" }).ATRIUM_TEST_SHORT_SESSIONS).toBe(true);
  });
});
