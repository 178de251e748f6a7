import { describe, expect, it } from "vitest";
import { deriveKey, newEngineSecret, open, seal } from "@/lib/security/secret-box";

const k = deriveKey("test-secret-0123456789abcdef0123456789abcdef");

describe("secret box", () => {
  it("round-trips, with a fresh IV every time", () => {
    const s = newEngineSecret();
    expect(s).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const a = seal(s, k);
    const b = seal(s, k);
    expect(a).not.toBe(b);
    expect(a).not.toContain(s);
    expect(open(a, k)).toBe(s);
    expect(open(b, k)).toBe(s);
  });

  it("derives a stable 32-byte key per AUTH_SECRET and info", () => {
    expect(deriveKey("test-secret-0123456789abcdef0123456789abcdef").equals(k)).toBe(true);
    expect(k).toHaveLength(32);
    expect(deriveKey("another-secret-0123456789abcdef0123456789").equals(k)).toBe(false);
    expect(deriveKey("test-secret-0123456789abcdef0123456789abcdef", "other").equals(k)).toBe(false);
  });

  it("refuses a wrong key, tampering and garbage", () => {
    const box = seal("hello-secret-value", k);
    expect(() => open(box, deriveKey("another-secret-0123456789abcdef0123456789"))).toThrow();
    const parts = box.split(".");
    const ct = Buffer.from(parts[3]!, "base64url");
    ct[0] = ct[0]! ^ 1;
    expect(() => open([parts[0], parts[1], parts[2], ct.toString("base64url")].join("."), k)).toThrow();
    expect(() => open("v2.a.b.c", k)).toThrow(/not a sealed secret/);
    expect(() => open("nonsense", k)).toThrow();
  });
});
