import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient, BASE_URL, randomIp } from "../support/atrium-client";
import { PASSWORD, auditEvents, makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { bareCall, expectApiError, rejectionAudit } from "../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

/**
 * Server-side sessions: admins see and revoke them, users end their own, a
 * password change or a disabled account ends them — each effective on the very
 * next request. Plus CSRF, cookie flags and security headers.
 */

let t: TestTenant;
let admin: AtriumClient;

interface SessionRow {
  id: string;
  user: { id: string; email: string; name: string };
  ip: string;
  userAgent: string;
  authMethod: string;
  createdAt: string;
  lastSeenAt: string;
  expiresAt: string;
  current: boolean;
}

beforeAll(async () => {
  t = await makeTenant("rev");
  admin = await signedIn(t, t.owner.email);
});
afterAll(async () => {
  await closeDb();
  await closeRedis();
});

async function signInAs(email: string, ip = randomIp(), ua = "atrium-tests/1.0"): Promise<AtriumClient> {
  const c = new AtriumClient(ip, ua);
  const error = await c.signIn(t.slug, email, PASSWORD);
  if (error) throw new Error(`sign-in failed: ${error}`);
  return c;
}

async function sessionIdOf(c: AtriumClient): Promise<string> {
  const me = await c.get<{ session: { id: string } }>("/api/me");
  expect(me.status).toBe(200);
  return me.body.session.id;
}

describe("admin view and revocation", () => {
  it("lists the member's session with its IP and user agent, revokes it, and the member's very next request is 401", async () => {
    const m = await makeUser(t, "member", "Mia Member");
    const ip = randomIp();
    const ua = `Mozilla/5.0 (X11; Linux x86_64) atrium-tests/${randomBytes(3).toString("hex")}`;
    const member = await signInAs(m.email, ip, ua);
    const sessionId = await sessionIdOf(member);

    const list = await admin.get<{ sessions: SessionRow[] }>(`/api/sessions?userId=${m.id}`);
    expect(list.status).toBe(200);
    expect(list.body.sessions).toHaveLength(1);
    const s = list.body.sessions[0]!;
    expect(s).toMatchObject({ id: sessionId, ip, userAgent: ua, authMethod: "password", current: false, user: { id: m.id, email: m.email, name: "Mia Member" } });
    expect(Date.parse(s.expiresAt)).toBeGreaterThan(Date.now());
    // The admin's own session is marked current in the full list.
    const all = await admin.get<{ sessions: SessionRow[] }>("/api/sessions");
    expect(all.body.sessions.filter((x) => x.current).map((x) => x.user.id)).toEqual([t.owner.id]);

    const del = await admin.call("DELETE", `/api/sessions/${sessionId}`);
    expect(del.status).toBe(200);
    expect(del.body).toEqual({ ok: true });
    const next = await member.get("/api/me");
    expectApiError(next, 401, "unauthenticated");
    // Also for a state change (CSRF token still in hand).
    expect((await member.call("POST", "/api/me/sign-out-everywhere", {})).status).toBe(401);

    const revoked = (await auditEvents(t.id, "session.revoked")).filter((e) => e.targetId === sessionId);
    expect(revoked).toHaveLength(1);
    expect(revoked[0]).toMatchObject({ reason: "revoked", actorType: "user", actorId: t.owner.id, actorLabel: t.owner.email });
    // Gone from the list; a second revocation is 404.
    expect((await admin.get<{ sessions: SessionRow[] }>(`/api/sessions?userId=${m.id}`)).body.sessions).toEqual([]);
    expectApiError(await admin.call("DELETE", `/api/sessions/${sessionId}`), 404, "not_found");
  });

  it("an admin API key can revoke a session too, and the audit names the key", async () => {
    const key = await admin.call<{ key: string; apiKey: { id: string } }>("POST", "/api/api-keys", { name: "revoker", role: "admin" });
    const m = await makeUser(t, "member");
    const member = await signInAs(m.email);
    const sessionId = await sessionIdOf(member);
    expect((await AtriumClient.withApiKey(key.body.key).call("DELETE", `/api/sessions/${sessionId}`)).status).toBe(200);
    expect((await member.get("/api/me")).status).toBe(401);
    const e = (await auditEvents(t.id, "session.revoked")).find((x) => x.targetId === sessionId);
    expect(e).toMatchObject({ actorType: "api_key", actorId: key.body.apiKey.id });
  });
});

describe("ending one's own sessions", () => {
  it("sign out everywhere ends every session of the user (both clients), not other users'", async () => {
    const m = await makeUser(t, "member");
    const other = await makeUser(t, "member");
    const c1 = await signInAs(m.email);
    const c2 = await signInAs(m.email);
    const o = await signInAs(other.email);
    const res = await c1.call<{ ok: boolean; endedSessions: number }>("POST", "/api/me/sign-out-everywhere", {});
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ ok: true, endedSessions: 2 });
    expect((await c1.get("/api/me")).status).toBe(401);
    expect((await c2.get("/api/me")).status).toBe(401);
    expect((await o.get("/api/me")).status).toBe(200);
    expect(await db().session.count({ where: { userId: m.id, revokedAt: null } })).toBe(0);
    expect((await auditEvents(t.id, "user.signed_out_everywhere")).some((e) => e.targetId === m.id)).toBe(true);
  });

  it("changing the password ends the user's other sessions but keeps the current one", async () => {
    const m = await makeUser(t, "member");
    const c1 = await signInAs(m.email);
    const c2 = await signInAs(m.email);
    const c2Session = await sessionIdOf(c2);
    const newPassword = "Fresh-Garden-93-lantern";
    const res = await c1.call<{ ok: boolean; endedSessions: number }>("POST", "/api/me/password", { currentPassword: PASSWORD, newPassword });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toEqual({ ok: true, endedSessions: 1 });
    expect((await c1.get("/api/me")).status).toBe(200);
    expect((await c2.get("/api/me")).status).toBe(401);
    const e = (await auditEvents(t.id, "session.revoked")).find((x) => x.targetId === c2Session);
    expect(e?.reason).toBe("password_changed");
    // The old password no longer signs in; the new one does.
    expect(await new AtriumClient().signIn(t.slug, m.email, PASSWORD)).toBe("CredentialsSignin");
    expect(await new AtriumClient().signIn(t.slug, m.email, newPassword)).toBeNull();
  });

  it("a wrong current password changes nothing and ends nothing", async () => {
    const m = await makeUser(t, "member");
    const c1 = await signInAs(m.email);
    const c2 = await signInAs(m.email);
    const res = await c1.call("POST", "/api/me/password", { currentPassword: "not-my-password", newPassword: "Fresh-Garden-93-lantern" });
    expectApiError(res, 400, "wrong_password", /current password/);
    expect((await c2.get("/api/me")).status).toBe(200);
    expect(await new AtriumClient().signIn(t.slug, m.email, PASSWORD)).toBeNull();
  });

  it("disabling a user ends all their sessions at once", async () => {
    const m = await makeUser(t, "member");
    const c1 = await signInAs(m.email);
    const c2 = await signInAs(m.email);
    const ids = [await sessionIdOf(c1), await sessionIdOf(c2)];
    const res = await admin.call<{ user: { status: string } }>("PATCH", `/api/users/${m.id}`, { status: "disabled" });
    expect(res.status).toBe(200);
    expect(res.body.user.status).toBe("disabled");
    expect((await c1.get("/api/me")).status).toBe(401);
    expect((await c2.get("/api/me")).status).toBe(401);
    const reasons = (await auditEvents(t.id, "session.revoked")).filter((e) => ids.includes(e.targetId!)).map((e) => e.reason);
    expect(reasons).toEqual(["user_disabled", "user_disabled"]);
    expect(await new AtriumClient().signIn(t.slug, m.email, PASSWORD)).toBe("CredentialsSignin");
  });
});

