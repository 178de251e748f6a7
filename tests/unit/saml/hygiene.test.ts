import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeBase64Strict, decodePostBindingMessage, decodeRedirectBindingMessage, inflateRawCapped, SAML_LIMITS } from "@/lib/saml/limits";
import { SAML_REASONS } from "@/lib/saml/reasons";
import { createMemorySamlCaches, createSamlReplayCache } from "@/lib/saml/replay-cache";
import { safeRelayState, validateSamlResponse } from "@/lib/saml/validate-response";
import { findCommentInValues, findDuplicateId, parseGuardedXml, refuseDtd, textOf } from "@/lib/saml/xml-guard";

const b64 = (s: string | Buffer) => Buffer.from(s).toString("base64");

describe("limits", () => {
  it("checks the base64 length before decoding, then the alphabet", () => {
    expect(decodeBase64Strict("A".repeat(101), 100)).toMatchObject({ ok: false, reason: "too_large" });
    expect(decodeBase64Strict("not base64!", 100)).toMatchObject({ ok: false, reason: "malformed" });
    expect(decodeBase64Strict("", 100)).toMatchObject({ ok: false, reason: "malformed" });
    const ok = decodeBase64Strict(`${b64("<a/>")}\r\n`, 100);
    expect(ok.ok && ok.value.toString()).toBe("<a/>");
  });

  it("refuses an oversized POST SAMLResponse before decoding", () => {
    const huge = "A".repeat(SAML_LIMITS.maxPostBase64Chars + 4);
    expect(decodePostBindingMessage(huge)).toMatchObject({ ok: false, reason: "too_large" });
  });

  it("inflates Redirect-binding messages with a hard output cap (deflate bomb)", () => {
    const bomb = deflateRawSync(Buffer.alloc(20 * 1024 * 1024, 0x41)); // 20 MiB of 'A' → ~20 KiB
    expect(inflateRawCapped(bomb, 1024 * 1024)).toMatchObject({ ok: false, reason: "deflate_bomb" });
    const small = deflateRawSync(Buffer.alloc(2 * 1024 * 1024, 0x41)); // fits the base64 limit, inflates past the cap
    expect(b64(small).length).toBeLessThan(SAML_LIMITS.maxRedirectBase64Chars);
    expect(decodeRedirectBindingMessage(b64(small))).toMatchObject({ ok: false, reason: "deflate_bomb" });
    expect(decodeRedirectBindingMessage(b64(Buffer.from("not deflate")))).toMatchObject({ ok: false, reason: "malformed" });
    const req = decodeRedirectBindingMessage(b64(deflateRawSync(Buffer.from("<samlp:AuthnRequest/>"))));
    expect(req).toEqual({ ok: true, value: "<samlp:AuthnRequest/>" });
  });

  it("refuses invalid UTF-8 and strips a BOM", () => {
    expect(decodePostBindingMessage(b64(Buffer.from([0xff, 0xfe, 0x3c])))).toMatchObject({ ok: false, reason: "malformed" });
    expect(decodePostBindingMessage(b64("\uFEFF<a/>"))).toEqual({ ok: true, value: "<a/>" });
  });
});

describe("xml guard", () => {
  it("refuses DOCTYPE and ENTITY declarations before parsing (XXE, billion laughs)", () => {
    const xxe = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>';
    expect(refuseDtd(xxe)).toMatchObject({ reason: "doctype_forbidden" });
    expect(parseGuardedXml(xxe)).toMatchObject({ ok: false, reason: "doctype_forbidden" });
    expect(parseGuardedXml('<!doctype r><r/>')).toMatchObject({ ok: false, reason: "doctype_forbidden" });
    expect(parseGuardedXml('<r><! ENTITY a "b"></r>')).toMatchObject({ ok: false, reason: "doctype_forbidden" });
  });

  it("refuses several roots, text outside the root and broken XML", () => {
    expect(parseGuardedXml("<a/><b/>")).toMatchObject({ ok: false, reason: "multiple_roots" });
    expect(parseGuardedXml("<a>x</a>junk")).toMatchObject({ ok: false, reason: "malformed" });
    expect(parseGuardedXml("<a><b></a>")).toMatchObject({ ok: false, reason: "malformed" });
    expect(parseGuardedXml("<a>&undefined;</a>")).toMatchObject({ ok: false, reason: "malformed" });
    expect(parseGuardedXml("")).toMatchObject({ ok: false, reason: "malformed" });
    expect(parseGuardedXml('<?xml version="1.0"?><!-- ok --><a/>')).toMatchObject({ ok: true });
  });

  it("finds duplicate IDs and comments inside identity values; reads text without comments", () => {
    const doc = parseGuardedXml(
      '<r xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion"><saml:NameID>test<!-- x -->@example.com</saml:NameID><x ID="a"/><y ID="a"/></r>',
    );
    expect(doc.ok).toBe(true);
    if (!doc.ok) return;
    expect(findDuplicateId(doc.root)).toBe("a");
    expect(findCommentInValues(doc.root)).toBe("NameID");
    expect(textOf(doc.root.firstChild as Element)).toBe("test@example.com");
  });
});

