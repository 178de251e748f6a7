import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient, randomIp } from "../support/atrium-client";
import { PASSWORD, auditEvents, makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { expectApiError } from "../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

/**
 * Brute-force defences: per-account lockout (tenant policy, same answer for
 * real and unknown accounts), the per-IP sign-in limit, and the password
 * policy (rules, history, expiry).
 */

let t: TestTenant;
let owner: AtriumClient;
let redis: Redis;
const LOCK_SECONDS = 600;

beforeAll(async () => {
  t = await makeTenant("lock");
  owner = await signedIn(t, t.owner.email);
  redis = new Redis(process.env.REDIS_URL!);
});
afterAll(async () => {
  redis.disconnect();
  await closeDb();
  await closeRedis();
});

const fromNewIp = () => new AtriumClient(randomIp());

describe("account lockout", () => {
  beforeAll(async () => {
    const res = await owner.call("PUT", "/api/policies/lockout", { threshold: 3, windowSeconds: 300, durationSeconds: LOCK_SECONDS });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ threshold: 3, windowSeconds: 300, durationSeconds: LOCK_SECONDS });
  });

  it("3 wrong passwords lock the account: the right password is then refused with the same CredentialsSignin", async () => {
    const u = await makeUser(t, "member");
    const errors: (string | null)[] = [];
    // From different IPs: the lock is per account, not per address.
    for (let i = 0; i < 3; i++) errors.push(await fromNewIp().signIn(t.slug, u.email, `wrong-password-${i}`));
    expect(errors).toEqual(["CredentialsSignin", "CredentialsSignin", "CredentialsSignin"]);
    expect(await fromNewIp().signIn(t.slug, u.email, PASSWORD)).toBe("CredentialsSignin");

    const lockout = (await auditEvents(t.id, "signin.lockout")).filter((e) => e.targetId === u.id);
    expect(lockout).toHaveLength(1);
    expect(lockout[0]!.reason).toMatch(/3 failures/);
    const failures = (await auditEvents(t.id, "signin.failure")).filter((e) => e.actorLabel === u.email);
    expect(failures.map((e) => e.reason)).toEqual(["wrong_password", "wrong_password", "wrong_password", "account_locked"]);
    expect(failures[3]!.seq > lockout[0]!.seq).toBe(true);

    const ttl = await redis.ttl(`lockout:lock:${t.id}:${u.email}`);
    expect(ttl).toBeGreaterThan(LOCK_SECONDS - 30);
    expect(ttl).toBeLessThanOrEqual(LOCK_SECONDS);
  });

  it("an unknown email locks exactly the same way (no enumeration)", async () => {
    const ghost = `ghost-${randomBytes(4).toString("hex")}@${t.domain}`;
    const errors: (string | null)[] = [];
    for (let i = 0; i < 4; i++) errors.push(await fromNewIp().signIn(t.slug, ghost, `wrong-password-${i}`));
    expect(errors).toEqual(["CredentialsSignin", "CredentialsSignin", "CredentialsSignin", "CredentialsSignin"]);
    const failures = (await auditEvents(t.id, "signin.failure")).filter((e) => e.actorLabel === ghost);
    expect(failures.map((e) => e.reason)).toEqual(["unknown_user", "unknown_user", "unknown_user", "account_locked"]);
    expect((await auditEvents(t.id, "signin.lockout")).filter((e) => e.actorLabel === ghost)).toHaveLength(1);
    const ttl = await redis.ttl(`lockout:lock:${t.id}:${ghost}`);
    expect(ttl).toBeGreaterThan(LOCK_SECONDS - 30);
  });

  it("the lock is keyed on the normalised email: different case and spaces do not get around it", async () => {
    const u = await makeUser(t, "member");
    for (let i = 0; i < 3; i++) await fromNewIp().signIn(t.slug, u.email, `wrong-${i}`);
    expect(await fromNewIp().signIn(t.slug, `  ${u.email.toUpperCase()} `, PASSWORD)).toBe("CredentialsSignin");
  });

  it("other accounts of the same tenant are unaffected, and a success before the threshold resets the count", async () => {
    const other = await makeUser(t, "member");
    expect(await fromNewIp().signIn(t.slug, other.email, PASSWORD)).toBeNull();
    // Two failures, a success (clears the count), two more failures: still not locked.
    const u = await makeUser(t, "member");
    await fromNewIp().signIn(t.slug, u.email, "wrong-1");
    await fromNewIp().signIn(t.slug, u.email, "wrong-2");
    expect(await fromNewIp().signIn(t.slug, u.email, PASSWORD)).toBeNull();
    await fromNewIp().signIn(t.slug, u.email, "wrong-3");
    await fromNewIp().signIn(t.slug, u.email, "wrong-4");
    expect(await fromNewIp().signIn(t.slug, u.email, PASSWORD)).toBeNull();
  });

  it("a locked user's live session is not ended by the lock (lockout guards sign-in only)", async () => {
    const u = await makeUser(t, "member");
    const c = await signedIn(t, u.email);
    for (let i = 0; i < 3; i++) await fromNewIp().signIn(t.slug, u.email, `wrong-${i}`);
    expect(await redis.exists(`lockout:lock:${t.id}:${u.email}`)).toBe(1);
    expect((await c.get("/api/me")).status).toBe(200);
  });
});

