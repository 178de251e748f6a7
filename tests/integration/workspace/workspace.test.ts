import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../../support/atrium-client";
import { makeTenant, makeUser, signedIn, type TestTenant } from "../../support/fixtures";
import { startSecondReplica } from "../../support/second-replica";
import { sleep } from "../../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { config } from "@/lib/config";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import { installationId, processStateDir } from "@/lib/workspace/drivers";
import { enginePid, makeApp, openSocket, processAlive, startEngine, startReady, upgradeStatus, waitFor, type Socket } from "./support";

/** The portal side of workspaces against a running Atrium (process driver), docs/workspaces.md. */

let t: TestTenant;
let other: TestTenant;
let admin: AtriumClient;
let group: string;
const timings: Record<string, number> = {};

async function member(shared = true): Promise<{ c: AtriumClient; id: string }> {
  const u = await makeUser(t, "member");
  if (shared) await db().groupMember.create({ data: { tenantId: t.id, groupId: group, userId: u.id } });
  return { c: await signedIn(t, u.email), id: u.id };
}

async function sharedApp(): Promise<string> {
  const id = await makeApp(admin);
  expect((await admin.call("PUT", `/api/apps/${id}/shares`, { groupIds: [group] })).status).toBe(200);
  return id;
}

async function ready(s: Socket): Promise<Record<string, unknown>> {
  return s.next((m) => m.type === "hello");
}

beforeAll(async () => {
  t = await makeTenant("ws");
  other = await makeTenant("wsother");
  admin = await signedIn(t, t.owner.email);
  const g = await admin.call<{ group: { id: string } }>("POST", "/api/groups", { name: "Analysts", cpuMillis: 500, memoryMiB: 256 });
  group = g.body.group.id;
});

afterAll(async () => {
  // Stop whatever engines the tests left, then: no engine process of this installation is left running.
  const c = config();
  const live = await db().engine.findMany({ where: { status: { in: ["starting", "running"] } }, select: { id: true } });
  for (const e of live) await admin.call("DELETE", `/api/engines/${e.id}`).catch(() => undefined);
  const driver = new ProcessDriver({ installationId: installationId(c), stateDir: processStateDir(c) });
  for (const l of await driver.list()) {
    const row = await db().engine.findUnique({ where: { id: l.engineId }, select: { status: true } });
    if (!row || !["starting", "running"].includes(row.status)) await driver.stop(l.state);
  }
  expect(await driver.list()).toEqual([]);
  console.log("workspace timings (ms):", JSON.stringify(timings));
  await closeDb();
  await closeRedis();
}, 60_000);