describe("RelayState", () => {
  const origin = "https://atrium.example.com";
  it.each(["/", "/apps/1?tab=a#x", "/%2F%2Fevil.example"])("keeps the same-origin relative path %s", (v) => {
    expect(safeRelayState(v, origin)).toBe(v);
  });
  it.each([
    "https://evil.example/",
    "https://atrium.example.com/apps", // absolute, even same-origin
    "//evil.example/x",
    "/\\evil.example",
    "\\\\evil.example",
    "javascript:alert(1)",
    "apps/1",
    "/a\nb",
    "",
    "/" + "a".repeat(3000),
  ])("refuses %j", (v) => {
    expect(safeRelayState(v, origin)).toBeNull();
  });
  it("makes the validator refuse a response with a hostile RelayState before touching anything", async () => {
    const caches = createMemorySamlCaches(["id1"]);
    const r = await validateSamlResponse(
      { samlResponseB64: "irrelevant", relayState: "https://evil.example/" },
      { idpCerts: ["x"], idpEntityId: "i", spEntityId: "s", acsUrl: `${origin}/api/saml/acs`, expectedRequestId: "id1", allowIdpInitiated: false },
      caches,
    );
    expect(r).toMatchObject({ ok: false, reason: "relay_state_unsafe" });
    expect(await caches.consumeRequestId("id1")).toBe(true); // not consumed by the refused attempt
  });
});

describe("reason codes", () => {
  it("each code has a human sentence", () => {
    for (const [code, sentence] of Object.entries(SAML_REASONS)) {
      expect(code).toMatch(/^[a-z0-9_]+$/);
      expect(sentence).toMatch(/^[A-Z].+\.$/);
    }
  });
});

describe("replay cache (Redis commands)", () => {
  /** Minimal stand-in for the two ioredis commands used (SET … NX / PX / EX and DEL), with TTL bookkeeping. */
  function fakeRedis() {
    const store = new Map<string, { value: string; ttlMs: number }>();
    return {
      store,
      async set(key: string, value: string, mode: "EX" | "PX", ttl: number, nx?: "NX") {
        if (nx === "NX" && store.has(key)) return null;
        store.set(key, { value, ttlMs: mode === "EX" ? ttl * 1000 : ttl });
        return "OK";
      },
      async del(key: string) {
        return store.delete(key) ? 1 : 0;
      },
    };
  }

  it("request ids are one-time, assertion ids are refused while remembered, keys are hashed and prefixed", async () => {
    const redis = fakeRedis();
    const cache = createSamlReplayCache(redis as never, { prefix: "saml:t1:idp1" });
    await cache.rememberRequestId("_req1");
    expect(await cache.consumeRequestId("_req1")).toBe(true);
    expect(await cache.consumeRequestId("_req1")).toBe(false);
    expect(await cache.consumeRequestId("_never")).toBe(false);
    const until = new Date(Date.now() + 5 * 60_000);
    expect(await cache.rememberAssertionId("_a1", until)).toBe(true);
    expect(await cache.rememberAssertionId("_a1", until)).toBe(false);
    for (const [key, { ttlMs }] of redis.store) {
      expect(key).toMatch(/^saml:t1:idp1:asrt:[A-Za-z0-9_-]{43}$/);
      expect(ttlMs).toBeGreaterThan(4 * 60_000);
      expect(ttlMs).toBeLessThanOrEqual(5 * 60_000);
    }
    // a NotOnOrAfter in the past still gets a short TTL; a far-future one is capped (24 h by default)
    expect(await cache.rememberAssertionId("_a2", new Date(0))).toBe(true);
    expect(await cache.rememberAssertionId("_a3", new Date(Date.now() + 365 * 86_400_000))).toBe(true);
    const ttls = [...redis.store.values()].map((v) => v.ttlMs);
    expect(Math.min(...ttls)).toBe(1000);
    expect(Math.max(...ttls)).toBe(24 * 3600 * 1000);
  });
});
