/**
 * Orchestrator contract suite. Every driver (process now, docker/kubernetes later) runs it:
 *
 *   runOrchestratorContract("process", { makeDriver, killHard, engineProcesses });
 *
 * makeDriver() must return a NEW driver instance for the SAME installation each time (that is
 * how "the portal restarted" is simulated). Needs no database, Redis or portal.
 */
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import type { EngineSpec, EngineState, Orchestrator, ProgressEvent } from "@/lib/orchestrator/types";
import { EngineTestClient, tryUpgrade } from "../../unit/engine/support/engine-client";

export interface ContractHooks {
  /** A fresh driver instance for the shared installation. */
  makeDriver: () => Orchestrator;
  /** Kill the engine behind `state` abruptly (kill -9 / docker kill). */
  killHard: (state: EngineState) => Promise<void>;
  /** Descriptions of every engine process/container of this installation still running. */
  engineProcesses: () => Promise<string[]>;
  /** Extra spec fields (image for container drivers). */
  specDefaults?: Partial<EngineSpec>;
}

const STAGES = ["queued", "creating", "starting", "waiting_ready", "ready"];

export function newSpec(overrides: Partial<EngineSpec> = {}): EngineSpec {
  return {
    engineId: `e-${randomBytes(6).toString("hex")}`,
    tenantId: "tenant-a",
    userId: "user-1",
    appId: "app-1",
    cpuMillis: 500,
    memoryMiB: 256,
    secret: randomBytes(24).toString("hex"),
    idleSeconds: 600,
    ...overrides,
  };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const end = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 100));
    v = await fn();
  }
  return v;
}

