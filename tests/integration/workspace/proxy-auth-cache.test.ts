import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AtriumClient } from "../../support/atrium-client";
import { startPortal, type Portal } from "../../support/second-replica";
import { closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { openSocket, sharingTenant, startReady, upgradeStatus, type SharingTenant, type Socket } from "./support";

/**
 * The proxy reuses a full upgrade check for up to WS_AUTH_CACHE_MS (lib/workspace/access-cache.ts).
 * What a user or attacker must still see: an ending refuses the very next upgrade on the replica
 * that ended it, and on any other replica as soon as that replica has closed the session's sockets.
 */
let tenant: SharingTenant;
let replica: Portal;
const member = () => tenant.member();
const sharedApp = () => tenant.sharedApp();

/** A socket open and greeted, then a second upgrade that the cache answers. */
async function warm(c: AtriumClient, appId: string): Promise<Socket> {
  const s = await openSocket(c, appId);
  await s.next((m) => m.type === "hello");
  expect(await upgradeStatus(c, appId)).toBe(101);
  return s;
}

beforeAll(async () => {
  tenant = await sharingTenant("wscache", "Cache");
  replica = await startPortal({ portOffset: 140 });
}, 90_000);

afterAll(async () => {
  await tenant?.stopEngines();
  await replica?.stop();
  await closeDb();
  await closeRedis();
}, 60_000);

describe("proxy authorisation cache", () => {
  it("a signed-out session is refused on its very next upgrade", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m, appId);
    const s = await warm(m, appId);
    const kept = [...m.cookies];
    await m.signOut();
    for (const [k, v] of kept) m.cookies.set(k, v); // a copy of the cookie kept by an attacker
    expect(await upgradeStatus(m, appId)).toBe(401);
    expect((await s.closed).code).toBe(4401);
  });

  it("a withdrawn share is refused on the very next upgrade", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m, appId);
    const s = await warm(m, appId);
    expect((await tenant.admin.call("PUT", `/api/apps/${appId}/shares`, { groupIds: [] })).status).toBe(200);
    expect(await upgradeStatus(m, appId)).toBe(404);
    expect((await s.closed).code).toBe(4403);
  });

  it("a stopped engine is refused on the very next upgrade", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m, appId);
    const s = await warm(m, appId);
    expect((await m.call("DELETE", `/api/apps/${appId}/engine`)).status).toBeLessThan(300);
    expect(await upgradeStatus(m, appId)).toBe(409);
    expect((await s.closed).code).toBe(4404);
  });

  it("revoked on one replica: the other refuses new upgrades once it has closed the session's sockets, within 1 s", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m, appId);
    const onReplica = m.via(replica.url);
    const s = await warm(onReplica, appId);
    const me = await m.get<{ session: { id: string } }>("/api/me");
    const t0 = Date.now();
    expect((await tenant.admin.call("DELETE", `/api/sessions/${me.body.session.id}`)).status).toBe(200);
    expect((await s.closed).code).toBe(4401);
    expect(await upgradeStatus(onReplica, appId)).toBe(401);
    expect(Date.now() - t0).toBeLessThan(1000);
  });
});