describe("CSRF", () => {
  const group = () => ({ name: `csrf-${randomBytes(4).toString("hex")}`, cpuMillis: 100, memoryMiB: 128 });

  async function expectCsrfRefusal(res: Awaited<ReturnType<typeof bareCall>>, name: string) {
    const error = expectApiError(res, 403, "csrf");
    expect(await db().group.count({ where: { tenantId: t.id, name } })).toBe(0);
    expect((await rejectionAudit(error.requestId))?.reason).toBe("csrf");
  }

  it("a cookie-authenticated POST without X-CSRF-Token is 403 csrf", async () => {
    const g = group();
    await expectCsrfRefusal(await bareCall(admin, "POST", "/api/groups", g, { origin: BASE_URL }), g.name);
  });

  it("a wrong token — or another session's valid token — is 403 csrf", async () => {
    const g = group();
    await expectCsrfRefusal(await bareCall(admin, "POST", "/api/groups", g, { origin: BASE_URL, "x-csrf-token": "0".repeat(64) }), g.name);
    const other = await signInAs((await makeUser(t, "admin")).email);
    await expectCsrfRefusal(await bareCall(admin, "POST", "/api/groups", g, { origin: BASE_URL, "x-csrf-token": other.csrfToken! }), g.name);
  });

  it("the right token from another origin (Origin: https://evil.example), or with no Origin/Referer at all, is 403 csrf", async () => {
    const g = group();
    await expectCsrfRefusal(await bareCall(admin, "POST", "/api/groups", g, { origin: "https://evil.example", "x-csrf-token": admin.csrfToken! }), g.name);
    await expectCsrfRefusal(await bareCall(admin, "DELETE", `/api/sessions/${"0".repeat(32)}`, undefined, { origin: "https://evil.example", "x-csrf-token": admin.csrfToken! }), g.name);
    await expectCsrfRefusal(await bareCall(admin, "POST", "/api/groups", g, { "x-csrf-token": admin.csrfToken! }), g.name);
    await expectCsrfRefusal(await bareCall(admin, "POST", "/api/groups", g, { referer: "https://evil.example/page", "x-csrf-token": admin.csrfToken! }), g.name);
  });

  it("with the right origin and token the same request succeeds (control)", async () => {
    const g = group();
    const res = await bareCall(admin, "POST", "/api/groups", g, { origin: BASE_URL, "x-csrf-token": admin.csrfToken! });
    expect(res.status).toBe(201);
  });

  it("an API-key request needs no CSRF token and no Origin", async () => {
    const key = await admin.call<{ key: string }>("POST", "/api/api-keys", { name: "script", role: "admin" });
    const g = group();
    const script = new AtriumClient();
    const res = await script.raw("POST", "/api/groups", { body: JSON.stringify(g), headers: { "content-type": "application/json", authorization: `Bearer ${key.body.key}` } });
    expect(res.status).toBe(201);
    expect(await db().group.count({ where: { tenantId: t.id, name: g.name } })).toBe(1);
  });
});

