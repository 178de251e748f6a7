import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { makeTenant, type TestTenant } from "../../support/fixtures";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { config } from "@/lib/config";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import type { Orchestrator } from "@/lib/orchestrator/types";
import { WorkspaceService } from "@/lib/workspace/service";
import { newEngineSecret, seal } from "@/lib/security/secret-box";
import { NODES } from "./support";

/**
 * Portal restart, without restarting the suite's server: the reconcile step run directly
 * against the real database and a process driver of its own (own state dir, own driver
 * name, so the running server's sweeper leaves these records alone).
 */
let t: TestTenant;
let dir: string;
let inner: ProcessDriver;
let driver: Orchestrator;

beforeAll(async () => {
  t = await makeTenant("reconcile");
  dir = await mkdtemp(path.join(os.tmpdir(), "atrium-reconcile-"));
  inner = new ProcessDriver({ installationId: `reconcile-${process.pid}`, stateDir: dir });
  driver = { name: "process-reconcile-test", start: (s, p) => inner.start(s, p), stop: (s) => inner.stop(s), poll: (s) => inner.poll(s), list: () => inner.list() };
});

afterAll(async () => {
  for (const l of await inner.list()) await inner.stop(l.state);
  expect(await inner.list()).toEqual([]);
  await rm(dir, { recursive: true, force: true });
  await closeDb();
  await closeRedis();
}, 30_000);

describe("reconcile after a portal restart", () => {
  it("re-attaches a running engine with a record, fails a dead one, stops an orphan", async () => {
    const app = await db().app.create({ data: { tenantId: t.id, name: "R" } });
    await db().appVersion.create({ data: { tenantId: t.id, appId: app.id, version: 1, nodes: NODES } });
    const spec = (engineId: string, secret: string) => ({ engineId, tenantId: t.id, userId: t.owner.id, appId: app.id, cpuMillis: 500, memoryMiB: 128, secret, idleSeconds: 0 });

    const liveSecret = newEngineSecret();
    const live = await db().engine.create({ data: { tenantId: t.id, userId: t.owner.id, appId: app.id, driver: driver.name, status: "starting", secretEnc: seal(liveSecret) } });
    const started = await driver.start(spec(live.id, liveSecret));
    await db().engine.update({ where: { id: live.id }, data: { status: "running", state: started.state, endpointHost: started.endpoint.host, endpointPort: started.endpoint.port } });

    const orphan = await driver.start(spec("orphan" + live.id.slice(0, 20), newEngineSecret()));

    const user2 = await db().user.create({ data: { tenantId: t.id, email: `dead-${live.id.slice(0, 6)}@${t.domain}`, status: "active" } });
    const dead = await db().engine.create({
      data: { tenantId: t.id, userId: user2.id, appId: app.id, driver: driver.name, status: "running", secretEnc: seal(newEngineSecret()), state: { driver: "process", engineId: "gone0000", pid: 999_999_999, host: "127.0.0.1", port: 1, startedAt: new Date().toISOString() } },
    });

    const service = new WorkspaceService(driver, config());
    const r = await service.reconcile({ tenantId: t.id });
    service.proxy.closeAll(1001, "test over");
    expect(r.reattached).toEqual([live.id]);
    expect(r.failed).toEqual([dead.id]);
    expect(r.orphansStopped).toEqual([orphan.state.engineId]);
    expect((await db().engine.findUniqueOrThrow({ where: { id: dead.id } })).status).toBe("failed");
    expect((await db().engine.findUniqueOrThrow({ where: { id: live.id } })).status).toBe("running");
    expect((await inner.list()).map((l) => l.engineId)).toEqual([live.id]);
    expect(await inner.poll(started.state)).toEqual({ status: "running" });
    await inner.stop(started.state);
    await db().engine.update({ where: { id: live.id }, data: { status: "stopped" } });
  }, 40_000);
});