describe("apps", () => {
  it("creates, versions, shares and lists apps; validates nodes; audits", async () => {
    const id = await makeApp(admin, "Versioned");
    const got = await admin.get<{ app: { version: number; nodes: unknown[]; shares: unknown[] } }>(`/api/apps/${id}`);
    expect(got.body.app).toMatchObject({ version: 1, shares: [] });
    expect(got.body.app.nodes).toHaveLength(4);
    const renamed = await admin.call<{ app: { version: number; name: string } }>("PUT", `/api/apps/${id}`, { name: "Renamed" });
    expect(renamed.body.app).toMatchObject({ version: 1, name: "Renamed" });
    const changed = await admin.call<{ app: { version: number } }>("PUT", `/api/apps/${id}`, { nodes: [{ id: "x", title: "X", formula: "1" }] });
    expect(changed.body.app.version).toBe(2);
    expect(await db().appVersion.count({ where: { appId: id } })).toBe(2);
    expect((await admin.call("POST", "/api/apps", { name: "bad", nodes: [{ id: "a", formula: "1" }, { id: "a", formula: "2" }] })).status).toBe(400);
    expect((await admin.call("POST", "/api/apps", { name: "bad", nodes: [{ id: "1a", formula: "1" }] })).status).toBe(400);
    expect((await admin.call("POST", "/api/apps", { name: "bad", nodes: [] })).status).toBe(400);
    expect((await admin.call("POST", "/api/apps", { name: "bad", nodes: [{ id: "a", formula: "x".repeat(10_001) }] })).status).toBe(400);
    const foreignGroup = await db().group.create({ data: { tenantId: other.id, name: "theirs" } });
    expect((await admin.call("PUT", `/api/apps/${id}/shares`, { groupIds: [foreignGroup.id] })).status).toBe(400);
    expect((await admin.call<{ app: { shares: { id: string }[] } }>("PUT", `/api/apps/${id}/shares`, { groupIds: [group] })).body.app.shares).toEqual([{ id: group, name: "Analysts" }]);
    const actions = (await db().auditEvent.findMany({ where: { tenantId: t.id, targetId: id } })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(["app.created", "app.updated", "app.shared"]));

    // An editor edits apps but nothing else; a member sees only shared apps and cannot edit.
    const editor = await makeUser(t, "editor");
    const ed = await signedIn(t, editor.email);
    expect((await ed.call("POST", "/api/apps", { name: "By editor", nodes: [{ id: "a", formula: "1" }] })).status).toBe(201);
    expect((await ed.get("/api/users")).status).toBe(403);
    expect((await ed.get("/api/engines")).status).toBe(403);
    const m = await member();
    const list = await m.c.get<{ apps: { id: string; canEdit: boolean }[] }>("/api/apps");
    expect(list.body.apps.map((a) => a.id)).toEqual([id]);
    expect(list.body.apps[0]!.canEdit).toBe(false);
    expect((await m.c.call("PUT", `/api/apps/${id}`, { name: "mine" })).status).toBe(403);
  });
});

