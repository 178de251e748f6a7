import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../support/atrium-client";
import { PASSWORD, auditEvents, makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

let t: TestTenant;
beforeAll(async () => {
  t = await makeTenant("signin");
});
afterAll(async () => {
  await closeDb();
  await closeRedis();
});

describe("password sign-in", () => {
  it("signs a user in with a fresh opaque session token and records it", async () => {
    const c = await signedIn(t, t.owner.email);
    const token = [...c.cookies].find(([k]) => k.endsWith("atrium.session"))?.[1];
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 256 bits, not a JWT
    const me = await c.get<{ user: { email: string }; tenant: { slug: string } }>("/api/me");
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(t.owner.email);
    expect(me.body.tenant.slug).toBe(t.slug);
    expect((await auditEvents(t.id, "signin.success")).length).toBeGreaterThan(0);
  });

  it("gives one answer for a wrong password, an unknown user and a disabled user, and audits the truth", async () => {
    const disabled = await makeUser(t, "member");
    const admin = await signedIn(t, t.owner.email);
    expect((await admin.call("PATCH", `/api/users/${disabled.id}`, { status: "disabled" })).status).toBe(200);
    const wrong = await new AtriumClient().signIn(t.slug, t.owner.email, "not-the-password");
    const unknown = await new AtriumClient().signIn(t.slug, `nobody@${t.domain}`, PASSWORD);
    const off = await new AtriumClient().signIn(t.slug, disabled.email, PASSWORD);
    expect([wrong, unknown, off]).toEqual(["CredentialsSignin", "CredentialsSignin", "CredentialsSignin"]);
    const reasons = (await auditEvents(t.id, "signin.failure")).map((e) => e.reason);
    expect(reasons).toEqual(expect.arrayContaining(["wrong_password", "unknown_user", "user_disabled"]));
  });

  it("rotates the session at sign-in: the token held before no longer works", async () => {
    const c = await signedIn(t, t.owner.email);
    const before = new Map(c.cookies);
    expect(await c.signIn(t.slug, t.owner.email, PASSWORD)).toBeNull();
    const old = new AtriumClient();
    for (const [k, v] of before) old.cookies.set(k, v);
    expect((await old.get("/api/me")).status).toBe(401);
    expect((await c.get("/api/me")).status).toBe(200);
  });

  it("ends the session on sign-out, server-side", async () => {
    const c = await signedIn(t, t.owner.email);
    const copy = new AtriumClient();
    for (const [k, v] of c.cookies) copy.cookies.set(k, v);
    await c.signOut();
    expect((await copy.get("/api/me")).status).toBe(401);
    expect((await auditEvents(t.id, "session.signed_out")).length).toBeGreaterThan(0);
  });
});