export function runOrchestratorContract(name: string, hooks: ContractHooks): void {
  describe(`orchestrator contract: ${name}`, () => {
    const driver = hooks.makeDriver();
    const spec = (o: Partial<EngineSpec> = {}) => newSpec({ ...hooks.specDefaults, ...o });

    afterAll(async () => {
      const d = hooks.makeDriver();
      for (const e of await d.list()) await d.stop(e.state);
      expect(await d.list()).toEqual([]);
      expect(await hooks.engineProcesses()).toEqual([]);
    }, 60_000);

    it("start reports progress in order and resolves with an endpoint and a JSON state", async () => {
      const s = spec();
      const events: ProgressEvent[] = [];
      const r = await driver.start(s, (e) => events.push(e));
      try {
        expect(r.endpoint.port).toBeGreaterThan(0);
        expect(typeof r.endpoint.host).toBe("string");
        expect(JSON.parse(JSON.stringify(r.state))).toEqual(r.state);
        expect(JSON.stringify(r.state)).not.toContain(s.secret);
        const stages = events.map((e) => e.stage);
        expect(stages[0]).toBe("queued");
        expect(stages.at(-1)).toBe("ready");
        const idx = stages.map((st) => STAGES.indexOf(st));
        expect(idx.every((i) => i >= 0)).toBe(true);
        expect([...idx].sort((a, b) => a - b)).toEqual(idx);
        const progress = events.map((e) => e.progress);
        expect([...progress].sort((a, b) => a - b)).toEqual(progress);
        expect(progress.at(-1)).toBe(100);
        for (const e of events) expect(e.message.length).toBeGreaterThan(0);
        expect(await driver.poll(r.state)).toEqual({ status: "running" });
      } finally {
        await driver.stop(r.state);
      }
    });

    it("start is idempotent: concurrent starts share one engine; a later start returns it", async () => {
      const s = spec();
      const [a, b] = await Promise.all([driver.start(s), driver.start(s)]);
      try {
        expect(b.endpoint).toEqual(a.endpoint);
        expect(b.state).toEqual(a.state);
        const later: ProgressEvent[] = [];
        const c = await driver.start(s, (e) => later.push(e));
        expect(c.endpoint).toEqual(a.endpoint);
        expect(c.state).toEqual(a.state);
        expect(later.at(-1)?.stage).toBe("ready");
        const mine = (await driver.list()).filter((e) => e.engineId === s.engineId);
        expect(mine).toHaveLength(1);
        const procs = (await hooks.engineProcesses()).filter((p) => p.includes(s.engineId));
        expect(procs).toHaveLength(1);
      } finally {
        await driver.stop(a.state);
      }
    });

    it("the engine speaks the protocol to a client with the right secret", async () => {
      const s = spec();
      const { endpoint, state } = await driver.start(s);
      try {
        const c = await EngineTestClient.connect(endpoint.host, endpoint.port, { secret: s.secret });
        expect(c.hello).toMatchObject({ type: "hello", protocolVersion: 1 });
        expect(
          await c.request({
            type: "load_app",
            nodes: [
              { id: "sales", formula: "[100, 200]" },
              { id: "growth", formula: "0.5" },
              { id: "forecast", formula: "sales.map(s => s * (1 + growth))" },
            ],
          }),
        ).toMatchObject({ type: "result", nodeCount: 3 });
        expect(await c.request({ type: "evaluate", nodeId: "forecast" })).toMatchObject({ kind: "array", value: [150, 300] });
        expect(await c.request({ type: "set_node", node: { id: "growth", formula: "1" } })).toMatchObject({ invalidated: ["growth", "forecast"] });
        expect(await c.request({ type: "evaluate", nodeId: "forecast" })).toMatchObject({ value: [200, 400], cached: false });
        expect(await c.request({ type: "get_stats" })).toMatchObject({ op: "get_stats" });
        await c.close();
      } finally {
        await driver.stop(state);
      }
    });

    it("a wrong or missing secret is refused with 401 before any WebSocket exists", async () => {
      const s = spec();
      const { endpoint, state } = await driver.start(s);
      try {
        expect((await tryUpgrade(endpoint.host, endpoint.port, {})).status).toBe(401);
        expect((await tryUpgrade(endpoint.host, endpoint.port, { secret: randomBytes(24).toString("hex") })).status).toBe(401);
        expect((await tryUpgrade(endpoint.host, endpoint.port, { secret: randomBytes(24).toString("hex"), via: "subprotocol" })).status).toBe(401);
        expect((await tryUpgrade(endpoint.host, endpoint.port, { secret: s.secret, via: "subprotocol" })).status).toBe("open");
      } finally {
        await driver.stop(state);
      }
    });

    it("stop is idempotent and closes the port", async () => {
      const s = spec();
      const { endpoint, state } = await driver.start(s);
      await driver.stop(state);
      await driver.stop(state);
      expect((await tryUpgrade(endpoint.host, endpoint.port, { secret: s.secret })).status).toBe("error");
      expect((await driver.poll(state)).status).toBe("stopped");
      expect((await driver.list()).some((e) => e.engineId === s.engineId)).toBe(false);
      expect((await hooks.engineProcesses()).some((p) => p.includes(s.engineId))).toBe(false);
    });

    it("poll after a hard kill says failed (or stopped) with a reason", async () => {
      const s = spec();
      const { state } = await driver.start(s);
      await hooks.killHard(state);
      const r = await eventually(() => driver.poll(state), (p) => p.status !== "running", 10_000);
      expect(["failed", "stopped"]).toContain(r.status);
      expect(r.status !== "running" && r.reason).toMatch(/\w/);
      // A fresh instance (portal restarted) also sees it is not running.
      const fresh = await hooks.makeDriver().poll(state);
      expect(fresh.status).not.toBe("running");
      await driver.stop(state);
      expect((await driver.list()).some((e) => e.engineId === s.engineId)).toBe(false);
    });

    it("a fresh driver instance lists, polls and stops engines started by an old one", async () => {
      const s1 = spec({ tenantId: "tenant-a", userId: "u1", appId: "app-x" });
      const s2 = spec({ tenantId: "tenant-b", userId: "u2", appId: "app-y" });
      const r1 = await driver.start(s1);
      const r2 = await driver.start(s2);
      const fresh = hooks.makeDriver();
      const listed = await fresh.list();
      const e1 = listed.find((e) => e.engineId === s1.engineId);
      const e2 = listed.find((e) => e.engineId === s2.engineId);
      expect(e1?.labels).toMatchObject({ "atrium.tenant": "tenant-a", "atrium.user": "u1", "atrium.app": "app-x", "atrium.engine-id": s1.engineId });
      expect(e2?.labels).toMatchObject({ "atrium.tenant": "tenant-b" });
      expect(e1?.state).toEqual(r1.state);
      expect(await fresh.poll(e1!.state)).toEqual({ status: "running" });
      // Re-attach: start on the fresh instance returns the running engine.
      const again = await fresh.start(s1);
      expect(again.endpoint).toEqual(r1.endpoint);
      const c = await EngineTestClient.connect(again.endpoint.host, again.endpoint.port, { secret: s1.secret });
      expect(await c.request({ type: "ping" })).toMatchObject({ type: "pong" });
      await c.close();
      await fresh.stop(e1!.state);
      await fresh.stop(r2.state);
      expect((await driver.list()).filter((e) => [s1.engineId, s2.engineId].includes(e.engineId))).toEqual([]);
    });

    it("an engine exits by itself after its idle period", async () => {
      const s = spec({ idleSeconds: 2 });
      const { state } = await driver.start(s);
      const r = await eventually(() => driver.poll(state), (p) => p.status !== "running", 15_000);
      expect(r.status).toBe("stopped");
      expect(r.status === "stopped" && r.reason).toMatch(/idle/);
      expect((await hooks.engineProcesses()).some((p) => p.includes(s.engineId))).toBe(false);
      await driver.stop(state);
    }, 30_000);
  });
}
