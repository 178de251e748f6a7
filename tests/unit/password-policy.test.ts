import { describe, expect, it } from "vitest";
import { isPasswordExpired, passwordPolicySchema, passwordViolations, type PasswordPolicy } from "@/lib/auth/password-policy";

const strict: PasswordPolicy = { minLength: 12, requireLower: true, requireUpper: true, requireDigit: true, requireSymbol: true, history: 5, maxAgeDays: 90 };

describe("password policy", () => {
  it("accepts a password meeting every rule", () => {
    expect(passwordViolations("Quiet-River-2026!", strict)).toEqual([]);
  });

  it("names every rule a password breaks, in words the user can act on", () => {
    expect(passwordViolations("short", strict)).toEqual([
      "Use at least 12 characters (this one has 5).",
      "Include an uppercase letter.",
      "Include a digit.",
      "Include a symbol (for example ! # % or &).",
    ]);
  });

  it("counts characters, not UTF-16 units, and treats non-Latin letters as letters", () => {
    expect(passwordViolations("Ünïcödé-Pässwörd-1", strict)).toEqual([]);
    expect(passwordViolations("😀😀😀😀😀😀😀😀😀😀😀", { ...strict, requireLower: false, requireUpper: false, requireDigit: false, requireSymbol: false })).toEqual([
      "Use at least 12 characters (this one has 11).",
    ]);
  });

  it("refuses passwords containing the user's email name and absurd lengths", () => {
    expect(passwordViolations("Margaret-Secret-99!", strict, { email: "margaret@example.com" })).toContain("Do not include your email name in your password.");
    expect(passwordViolations(`Aa1!${"x".repeat(300)}`, strict)).toContain("Use at most 256 characters.");
  });

  it("bounds what an admin may configure", () => {
    expect(passwordPolicySchema.safeParse({ ...strict, minLength: 4 }).success).toBe(false);
    expect(passwordPolicySchema.safeParse({ ...strict, history: 25 }).success).toBe(false);
    expect(passwordPolicySchema.safeParse({ ...strict, maxAgeDays: 0 }).success).toBe(false);
    expect(passwordPolicySchema.safeParse({ ...strict, extra: true }).success).toBe(false);
    expect(passwordPolicySchema.safeParse({ ...strict, maxAgeDays: null }).success).toBe(true);
  });

  it("expires a password exactly at its maximum age, never without a policy", () => {
    const changed = new Date("2026-01-01T00:00:00Z");
    expect(isPasswordExpired({ maxAgeDays: 30 }, changed, new Date("2026-01-30T23:59:59Z"))).toBe(false);
    expect(isPasswordExpired({ maxAgeDays: 30 }, changed, new Date("2026-01-31T00:00:00Z"))).toBe(true);
    expect(isPasswordExpired({ maxAgeDays: null }, changed, new Date("2030-01-01T00:00:00Z"))).toBe(false);
  });
});
