import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../support/atrium-client";
import { PASSWORD, makeTenant, makeUser, signedIn, type TestTenant } from "../support/fixtures";
import { startSecondReplica } from "../support/second-replica";
import { closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";

let t: TestTenant;
let replica: Awaited<ReturnType<typeof startSecondReplica>>;

beforeAll(async () => {
  t = await makeTenant("replicas");
  replica = await startSecondReplica();
}, 90_000);
afterAll(async () => {
  await replica?.stop();
  await closeDb();
  await closeRedis();
});

describe("two portal replicas", () => {
  it("accept the same session, and a revocation on one is effective on the other's very next request", async () => {
    const member = await makeUser(t, "member");
    const m1 = await signedIn(t, member.email);
    const m2 = m1.via(replica.url);
    expect((await m2.get("/api/me")).status).toBe(200);

    const admin = (await signedIn(t, t.owner.email)).via(replica.url);
    const sessions = await admin.get<{ sessions: { id: string; user: { email: string } }[] }>("/api/sessions");
    const target = sessions.body.sessions.find((s) => s.user.email === member.email)!;
    expect((await admin.call("DELETE", `/api/sessions/${target.id}`)).status).toBe(200);

    expect((await m1.get("/api/me")).status).toBe(401);
    expect((await m2.get("/api/me")).status).toBe(401);
  });

  it("share the lockout: failures counted on one replica lock the account on the other", async () => {
    const admin = await signedIn(t, t.owner.email);
    expect((await admin.call("PUT", "/api/policies/lockout", { threshold: 3, windowSeconds: 600, durationSeconds: 600 })).status).toBe(200);
    const victim = await makeUser(t, "member");
    for (let i = 0; i < 3; i++) expect(await new AtriumClient().signIn(t.slug, victim.email, "wrong-password")).toBe("CredentialsSignin");
    const other = new AtriumClient();
    other.target = replica.url;
    expect(await other.signIn(t.slug, victim.email, PASSWORD)).toBe("CredentialsSignin");
  });
});
