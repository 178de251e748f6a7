import { describe, expect, it } from "vitest";
import { AccessCache, type Grant } from "@/lib/workspace/access-cache";

const now = Date.now();
function grant(over: Partial<Grant> = {}): Grant {
  return { sessionId: "s1", tenantId: "t1", userId: "u1", appId: "a1", expiresAt: now + 60_000, idleExpiresAt: now + 30_000, engineId: "e1", host: "127.0.0.1", port: 1, secret: "x", at: now, ...over };
}

describe("proxy access cache", () => {
  it("serves a grant for at most its TTL, and never past the session's absolute or idle end", () => {
    const c = new AccessCache(1000);
    c.set("h", grant(), c.epoch);
    expect(c.get("h", "a1", now + 999)).not.toBeNull();
    expect(c.get("h", "a2", now)).toBeNull(); // another app: its own check
    expect(c.get("other", "a1", now)).toBeNull(); // another token
    expect(c.get("h", "a1", now + 1000)).toBeNull();
    c.set("h", grant({ expiresAt: now + 10 }), c.epoch);
    expect(c.get("h", "a1", now + 10)).toBeNull();
    c.set("h", grant({ idleExpiresAt: now + 10 }), c.epoch);
    expect(c.get("h", "a1", now + 10)).toBeNull();
  });

  it("is off with a TTL of 0", () => {
    const c = new AccessCache(0);
    c.set("h", grant(), c.epoch);
    expect(c.get("h", "a1", now)).toBeNull();
  });

  it("drops grants by session, engine and app; leaves the others", () => {
    const c = new AccessCache(1000);
    c.set("h1", grant(), c.epoch);
    c.set("h2", grant({ sessionId: "s2", engineId: "e2", appId: "a2" }), c.epoch);
    c.set("h3", grant({ sessionId: "s3", engineId: "e3", appId: "a3", tenantId: "t3" }), c.epoch);
    c.dropSession("s1");
    expect(c.get("h1", "a1", now)).toBeNull();
    expect(c.get("h2", "a2", now)).not.toBeNull();
    c.dropEngine("e2");
    expect(c.get("h2", "a2", now)).toBeNull();
    c.dropApp("t1", "a3"); // same app id in another tenant: untouched
    expect(c.get("h3", "a3", now)).not.toBeNull();
    c.dropApp("t3", "a3");
    expect(c.get("h3", "a3", now)).toBeNull();
  });

  it("drops every grant of a user (role or groups changed), in that tenant only", () => {
    const c = new AccessCache(1000);
    c.set("h1", grant(), c.epoch);
    c.set("h2", grant({ sessionId: "s2", appId: "a2" }), c.epoch); // same user, another app and tab
    c.set("h3", grant({ sessionId: "s3", userId: "u2" }), c.epoch);
    c.set("h4", grant({ sessionId: "s4", tenantId: "t9" }), c.epoch); // same user id in another tenant
    c.dropUser("t1", "u1");
    expect(c.get("h1", "a1", now)).toBeNull();
    expect(c.get("h2", "a2", now)).toBeNull();
    expect(c.get("h3", "a1", now)).not.toBeNull();
    expect(c.get("h4", "a1", now)).not.toBeNull();
  });

  it("a database check that overlapped an ending neither fills the cache nor passes for what ended", () => {
    const c = new AccessCache(1000);
    const epoch = c.epoch;
    expect(c.endedSince(epoch, "s1", "e1")).toBeNull();
    c.dropSession("s1"); // heard while the check was reading
    c.set("h", grant(), epoch);
    expect(c.get("h", "a1", now)).toBeNull();
    expect(c.endedSince(epoch, "s1", "e1")).toBe("session");
    expect(c.endedSince(epoch, "s9", "e1")).toBeNull();
    const e2 = c.epoch;
    c.dropEngine("e1");
    expect(c.endedSince(e2, "s9", "e1")).toBe("engine");
  });
});