describe("engines and the proxy", () => {
  it("streams progress then ready, and the proxied socket speaks the engine protocol", async () => {
    const appId = await sharedApp();
    const m = await member();
    const started = Date.now();
    const r = await startEngine(m.c, appId);
    timings.coldStart = Date.now() - started;
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/event-stream/);
    const stages = r.events.filter((e) => e.event === "progress").map((e) => e.data.stage);
    expect(stages).toEqual(expect.arrayContaining(["queued", "starting", "ready"]));
    const progress = r.events.filter((e) => e.event === "progress").map((e) => Number(e.data.progress));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    const readyEv = r.events.at(-1)!;
    expect(readyEv.event).toBe("ready");
    expect(readyEv.data.wsUrl).toBe(`/ws/apps/${appId}`);
    expect(r.text).not.toMatch(/secret|127\.0\.0\.1|\/work\//i);
    const row = await db().engine.findUniqueOrThrow({ where: { id: String(readyEv.data.engineId) } });
    expect(row).toMatchObject({ status: "running", userId: m.id, appId, tenantId: t.id });
    expect(row.secretEnc).toMatch(/^v1\./);

    const s = await openSocket(m.c, appId);
    const hello = await ready(s);
    expect(hello).toMatchObject({ protocolVersion: 1, appLoaded: true });
    const ev = await s.request({ type: "evaluate", id: "1", nodeId: "forecast" });
    expect(ev).toMatchObject({ type: "result", kind: "array", value: [110, 132, 154] });
    const set = await s.request({ type: "set_node", id: "2", node: { id: "growth", formula: "0.2" } });
    expect(set).toMatchObject({ type: "result", invalidated: ["growth", "forecast", "total"] });
    expect(await s.request({ type: "evaluate", id: "3", nodeId: "total" })).toMatchObject({ value: 432 });

    // Idempotent: a second start answers ready at once with the same engine.
    const again = await startEngine(m.c, appId);
    expect(again.events.at(-1)).toMatchObject({ event: "ready", data: { engineId: row.id } });
    // The user stops it: the socket gets 4404.
    expect((await m.c.call("DELETE", `/api/apps/${appId}/engine`)).status).toBe(200);
    expect((await s.closed).code).toBe(4404);
    expect((await db().engine.findUniqueOrThrow({ where: { id: row.id } })).status).toBe("stopped");
  });

  it("two concurrent starts by the same user (two tabs) get one engine", async () => {
    const appId = await sharedApp();
    const m = await member();
    const [a, b] = await Promise.all([startEngine(m.c, appId), startEngine(m.c, appId)]);
    const ids = [a, b].map((r) => r.events.find((e) => e.event === "ready")?.data.engineId);
    expect(ids[0]).toBeTruthy();
    expect(ids[0]).toBe(ids[1]);
    expect(await db().engine.count({ where: { appId, userId: m.id } })).toBe(1);
    const [s1, s2] = await Promise.all([openSocket(m.c, appId), openSocket(m.c, appId)]);
    await Promise.all([ready(s1), ready(s2)]);
    await s1.request({ type: "set_node", id: "a", node: { id: "growth", formula: "0.5" } });
    await s2.next((msg) => msg.type === "invalidated");
    s1.ws.close();
    s2.ws.close();
    await m.c.call("DELETE", `/api/apps/${appId}/engine`);
  });

  it("refuses the upgrade: wrong Origin 403, no session 401, no share 404, no engine 409, other tenant 404", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m.c, appId);
    expect(await upgradeStatus(m.c, appId, { origin: "http://evil.example" })).toBe(403);
    expect(await upgradeStatus(m.c, appId, { origin: "" })).toBe(403);
    expect(await upgradeStatus(null, appId)).toBe(401);
    const outsider = await member(false);
    expect((await outsider.c.get(`/api/apps/${appId}`)).status).toBe(404);
    expect((await startEngine(outsider.c, appId)).status).toBe(404);
    expect(await upgradeStatus(outsider.c, appId)).toBe(404);
    // Another user who may open the app never reaches the first user's engine: the target is their own record.
    const colleague = await member();
    expect(await upgradeStatus(colleague.c, appId)).toBe(409);
    // Another tenant's admin.
    const foreign = await signedIn(other, other.owner.email);
    expect((await foreign.get(`/api/apps/${appId}`)).status).toBe(404);
    expect((await startEngine(foreign, appId)).status).toBe(404);
    expect(await upgradeStatus(foreign, appId)).toBe(404);
    expect((await foreign.call("DELETE", `/api/engines/${(await db().engine.findFirstOrThrow({ where: { appId } })).id}`)).status).toBe(404);
    await m.c.call("DELETE", `/api/apps/${appId}/engine`);
  });

  it("sign-out closes the socket with 4401 and the engine process is gone within 1 s", async () => {
    const appId = await sharedApp();
    const m = await member();
    const engineId = await startReady(m.c, appId);
    const pid = (await enginePid(engineId))!;
    expect(processAlive(pid, engineId)).toBe(true);
    const s = await openSocket(m.c, appId);
    await ready(s);
    const t0 = Date.now();
    await m.c.signOut();
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    timings.signOutToSocketClosed = closed.at - t0;
    await waitFor(() => !processAlive(pid, engineId), 1000);
    timings.signOutToEngineGone = Date.now() - t0;
    expect(timings.signOutToSocketClosed).toBeLessThan(1000);
    expect(timings.signOutToEngineGone).toBeLessThan(1000);
    await waitFor(async () => (await db().engine.findUniqueOrThrow({ where: { id: engineId } })).status === "stopped", 3000);
  });

  it("an engine killed with SIGKILL: socket closed 4500, record failed, and a new start works", async () => {
    const appId = await sharedApp();
    const m = await member();
    const engineId = await startReady(m.c, appId);
    const s = await openSocket(m.c, appId);
    await ready(s);
    process.kill((await enginePid(engineId))!, "SIGKILL");
    expect((await s.closed).code).toBe(4500);
    await waitFor(async () => (await db().engine.findUniqueOrThrow({ where: { id: engineId } })).status === "failed", 3000);
    const second = await startReady(m.c, appId);
    expect(second).not.toBe(engineId);
    const s2 = await openSocket(m.c, appId);
    expect(await ready(s2)).toMatchObject({ appLoaded: true });
    s2.ws.close();
    await m.c.call("DELETE", `/api/apps/${appId}/engine`);
  });

  it("refuses a start over the per-user limit with 429", async () => {
    const m = await member();
    const limit = config().ENGINES_PER_USER;
    const apps = await Promise.all(Array.from({ length: limit + 1 }, () => sharedApp()));
    await Promise.all(apps.slice(0, limit).map((a) => startReady(m.c, a)));
    const over = await startEngine(m.c, apps[limit]!);
    expect(over.status).toBe(429);
    expect(over.text).toMatch(/limit is 5/);
    for (const a of apps.slice(0, limit)) await m.c.call("DELETE", `/api/apps/${a}/engine`);
  }, 60_000);

  it("admins list engines with stats and stop one (socket 4404); members may not", async () => {
    const appId = await sharedApp();
    const m = await member();
    const engineId = await startReady(m.c, appId);
    const s = await openSocket(m.c, appId);
    await ready(s);
    expect((await m.c.get("/api/engines")).status).toBe(403);
    const list = await admin.get<{ engines: { id: string; user: { id: string }; app: { id: string }; status: string; cpuPercent: number | null; memoryBytes: number | null; ageSeconds: number }[] }>("/api/engines");
    expect(list.status).toBe(200);
    const mine = list.body.engines.find((e) => e.id === engineId)!;
    expect(mine).toMatchObject({ user: { id: m.id }, app: { id: appId }, status: "running" });
    expect(typeof mine.cpuPercent).toBe("number");
    expect(mine.memoryBytes).toBeGreaterThan(1_000_000);
    expect(list.text).not.toMatch(/secret/i);
    expect((await admin.call("DELETE", `/api/engines/${engineId}`)).status).toBe(200);
    expect((await s.closed).code).toBe(4404);
    expect((await admin.call("DELETE", `/api/engines/${engineId}`)).status).toBe(404);
  });

  it("withdrawing the share closes the member's socket with 4403", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m.c, appId);
    const s = await openSocket(m.c, appId);
    await ready(s);
    expect((await admin.call("PUT", `/api/apps/${appId}/shares`, { groupIds: [] })).status).toBe(200);
    expect((await s.closed).code).toBe(4403);
    await admin.call("DELETE", `/api/engines/${(await db().engine.findFirstOrThrow({ where: { appId, status: "running" } })).id}`);
  });
});

