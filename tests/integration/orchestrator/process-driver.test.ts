import { readdirSync, readFileSync } from "node:fs";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildEngine } from "@/engine/build";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import { StartError, type EngineState, type ProgressEvent } from "@/lib/orchestrator/types";
import { runOrchestratorContract, newSpec } from "./contract";
import { EngineTestClient } from "../../unit/engine/support/engine-client";

const installationId = `test-${randomBytes(4).toString("hex")}`;
const stateDir = path.join(os.tmpdir(), `atrium-engines-${installationId}`);
const projectRoot = path.resolve(import.meta.dirname, "../../..");
// The bundle is built into a temp dir (not engine/dist) so test runs leave the tree untouched.
const bundleDir = path.join(os.tmpdir(), `atrium-engine-bundle-${installationId}`);
const engineEntry = path.join(bundleDir, "engine.mjs");

/** Every live process carrying this installation's marker argument (Linux /proc scan). */
async function engineProcesses(): Promise<string[]> {
  const out: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.includes(`--atrium-installation=${installationId}`)) out.push(`${entry} ${argv.join(" ")}`);
    } catch {
      // process vanished
    }
  }
  return out;
}

const makeDriver = () => new ProcessDriver({ installationId, stateDir, projectRoot, engineEntry, startTimeoutMs: 20_000, stopGraceMs: 3_000 });

beforeAll(async () => {
  await buildEngine(engineEntry);
}, 60_000);

afterAll(async () => {
  try {
    // Belt and braces: stop anything a failed test left behind, then assert nothing runs.
    const d = makeDriver();
    for (const e of await d.list()) await d.stop(e.state);
    expect(await engineProcesses()).toEqual([]);
  } finally {
    await fs.rm(stateDir, { recursive: true, force: true });
    await fs.rm(bundleDir, { recursive: true, force: true });
  }
}, 60_000);

runOrchestratorContract("process", {
  makeDriver,
  killHard: async (state: EngineState) => {
    process.kill(state.pid as number, "SIGKILL");
  },
  engineProcesses,
});

describe("process driver specifics", () => {
  it("fails a start that never becomes ready, with a clear error, and kills the child", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "atrium-hang-"));
    const entry = path.join(dir, "hang.mjs");
    await fs.writeFile(entry, "setInterval(() => {}, 1000);\n");
    const d = new ProcessDriver({ installationId, stateDir, projectRoot, engineEntry: entry, startTimeoutMs: 800 });
    const spec = newSpec();
    const events: ProgressEvent[] = [];
    const err = await d.start(spec, (e) => events.push(e)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe("timeout");
    expect((err as Error).message).toMatch(/did not become ready within 800 ms/);
    expect(events.at(-1)?.stage).toBe("failed");
    const t = Date.now();
    while ((await engineProcesses()).some((p) => p.includes(spec.engineId)) && Date.now() - t < 3000) await new Promise((r) => setTimeout(r, 50));
    expect((await engineProcesses()).some((p) => p.includes(spec.engineId))).toBe(false);
    expect((await d.list()).some((e) => e.engineId === spec.engineId)).toBe(false);
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("reports an engine that exits during start (bad configuration) with its own message", async () => {
    const d = new ProcessDriver({ installationId, stateDir, projectRoot, engineEntry, engineEnv: { ENGINE_EVAL_TIMEOUT_MS: "nope" } });
    const err = await d.start(newSpec()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe("exited");
    expect((err as Error).message).toMatch(/exited with code 2 before becoming ready: invalid engine configuration: ENGINE_EVAL_TIMEOUT_MS/);
  });

  it("rejects invalid specs", async () => {
    const err = await makeDriver().start(newSpec({ engineId: "../etc/passwd" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe("invalid_spec");
  });

  it("poll reports the exit of its own child precisely", async () => {
    const d = makeDriver();
    const { state } = await d.start(newSpec());
    try {
      process.kill(state.pid as number, "SIGKILL");
      let r = await d.poll(state);
      for (let i = 0; i < 50 && r.status === "running"; i++) {
        await new Promise((res) => setTimeout(res, 50));
        r = await d.poll(state);
      }
      expect(r).toEqual({ status: "failed", reason: "killed by signal SIGKILL (exit code 137)" });
    } finally {
      await d.stop(state);
    }
  });

  it("applies the memory limit as a V8 heap cap and passes no portal environment", async () => {
    process.env.ATRIUM_TEST_LEAK = "should-not-reach-the-engine";
    const d = makeDriver();
    const spec = newSpec({ memoryMiB: 96 });
    const { state } = await d.start(spec);
    try {
      const argv = readFileSync(`/proc/${state.pid as number}/cmdline`, "utf8").split("\0");
      expect(argv).toContain("--max-old-space-size=96");
      const environ = readFileSync(`/proc/${state.pid as number}/environ`, "utf8").split("\0");
      expect(environ.some((e) => e.startsWith("ATRIUM_TEST_LEAK="))).toBe(false);
      expect(environ.some((e) => e.startsWith("ENGINE_SECRET="))).toBe(true); // how it is handed over
      const stateFile = readFileSync(path.join(stateDir, `${spec.engineId}.json`), "utf8");
      expect(stateFile).not.toContain(spec.secret);
    } finally {
      delete process.env.ATRIUM_TEST_LEAK;
      await d.stop(state);
    }
  });

  it("stray promise rejections in formulas do not kill the engine; heap exhaustion is reported as failed", async () => {
    const d = makeDriver();
    const spec = newSpec({ memoryMiB: 64 });
    const { endpoint, state } = await d.start(spec);
    try {
      const c = await EngineTestClient.connect(endpoint.host, endpoint.port, { secret: spec.secret });
      await c.request({
        type: "load_app",
        nodes: [
          { id: "stray", formula: "(Promise.reject(new Error('x')), 2)" },
          { id: "hog", formula: "(() => { const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length }) })()" },
        ],
      });
      expect(await c.request({ type: "evaluate", nodeId: "stray" })).toMatchObject({ value: 2 });
      await new Promise((r) => setTimeout(r, 100));
      expect(await c.request({ type: "ping" })).toMatchObject({ type: "pong" });
      expect(await d.poll(state)).toEqual({ status: "running" });
      // The documented limitation: V8 aborts the process when the heap cap is reached.
      c.sendRaw(JSON.stringify({ type: "evaluate", id: "hog", nodeId: "hog" }));
      let r = await d.poll(state);
      for (let i = 0; i < 100 && r.status === "running"; i++) {
        await new Promise((res) => setTimeout(res, 50));
        r = await d.poll(state);
      }
      if (r.status !== "running") {
        expect(r.status).toBe("failed");
      } else {
        // The time budget won the race against the heap cap: the engine must still answer.
        expect(c.received.find((m) => m.id === "hog")).toMatchObject({ code: "timeout" });
      }
    } finally {
      await d.stop(state);
    }
  });

  it("runs engine/server.ts through tsx when no bundle is used", async () => {
    const d = new ProcessDriver({ installationId, stateDir, projectRoot, engineEntry: path.join(projectRoot, "engine", "server.ts") });
    const spec = newSpec();
    const { endpoint, state } = await d.start(spec);
    try {
      const c = await EngineTestClient.connect(endpoint.host, endpoint.port, { secret: spec.secret });
      expect(c.hello.type).toBe("hello");
      await c.close();
    } finally {
      await d.stop(state);
    }
  });
});