describe("cookie and headers", () => {
  it("the session cookie is HttpOnly and SameSite=Lax, for the whole site", async () => {
    const c = new AtriumClient();
    const csrf = (await (await c.raw("GET", "/api/auth/csrf")).json()) as { csrfToken: string };
    const form = new URLSearchParams({ csrfToken: csrf.csrfToken, tenant: t.slug, email: t.owner.email, password: PASSWORD, json: "true" });
    const res = await c.raw("POST", "/api/auth/callback/tenant-password", { body: form.toString(), headers: { "content-type": "application/x-www-form-urlencoded", origin: BASE_URL } });
    const line = res.headers.getSetCookie().find((l) => /^(__Host-)?atrium\.session=/.test(l));
    expect(line, res.headers.getSetCookie().join("\n")).toBeDefined();
    expect(line).toMatch(/;\s*HttpOnly/i);
    expect(line).toMatch(/;\s*SameSite=Lax/i);
    expect(line).toMatch(/;\s*Path=\/(;|$)/i);
    expect(line).not.toMatch(/;\s*Domain=/i);
    if (BASE_URL.startsWith("https://")) expect(line).toMatch(/;\s*Secure/i);
  });

  it("security headers are on a page, a JSON response and an error response", async () => {
    const c = new AtriumClient();
    const responses = [await c.raw("GET", "/"), await c.raw("GET", `/t/${t.slug}/sign-in`), await c.raw("GET", "/api/health"), await admin.raw("GET", "/api/me"), await c.raw("GET", "/api/users")];
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 401]);
    for (const r of responses) {
      const where = r.url;
      const csp = r.headers.get("content-security-policy") ?? "";
      expect(csp, where).toMatch(/frame-ancestors 'none'/);
      expect(csp, where).toMatch(/default-src 'self'/);
      expect(r.headers.get("x-frame-options"), where).toBe("DENY");
      expect(r.headers.get("x-content-type-options"), where).toBe("nosniff");
      expect(r.headers.get("referrer-policy"), where).toBeTruthy();
      expect(r.headers.get("x-powered-by"), where).toBeNull();
    }
    for (const r of responses.slice(2)) expect(r.headers.get("cache-control"), r.url).toBe("no-store");
  });
});
