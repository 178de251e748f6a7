/**
 * npm run bench:spawn — time from "start an engine" to "engine ready", per driver.
 *
 * For each available driver (process always; docker when its daemon and image are
 * there), starts ENGINES distinct engines one after another and reports p50/p95/max of
 * request → ready (start() resolved: ready line seen and /healthz answered), then starts
 * BURST engines at once and reports how many succeeded and the wall time.
 * Engines are stopped afterwards; nothing is left running.
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildEngine } from "@/engine/build";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import type { EngineSpec, EngineState, Orchestrator } from "@/lib/orchestrator/types";

const ENGINES = Number(process.env.BENCH_ENGINES ?? 20);
const BURST = Number(process.env.BENCH_BURST ?? 50);
const installationId = `bench-${randomBytes(4).toString("hex")}`;
const tmp = path.join(os.tmpdir(), `atrium-${installationId}`);

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
const spec = (i: number, prefix: string): EngineSpec => ({
  engineId: `${prefix}-${i}-${randomBytes(3).toString("hex")}`,
  tenantId: "bench-tenant",
  userId: `user-${i}`,
  appId: `app-${i}`,
  cpuMillis: 500,
  memoryMiB: 256,
  secret: randomBytes(24).toString("base64url"),
  idleSeconds: 300,
});

async function measure(name: string, driver: Orchestrator): Promise<string[]> {
  const lines: string[] = [];
  const started: EngineState[] = [];
  try {
    const times: number[] = [];
    for (let i = 0; i < ENGINES; i++) {
      const t0 = performance.now();
      const r = await driver.start(spec(i, "seq"), () => undefined);
      times.push(performance.now() - t0);
      started.push(r.state);
    }
    times.sort((a, b) => a - b);
    lines.push(`${name}: sequential start → ready over ${ENGINES} engines: p50 ${quantile(times, 0.5).toFixed(0)} ms, p95 ${quantile(times, 0.95).toFixed(0)} ms, max ${times.at(-1)!.toFixed(0)} ms`);
    for (const s of started.splice(0)) await driver.stop(s);

    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: BURST }, (_, i) => driver.start(spec(i, "burst"), () => undefined)));
    const wall = performance.now() - t0;
    const ok = results.filter((r): r is PromiseFulfilledResult<{ state: EngineState; endpoint: { host: string; port: number } }> => r.status === "fulfilled");
    started.push(...ok.map((r) => r.value.state));
    const failures = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason?.message ?? r));
    lines.push(`${name}: ${BURST} simultaneous starts: ${ok.length}/${BURST} ready in ${(wall / 1000).toFixed(1)} s${failures.length ? ` (first failure: ${failures[0]})` : ""}`);
  } finally {
    for (const s of started) await driver.stop(s).catch(() => undefined);
  }
  return lines;
}

const entry = path.join(tmp, "engine.mjs");
await buildEngine(entry);
const out: string[] = [`bench:spawn on ${os.cpus().length} CPUs, node ${process.version}`];
out.push(...(await measure("process", new ProcessDriver({ installationId, stateDir: path.join(tmp, "state"), engineEntry: entry, startTimeoutMs: 60_000 }))));
const dockerDriverFile = path.join(process.cwd(), "lib/orchestrator/docker-driver.ts");
try {
  if (!existsSync(dockerDriverFile)) throw new Error("no docker driver in this checkout");
  const mod = (await import(dockerDriverFile)) as Record<string, unknown>;
  const Docker = mod.DockerDriver as (new (o: Record<string, unknown>) => Orchestrator) | undefined;
  if (Docker) out.push(...(await measure("docker", new Docker({ installationId }))));
} catch (e) {
  out.push(`docker: skipped (${(e as Error).message.split("\n")[0]})`);
}
await rm(tmp, { recursive: true, force: true });
console.log(out.join("\n"));
