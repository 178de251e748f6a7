import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../../support/atrium-client";
import { makeTenant, signedIn, type TestTenant } from "../../support/fixtures";
import { startPortal, type Portal } from "../../support/second-replica";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { config } from "@/lib/config";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import { LABELS } from "@/lib/orchestrator/types";
import { installationId, processStateDir } from "@/lib/workspace/drivers";
import { enginePid, makeApp, openSocket, processAlive, startEngine, startReady, waitFor } from "./support";

/**
 * Portal restart, live: a portal process of this test's own (process driver, the suite's
 * installation) holds a workspace whose engine has state of its own (a changed definition);
 * the portal is stopped gracefully, then killed with SIGKILL, and started again each time.
 * The workspace reconnects to the SAME engine (same id, same pid) with its state, and an
 * orphan engine (running, no record) is removed by the restarted portal's start-up.
 */
let portal: Portal | null = null;
let t: TestTenant;
let admin: AtriumClient;
const PORT_OFFSET = 300;
const c = config();
const driver = new ProcessDriver({ installationId: installationId(c), stateDir: processStateDir(c) });

const restart = async () => {
  const t0 = Date.now();
  portal = await startPortal({ portOffset: PORT_OFFSET });
  return Date.now() - t0;
};

beforeAll(async () => {
  t = await makeTenant("restart");
  admin = await signedIn(t, t.owner.email);
  await restart();
});

afterAll(async () => {
  await portal?.stop();
  // A failure half-way must not leave this test's engines (or its orphan) running.
  if (t) {
    for (const l of await driver.list()) if (l.labels[LABELS.tenant] === t.id) await driver.stop(l.state);
    await db().engine.updateMany({ where: { tenantId: t.id, status: { in: ["starting", "running"] } }, data: { status: "stopped" } });
  }
  await closeDb();
  await closeRedis();
}, 30_000);

describe("portal restart", () => {
  it("the workspace reconnects to the same engine with its state after a graceful stop and after kill -9; orphans are removed", async () => {
    const appId = await makeApp(admin);
    const user = admin.via(portal!.url);
    const engineId = await startReady(user, appId);
    const pid = (await enginePid(engineId))!;
    expect(processAlive(pid, engineId)).toBe(true);

    // State that only the engine holds: a definition changed over the socket (not saved to the app).
    const s1 = await openSocket(user, appId);
    await s1.next((m) => m.type === "hello");
    expect(await s1.request({ type: "set_node", id: "s", node: { id: "growth", formula: "0.2" } })).toMatchObject({ type: "result" });
    expect(await s1.request({ type: "evaluate", id: "e1", nodeId: "total" })).toMatchObject({ value: 432 });

    // 1. Graceful stop: the socket is told to reconnect (1001); the engine keeps running.
    await portal!.stop();
    expect((await s1.closed).code).toBe(1001);
    expect(processAlive(pid, engineId)).toBe(true);
    const gracefulRestartMs = await restart();

    const s2 = await openSocket(user, appId);
    expect(await s2.next((m) => m.type === "hello")).toMatchObject({ appLoaded: true });
    expect(await s2.request({ type: "evaluate", id: "e2", nodeId: "total" })).toMatchObject({ value: 432 });
    expect((await startEngine(user, appId)).events.at(-1)).toMatchObject({ event: "ready", data: { engineId } });

    // 2. A crash (kill -9) while the socket is open, and an orphan: an engine of this
    //    installation that no record knows (e.g. started by a portal that died before writing it).
    const orphan = await driver.start({ engineId: `orphan-${randomBytes(6).toString("hex")}`, tenantId: t.id, userId: t.owner.id, appId, cpuMillis: 500, memoryMiB: 128, secret: randomBytes(24).toString("hex"), idleSeconds: 600 });
    const orphanPid = orphan.state.pid as number;
    expect(processAlive(orphanPid, String(orphan.state.engineId))).toBe(true);
    await portal!.kill();
    expect((await s2.closed).code).toBe(1006); // no close frame from a killed process
    expect(processAlive(pid, engineId)).toBe(true);
    const crashRestartMs = await restart();

    // The restarted portal re-attached the engine and removed the orphan during its start-up.
    await waitFor(() => !processAlive(orphanPid, String(orphan.state.engineId)), 3000);
    expect((await driver.list()).map((l) => l.engineId)).not.toContain(orphan.state.engineId);
    const s3 = await openSocket(user, appId);
    expect(await s3.next((m) => m.type === "hello")).toMatchObject({ appLoaded: true });
    expect(await s3.request({ type: "evaluate", id: "e3", nodeId: "total" })).toMatchObject({ value: 432 });
    expect(await enginePid(engineId)).toBe(pid);
    expect(processAlive(pid, engineId)).toBe(true);
    expect(await db().engine.findUniqueOrThrow({ where: { id: engineId } })).toMatchObject({ status: "running" });
    console.log(`portal restart: graceful ${gracefulRestartMs} ms, after kill -9 ${crashRestartMs} ms to healthy`);

    expect((await user.call("DELETE", `/api/apps/${appId}/engine`)).status).toBe(200);
    expect((await s3.closed).code).toBe(4404);
    await waitFor(() => !processAlive(pid, engineId), 3000);
  }, 90_000);
});