describe("per-IP sign-in limit", () => {
  it("the 31st attempt from one IP within 5 minutes is RateLimited:<seconds>, audited rate_limited_ip; another IP is unaffected", async () => {
    const victim = await makeUser(t, "member");
    const ip = randomIp();
    const attacker = new AtriumClient(ip);
    const errors: (string | null)[] = [];
    // 30 attempts against 30 different (unknown) accounts, so no account lock gets involved.
    for (let i = 0; i < 30; i++) errors.push(await attacker.signIn(t.slug, `spray-${i}-${randomBytes(3).toString("hex")}@${t.domain}`, "Summer2026!"));
    expect(errors.every((e) => e === "CredentialsSignin"), errors.join(",")).toBe(true);
    // The 31st — even with correct credentials — is rate limited.
    const limited = await attacker.signIn(t.slug, victim.email, PASSWORD);
    expect(limited).toMatch(/^RateLimited:\d+$/);
    const seconds = Number(limited!.split(":")[1]);
    expect(seconds).toBeGreaterThan(0);
    expect(seconds).toBeLessThanOrEqual(300);
    expect(attacker.cookies.has("atrium.session")).toBe(false);

    const audit = await db().auditEvent.findMany({ where: { action: "signin.failure", reason: "rate_limited_ip", ip } });
    expect(audit).toHaveLength(1);
    expect(audit[0]!.outcome).toBe("failure");
    // No password was checked for the limited attempt, so the account gets no failure recorded.
    expect((await auditEvents(t.id, "signin.failure")).filter((e) => e.actorLabel === victim.email)).toEqual([]);

    // The same account from another address signs in fine.
    expect(await new AtriumClient(randomIp()).signIn(t.slug, victim.email, PASSWORD)).toBeNull();
  });
});

describe("password policy", () => {
  const strict = { minLength: 14, requireLower: true, requireUpper: true, requireDigit: true, requireSymbol: true, history: 3, maxAgeDays: null };

  beforeAll(async () => {
    const res = await owner.call("PUT", "/api/policies/password", strict);
    expect(res.status, res.text).toBe(200);
    expect(res.body).toEqual(strict);
  });

  it("a short password is refused with every violated rule listed in clear text", async () => {
    const u = await makeUser(t, "member");
    const c = await signedIn(t, u.email);
    const res = await c.call("POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: "abc" });
    const error = expectApiError(res, 400, "bad_request");
    const messages = (error.details?.issues ?? []).map((i) => i.message);
    expect(messages).toEqual([
      "Use at least 14 characters (this one has 3).",
      "Include an uppercase letter.",
      "Include a digit.",
      "Include a symbol (for example ! # % or &).",
    ]);
    expect(error.message).toBe(messages[0]);
    // Nothing changed: the old password still works.
    expect(await new AtriumClient().signIn(t.slug, u.email, PASSWORD)).toBeNull();
  });

  it("reusing the current password is refused, mentioning recent passwords; a valid one is accepted", async () => {
    const u = await makeUser(t, "member");
    const c = await signedIn(t, u.email);
    const reuse = await c.call("POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: PASSWORD });
    const error = expectApiError(reuse, 400, "bad_request", /not used for your last 3 passwords/);
    expect(error.details?.issues).toEqual([{ field: "password", message: "Choose a password you have not used for your last 3 passwords." }]);
    const ok = await c.call("POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: "Quiet-Harbor-58-maple!" });
    expect(ok.status, ok.text).toBe(201);
    expect(ok.body).toMatchObject({ ok: true });
    expect(await new AtriumClient().signIn(t.slug, u.email, "Quiet-Harbor-58-maple!")).toBeNull();
  });

  it("history 3 refuses each of the last 3 passwords, the 3rd most recent included", async () => {
    const u = await makeUser(t, "member");
    const c = await signedIn(t, u.email);
    const p1 = "First-Lantern-11-river!";
    const p2 = "Second-Lantern-22-river!";
    const p3 = "Third-Lantern-33-river!";
    let current = PASSWORD;
    for (const next of [p1, p2, p3]) {
      const r = await c.call("POST", "/api/me/password", { currentPassword: current, newPassword: next });
      expect(r.status, r.text).toBe(201);
      current = next;
    }
    // The last 3 passwords are p3 (current), p2 and p1: p1 must be refused.
    const reuse = await c.call("POST", "/api/me/password", { currentPassword: p3, newPassword: p1 });
    expect(reuse.status, "p1 is one of the last 3 passwords").toBe(400);
  });

  it("an expired password blocks admin routes (403 password_expired) but not /api/me or changing it", async () => {
    const res0 = await owner.call("PUT", "/api/policies/password", { ...strict, maxAgeDays: 1 });
    expect(res0.status).toBe(200);
    const adminUser = await makeUser(t, "admin");
    const c = await signedIn(t, adminUser.email);
    expect((await c.get("/api/users")).status).toBe(200);
    await db().user.update({ where: { id: adminUser.id }, data: { passwordChangedAt: new Date(Date.now() - 2 * 86_400_000) } });

    const users = await c.get("/api/users");
    const error = expectApiError(users, 403, "password_expired", /password has expired/);
    expect(users.text).not.toContain(t.owner.email);
    const audit = await db().auditEvent.findFirst({ where: { requestId: error.requestId, action: "request.rejected" } });
    expect(audit).toMatchObject({ reason: "password_expired", tenantId: t.id, actorId: adminUser.id });

    const me = await c.get<{ passwordExpired: boolean }>("/api/me");
    expect(me.status).toBe(200);
    expect(me.body.passwordExpired).toBe(true);

    const change = await c.call("POST", "/api/me/password", { currentPassword: PASSWORD, newPassword: "Renewed-Compass-47-orbit!" });
    expect(change.status, change.text).toBe(201);
    expect((await c.get<{ passwordExpired: boolean }>("/api/me")).body.passwordExpired).toBe(false);
    expect((await c.get("/api/users")).status).toBe(200);
    await owner.call("PUT", "/api/policies/password", strict);
  });
});
