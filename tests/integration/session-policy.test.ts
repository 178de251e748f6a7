import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../support/atrium-client";
import { makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { sleep } from "../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

/**
 * Session policy with the test configuration's short bounds
 * (ATRIUM_TEST_SHORT_SESSIONS=1): idle timeout slides with activity and takes
 * effect at once for existing sessions; the absolute maximum is fixed at
 * sign-in. Timings keep about a second of margin for slow machines.
 */

let t: TestTenant;
let admin: AtriumClient; // an API key: not subject to the session policy under test
let member: { id: string; email: string };

interface Me {
  session: { id: string; expiresAt: string; idleExpiresAt: string };
}

beforeAll(async () => {
  t = await makeTenant("sess");
  const owner = await signedIn(t, t.owner.email);
  const key = await owner.call<{ key: string }>("POST", "/api/api-keys", { name: "policy-admin", role: "admin" });
  expect(key.status).toBe(201);
  admin = AtriumClient.withApiKey(key.body.key);
  member = await makeUser(t, "member");
});
afterAll(async () => {
  await closeDb();
  await closeRedis();
});

async function setPolicy(maxSessionSeconds: number, idleTimeoutSeconds: number): Promise<void> {
  const res = await admin.call("PUT", "/api/policies/session", { maxSessionSeconds, idleTimeoutSeconds });
  expect(res.status, res.text).toBe(200);
  expect(res.body).toMatchObject({ maxSessionSeconds, idleTimeoutSeconds });
}

async function signInMember(): Promise<{ c: AtriumClient; me: Me; signedInAt: number }> {
  const signedInAt = Date.now();
  const c = await signedIn(t, member.email);
  const me = await c.get<Me>("/api/me");
  expect(me.status).toBe(200);
  return { c, me: me.body, signedInAt };
}

async function expiryReason(sessionId: string): Promise<string | null> {
  const e = await db().auditEvent.findFirst({ where: { tenantId: t.id, action: "session.expired", targetId: sessionId } });
  return e?.reason ?? null;
}

describe("session policy", () => {
  it("reports the bounds: the test configuration lowers both minimums to 1 second, maximums stay 30 days / 24 hours", async () => {
    const res = await admin.get<{ bounds: { maxSeconds: { min: number; max: number }; idleSeconds: { min: number; max: number } } }>("/api/policies/session");
    expect(res.status).toBe(200);
    expect(res.body.bounds).toEqual({ maxSeconds: { min: 1, max: 2_592_000 }, idleSeconds: { min: 1, max: 86_400 } });
  });

  it("signs an idle member out after the idle timeout (401 on /api/me, audited expired_idle)", async () => {
    await setPolicy(4, 2);
    const { c, me, signedInAt } = await signInMember();
    const idleAt = Date.parse(me.session.idleExpiresAt);
    const expiresAt = Date.parse(me.session.expiresAt);
    // Absolute expiry is sign-in + 4 s; idle expiry 2 s after the last activity.
    expect(expiresAt - signedInAt).toBeGreaterThan(3000);
    expect(expiresAt - signedInAt).toBeLessThan(5500);
    expect(expiresAt - idleAt).toBeGreaterThan(1000);
    // Still in before the idle timeout...
    await sleep(idleAt - Date.now() - 1200);
    // (a request here would slide the idle window; check the database instead)
    expect((await db().session.findUniqueOrThrow({ where: { id: me.session.id } })).revokedAt).toBeNull();
    // ...out after it, while the absolute maximum is still ahead.
    await sleep(idleAt - Date.now() + 600);
    expect(Date.now()).toBeLessThan(expiresAt);
    const after = await c.get("/api/me");
    expect(after.status).toBe(401);
    expect(await expiryReason(me.session.id)).toBe("expired_idle");
    expect((await db().session.findUniqueOrThrow({ where: { id: me.session.id } })).revokedReason).toBe("expired_idle");
  });

  it("keeps an active member signed in past the idle timeout, but not past the absolute maximum", async () => {
    await setPolicy(4, 2);
    const { c, me, signedInAt } = await signInMember();
    const expiresAt = Date.parse(me.session.expiresAt);
    // Active: a request every ~0.7 s (on a fixed schedule) for as long as the session should live.
    const statuses: number[] = [];
    let k = 1;
    while (signedInAt + k * 700 < expiresAt - 600) {
      await sleep(signedInAt + k * 700 - Date.now());
      statuses.push((await c.get("/api/me")).status);
      k++;
    }
    const activeFor = Date.now() - signedInAt;
    expect(activeFor).toBeGreaterThan(2600); // well past the 2-second idle timeout
    expect(statuses.every((s) => s === 200), `statuses while active: ${statuses.join(",")}`).toBe(true);
    // Still active, yet refused once the 4-second maximum has passed.
    let firstRefusal: number | null = null;
    while (Date.now() < expiresAt + 2000) {
      await sleep(signedInAt + k * 700 - Date.now());
      k++;
      if ((await c.get("/api/me")).status === 401) {
        firstRefusal = Date.now();
        break;
      }
    }
    expect(firstRefusal, "the session outlived its absolute maximum").not.toBeNull();
    expect(firstRefusal! - signedInAt).toBeGreaterThan(3000);
    expect(firstRefusal! - signedInAt).toBeLessThan(6000);
    expect(firstRefusal!).toBeGreaterThanOrEqual(expiresAt - 250);
    expect(await expiryReason(me.session.id)).toBe("expired_absolute");
  });

  it("a longer idle timeout applies at once to existing sessions; a longer maximum only to new sign-ins", async () => {
    await setPolicy(4, 2);
    const { c, me } = await signInMember();
    const originalExpiry = me.session.expiresAt;
    const oldIdleAt = Date.parse(me.session.idleExpiresAt);

    await setPolicy(8, 4);
    // Idle past the old 2-second timeout (but within the new 4 s and the original 4 s maximum).
    await sleep(oldIdleAt - Date.now() + 700);
    expect(Date.now()).toBeLessThan(Date.parse(originalExpiry));
    const survived = await c.get<Me>("/api/me");
    expect(survived.status, "the existing session should live by the new, longer idle timeout").toBe(200);
    // The maximum did not move for the existing session...
    expect(survived.body.session.expiresAt).toBe(originalExpiry);
    expect(Date.parse(survived.body.session.idleExpiresAt)).toBeLessThanOrEqual(Date.parse(originalExpiry));

    // ...while a new sign-in gets the new 8-second maximum.
    const fresh = await signInMember();
    const freshLife = Date.parse(fresh.me.session.expiresAt) - fresh.signedInAt;
    expect(freshLife).toBeGreaterThan(7000);
    expect(freshLife).toBeLessThan(9500);

    // The existing session still ends at its original maximum.
    await sleep(Date.parse(originalExpiry) - Date.now() + 700);
    expect((await c.get("/api/me")).status).toBe(401);
    expect(await expiryReason(me.session.id)).toBe("expired_absolute");
    expect((await fresh.c.get("/api/me")).status).toBe(200);
  });

  it("a shorter idle timeout also applies at once: an existing session idle longer than the new timeout ends", async () => {
    await setPolicy(30, 20);
    const { c, me } = await signInMember();
    await sleep(2200);
    await setPolicy(30, 1);
    const res = await c.get("/api/me");
    expect(res.status).toBe(401);
    expect(await expiryReason(me.session.id)).toBe("expired_idle");
  });

  it("expired sessions are not listed to admins", async () => {
    await setPolicy(30, 20);
    const { me } = await signInMember();
    await setPolicy(30, 1);
    await sleep(1800);
    const list = await admin.get<{ sessions: { id: string }[] }>(`/api/sessions?userId=${member.id}`);
    expect(list.status).toBe(200);
    expect(list.body.sessions.map((s) => s.id)).not.toContain(me.session.id);
  });
});