describe("access withdrawn through the user", () => {
  it("taking the member out of the sharing group closes their socket with 4403 and refuses the next upgrade", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m.c, appId);
    const s = await openSocket(m.c, appId);
    await ready(s);
    const res = await admin.call("PATCH", `/api/users/${m.id}`, { groupIds: [] });
    expect(res.status, res.text).toBe(200);
    expect((await s.closed).code).toBe(4403);
    expect(await upgradeStatus(m.c, appId)).toBe(404); // as for any app the user cannot open
    await admin.call("DELETE", `/api/engines/${(await db().engine.findFirstOrThrow({ where: { appId, status: "running" } })).id}`);
  });

  it("deleting the sharing group closes its members' sockets with 4403; an admin demoted to member loses apps shared with nobody", async () => {
    const g = await admin.call<{ group: { id: string } }>("POST", "/api/groups", { name: `Temporary ${Date.now()}`, cpuMillis: 500, memoryMiB: 256 });
    expect(g.status, g.text).toBe(201);
    const appId = await makeApp(admin);
    expect((await admin.call("PUT", `/api/apps/${appId}/shares`, { groupIds: [g.body.group.id] })).status).toBe(200);
    const m = await member(false);
    await db().groupMember.create({ data: { tenantId: t.id, groupId: g.body.group.id, userId: m.id } });
    await startReady(m.c, appId);
    const s = await openSocket(m.c, appId);
    await ready(s);
    expect((await admin.call("DELETE", `/api/groups/${g.body.group.id}`)).status).toBe(200);
    expect((await s.closed).code).toBe(4403);

    const unshared = await makeApp(admin);
    const a = await makeUser(t, "admin");
    const ac = await signedIn(t, a.email);
    await startReady(ac, unshared);
    const as = await openSocket(ac, unshared);
    await ready(as);
    expect((await admin.call("PATCH", `/api/users/${a.id}`, { role: "member" })).status).toBe(200);
    expect((await as.closed).code).toBe(4403);
    for (const e of await db().engine.findMany({ where: { appId: { in: [appId, unshared] }, status: "running" } })) await admin.call("DELETE", `/api/engines/${e.id}`);
  });
});

describe("across replicas", () => {
  let replica: Awaited<ReturnType<typeof startSecondReplica>>;
  beforeAll(async () => {
    replica = await startSecondReplica();
  }, 90_000);
  afterAll(async () => {
    await replica?.stop();
  });

  it("an admin's revocation on the second replica closes the socket held by the first within 1 s", async () => {
    const appId = await sharedApp();
    const m = await member();
    const engineId = await startReady(m.c, appId);
    const pid = (await enginePid(engineId))!;
    const s = await openSocket(m.c, appId);
    await ready(s);
    const me = await m.c.get<{ session: { id: string } }>("/api/me");
    const admin2 = admin.via(replica.url);
    const t0 = Date.now();
    expect((await admin2.call("DELETE", `/api/sessions/${me.body.session.id}`)).status).toBe(200);
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    timings.revokeOnReplica2ToSocketClosed = closed.at - t0;
    expect(timings.revokeOnReplica2ToSocketClosed).toBeLessThan(1000);
    await waitFor(() => !processAlive(pid, engineId), 2000);
    timings.revokeOnReplica2ToEngineGone = Date.now() - t0;
  });

  it("a socket on the second replica reaches the engine started through the first", async () => {
    const appId = await sharedApp();
    const m = await member();
    await startReady(m.c, appId);
    const s = await openSocket(m.c.via(replica.url), appId);
    expect(await ready(s)).toMatchObject({ appLoaded: true });
    expect(await s.request({ type: "evaluate", id: "x", nodeId: "total" })).toMatchObject({ value: 396 });
    s.ws.close();
    await m.c.call("DELETE", `/api/apps/${appId}/engine`);
  });
});

describe("idle timeout", () => {
  let idleTenant: TestTenant;
  let idleAdmin: AtriumClient;
  beforeAll(async () => {
    idleTenant = await makeTenant("wsidle");
    idleAdmin = await signedIn(idleTenant, idleTenant.owner.email);
    expect((await idleAdmin.call("PUT", "/api/policies/session", { maxSessionSeconds: 30, idleTimeoutSeconds: 3 })).status).toBe(200);
  });

  async function idleSetup() {
    const admin2 = await signedIn(idleTenant, idleTenant.owner.email);
    const appId = await makeApp(admin2);
    const engineId = await startReady(admin2, appId);
    const s = await openSocket(admin2, appId);
    await ready(s);
    return { admin2, appId, engineId, s };
  }

  it("ends an idle workspace on time without any request (socket 4401, engine stopped)", async () => {
    const { engineId, s } = await idleSetup();
    const pid = (await enginePid(engineId))!;
    const opened = Date.now();
    const closed = await s.closed;
    expect(closed.code).toBe(4401);
    timings.idleEnd = closed.at - opened;
    expect(closed.at - opened).toBeGreaterThan(1500);
    expect(closed.at - opened).toBeLessThan(5500);
    await waitFor(() => !processAlive(pid, engineId), 2000);
  });

  it("user messages on the socket keep the session alive past the idle timeout", async () => {
    const { admin2, appId, s } = await idleSetup();
    for (let i = 0; i < 12; i++) {
      await sleep(500);
      expect((await s.request({ type: "ping", id: `p${i}` })).type).toBe("pong");
    }
    expect(s.ws.readyState).toBe(s.ws.OPEN);
    expect((await admin2.get("/api/me")).status).toBe(200);
    s.ws.close();
    await admin2.call("DELETE", `/api/apps/${appId}/engine`);
  });
});
