/**
 * The docker driver against a real Docker daemon. Works from nothing: beforeAll runs
 * scripts/docker-up.sh (installs docker.io, starts dockerd, builds the engine image).
 * Needs root (or a usable Docker socket); no database, Redis or portal.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DockerClient } from "@/lib/orchestrator/docker/client";
import { DockerDriver, type DockerDriverOptions } from "@/lib/orchestrator/docker-driver";
import { checkHealth } from "@/lib/orchestrator/process-driver";
import { LABELS, StartError, type EngineState, type ProgressEvent } from "@/lib/orchestrator/types";
import { EngineTestClient } from "../../unit/engine/support/engine-client";
import { newSpec, runOrchestratorContract } from "./contract";
import { probe as probeFrom } from "./docker-probe";

const run = promisify(execFile);
const projectRoot = path.resolve(import.meta.dirname, "../../..");
const installationId = `test-${randomBytes(4).toString("hex")}`;
const installationFilter = { label: [`${LABELS.installation}=${installationId}`] };
const docker = new DockerClient();
let image = "atrium/engine:latest";

const makeDriver = (o: Partial<DockerDriverOptions> = {}) => new DockerDriver({ installationId, image, startTimeoutMs: 30_000, stopGraceSeconds: 2, ...o });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function pollUntil(d: DockerDriver, state: EngineState, timeoutMs: number) {
  const end = Date.now() + timeoutMs;
  let r = await d.poll(state);
  while (r.status === "running" && Date.now() < end) {
    await sleep(200);
    r = await d.poll(state);
  }
  return r;
}

/** Running engine containers of this installation, as "name id" (names carry the engine id). */
async function engineContainers(): Promise<string[]> {
  const list = await docker.listContainers({ label: [...installationFilter.label, `${LABELS.driver}=docker`] }, false);
  return list.map((c) => `${c.Names.join(",")} ${c.Id.slice(0, 12)}`);
}

const probe = (network: string, host: string, port: number) => probeFrom(docker, { image, installationId, network, host, port });

function ipOn(info: Awaited<ReturnType<DockerClient["inspectContainer"]>>, network: string): string {
  const ip = info?.NetworkSettings.Networks?.[network]?.IPAddress;
  if (!ip) throw new Error(`container not on ${network}`);
  return ip;
}

beforeAll(async () => {
  // From nothing: install + start Docker, build the image (skipped when it exists).
  const { stdout } = await run("bash", [path.join(projectRoot, "scripts/docker-up.sh")], { cwd: projectRoot, timeout: 590_000, maxBuffer: 16 << 20 });
  const tag = stdout.trim().split("\n").at(-1) ?? "";
  expect(tag).toMatch(/^atrium\/engine:[0-9a-f]{12}$/);
  image = tag;
}, 600_000);

afterAll(async () => {
  // Remove everything labelled with this installation (engines, probes, networks)...
  for (const c of await docker.listContainers(installationFilter)) await docker.removeContainer(c.Id);
  for (const n of await docker.listNetworks(installationFilter)) await docker.removeNetwork(n.Id);
  // ...and prove nothing is left.
  expect(await docker.listContainers(installationFilter)).toEqual([]);
  expect(await docker.listNetworks(installationFilter)).toEqual([]);
}, 120_000);

runOrchestratorContract("docker", {
  makeDriver: () => makeDriver(),
  killHard: async (state: EngineState) => {
    await docker.killContainer(state.containerId as string, "SIGKILL");
  },
  engineProcesses: engineContainers,
  get specDefaults() {
    return { image };
  },
});

describe("docker driver specifics", () => {
  it("runs the engine with the spec's limits and locked-down security settings, labelled, no published port", async () => {
    const d = makeDriver();
    const spec = newSpec({ image, cpuMillis: 750, memoryMiB: 200, tenantId: "tenant-sec", userId: "u-sec", appId: "a-sec" });
    const { endpoint, state } = await d.start(spec);
    try {
      const info = await docker.inspectContainer(state.containerId as string);
      expect(info).toBeDefined();
      const h = info!.HostConfig;
      expect(info!.Name).toBe(`/atrium-${installationId}-${spec.engineId}`);
      expect(h.NanoCpus).toBe(750_000_000);
      expect(h.Memory).toBe(200 * 1048576);
      expect(h.MemorySwap).toBe(200 * 1048576);
      expect(h.PidsLimit).toBe(256);
      expect(h.ReadonlyRootfs).toBe(true);
      expect(Object.keys(h.Tmpfs ?? {})).toEqual(["/tmp"]);
      expect(h.CapDrop).toEqual(["ALL"]);
      expect(h.CapAdd ?? []).toEqual([]);
      expect(h.SecurityOpt).toEqual(["no-new-privileges:true"]);
      expect(h.Privileged).toBe(false);
      expect(h.AutoRemove).toBe(false);
      expect(info!.Config.User).toBe("10001:10001");
      expect(info!.Config.Labels).toMatchObject({
        [LABELS.installation]: installationId,
        [LABELS.engineId]: spec.engineId,
        [LABELS.tenant]: "tenant-sec",
        [LABELS.user]: "u-sec",
        [LABELS.app]: "a-sec",
        [LABELS.driver]: "docker",
      });
      // Nothing published on the host: the portal reaches the engine on its tenant network.
      const bindings = Object.values(info!.NetworkSettings.Ports ?? {}).flatMap((b) => b ?? []);
      expect(bindings).toEqual([]);
      expect(h.PortBindings ?? {}).toEqual({});
      expect(endpoint).toEqual({ host: ipOn(info, d.networkName("tenant-sec")), port: 8080 });
      expect(await checkHealth(endpoint.host, endpoint.port)).toBe(true);
      // The tenant's own network, nothing else; internal (no route off the host).
      expect(Object.keys(info!.NetworkSettings.Networks ?? {})).toEqual([d.networkName("tenant-sec")]);
      const net = await docker.inspectNetwork(d.networkName("tenant-sec"));
      expect(net?.Driver).toBe("bridge");
      expect(net?.Internal).toBe(true);
      expect(net?.Labels).toMatchObject({ [LABELS.installation]: installationId, [LABELS.tenant]: "tenant-sec" });
      // The state never carries the secret (docker inspect's Env does: documented).
      expect(JSON.stringify(state)).not.toContain(spec.secret);
      // stats()
      const st = await d.stats(state);
      expect(st?.memoryBytes).toBeGreaterThan(1_000_000);
      expect(st?.memoryBytes).toBeLessThan(200 * 1048576);
      expect(st?.cpuPercent).toBeGreaterThanOrEqual(0);
    } finally {
      await d.stop(state);
    }
  });

  it("an engine of tenant A cannot open a connection to an engine of tenant B (same tenant can)", async () => {
    const d = makeDriver();
    const a = await d.start(newSpec({ image, tenantId: "tenant-iso-a" }));
    const b = await d.start(newSpec({ image, tenantId: "tenant-iso-b" }));
    try {
      const netA = d.networkName("tenant-iso-a");
      const netB = d.networkName("tenant-iso-b");
      expect(netA).not.toBe(netB);
      const ipA = ipOn(await docker.inspectContainer(a.state.containerId as string), netA);
      const ipB = ipOn(await docker.inspectContainer(b.state.containerId as string), netB);
      const [fromAtoB, fromBtoB, fromAtoA] = await Promise.all([probe(netA, ipB, 8080), probe(netB, ipB, 8080), probe(netA, ipA, 8080)]);
      // The control probes prove the probe works and the engine listens.
      expect(fromBtoB).toBe("connected");
      expect(fromAtoA).toBe("connected");
      expect(fromAtoB).toMatch(/^(timeout|error )/);
    } finally {
      await d.stop(a.state);
      await d.stop(b.state);
    }
  }, 60_000);

  it("a tenant network has no route off the host (a control network without 'internal' does)", async () => {
    const d = makeDriver();
    const a = await d.start(newSpec({ image, tenantId: "tenant-egress" }));
    // A control network made like the tenant networks of before, minus `internal`.
    const control = `atrium-${installationId}-control`;
    await docker.createNetwork({ Name: control, Driver: "bridge", Internal: false, Labels: { [LABELS.installation]: installationId } });
    try {
      // The host's default gateway: an address off the host, answering (or refusing) TCP.
      const route = (await readFile("/proc/net/route", "utf8")).split("\n").map((l) => l.trim().split(/\s+/)).find((f) => f[1] === "00000000");
      expect(route, "the host has a default route").toBeTruthy();
      const gw = Buffer.from(route![2]!, "hex").reverse().join(".");
      const [fromTenant, fromControl] = await Promise.all([probe(d.networkName("tenant-egress"), gw, 9), probe(control, gw, 9)]);
      console.log(`egress probe to ${gw}:9 — tenant network: ${fromTenant}; control network: ${fromControl}`);
      // Dropped on the tenant network: neither connected nor refused by the far side.
      expect(fromTenant).toMatch(/^(timeout|error (ENETUNREACH|EHOSTUNREACH))$/);
      if (!/^(connected|error ECONNREFUSED)$/.test(fromControl)) console.warn("control probe got no answer from the gateway either: only the network flag is checked");
      expect((await docker.inspectNetwork(d.networkName("tenant-egress")))?.Internal).toBe(true);
    } finally {
      await d.stop(a.state);
      await docker.removeNetwork(control);
    }
  }, 60_000);

  it("enforces the memory limit: an engine that allocates past it is OOM-killed and poll says so", async () => {
    // Heap cap well above the container limit, so the kernel (not V8) has to stop it.
    const d = makeDriver({ heapFraction: 4, engineEnv: { ENGINE_EVAL_TIMEOUT_MS: "20000" } });
    const spec = newSpec({ image, memoryMiB: 64 });
    const { endpoint, state } = await d.start(spec);
    try {
      const c = await EngineTestClient.connect(endpoint.host, endpoint.port, { secret: spec.secret });
      await c.request({ type: "load_app", nodes: [{ id: "hog", formula: "(() => { const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length }) })()" }] });
      c.sendRaw(JSON.stringify({ type: "evaluate", id: "hog", nodeId: "hog" }));
      const r = await pollUntil(d, state, 25_000);
      expect(r).toEqual({ status: "failed", reason: "exited with code 137 (OOM killed: memory limit of 64 MiB reached)" });
      const info = await docker.inspectContainer(state.containerId as string);
      expect(info?.State.OOMKilled).toBe(true);
    } finally {
      await d.stop(state);
    }
  }, 40_000);

  it("with the default heap cap, filling the heap fails inside V8 and poll reports it", async () => {
    const d = makeDriver({ engineEnv: { ENGINE_EVAL_TIMEOUT_MS: "20000" } });
    const spec = newSpec({ image, memoryMiB: 96 });
    const { endpoint, state } = await d.start(spec);
    try {
      const c = await EngineTestClient.connect(endpoint.host, endpoint.port, { secret: spec.secret });
      await c.request({ type: "load_app", nodes: [{ id: "hog", formula: "(() => { const a = []; for (;;) a.push({ n: a.length, s: 'x' + a.length }) })()" }] });
      c.sendRaw(JSON.stringify({ type: "evaluate", id: "hog", nodeId: "hog" }));
      const r = await pollUntil(d, state, 25_000);
      expect(r.status).toBe("failed");
      expect(r.status === "failed" && r.reason).toMatch(/heap out of memory|OOM killed/);
    } finally {
      await d.stop(state);
    }
  }, 40_000);

  it("docker kill → poll says failed with the signal", async () => {
    const d = makeDriver();
    const { state } = await d.start(newSpec({ image }));
    await docker.killContainer(state.containerId as string, "SIGKILL");
    const r = await pollUntil(d, state, 10_000);
    expect(r).toEqual({ status: "failed", reason: "exited with code 137 (killed by SIGKILL)" });
    await d.stop(state);
    expect(await d.poll(state)).toEqual({ status: "stopped", reason: "engine container no longer exists" });
  });

  it("a stopped leftover container is removed and recreated by start", async () => {
    const d = makeDriver();
    const spec = newSpec({ image });
    const first = await d.start(spec);
    await docker.stopContainer(first.state.containerId as string, 2); // stopped, not removed
    expect((await d.poll(first.state)).status).toBe("stopped");
    const second = await d.start(spec);
    try {
      expect(second.state.containerId).not.toBe(first.state.containerId);
      expect(await docker.inspectContainer(first.state.containerId as string)).toBeUndefined();
      expect(await d.poll(second.state)).toEqual({ status: "running" });
    } finally {
      await d.stop(second.state);
    }
  });

  it("fails a start that never becomes ready, with a clear error, and removes the container", async () => {
    const d = makeDriver({ startTimeoutMs: 1500, entrypoint: ["/usr/local/bin/node", "-e", "setInterval(() => {}, 1000)"] });
    const spec = newSpec({ image });
    const events: ProgressEvent[] = [];
    const err = await d.start(spec, (e) => events.push(e)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe("timeout");
    expect((err as Error).message).toBe(`engine ${spec.engineId} did not become ready within 1500 ms`);
    expect(events.at(-1)?.stage).toBe("failed");
    expect(await docker.inspectContainer(d.containerName(spec.engineId))).toBeUndefined();
  });

  it("reports an engine that exits during start (bad configuration) with its own message", async () => {
    const d = makeDriver({ engineEnv: { ENGINE_EVAL_TIMEOUT_MS: "nope" } });
    const spec = newSpec({ image });
    const err = await d.start(spec).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe("exited");
    expect((err as Error).message).toMatch(/exited with code 2 \(invalid engine configuration: ENGINE_EVAL_TIMEOUT_MS.*\) before becoming ready/);
    expect(await docker.inspectContainer(d.containerName(spec.engineId))).toBeUndefined();
  });

  it("reports a missing image clearly", async () => {
    const err = await makeDriver().start(newSpec({ image: "atrium/engine:does-not-exist" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as Error).message).toMatch(/engine image atrium\/engine:does-not-exist not found/);
  });

  it("rejects invalid specs", async () => {
    const err = await makeDriver().start(newSpec({ engineId: "../etc/passwd" })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StartError);
    expect((err as StartError).reason).toBe("invalid_spec");
  });

  it("removeUnusedNetworks removes tenant networks without engines only", async () => {
    const d = makeDriver();
    const busy = await d.start(newSpec({ image, tenantId: "tenant-busy" }));
    const idle = await d.start(newSpec({ image, tenantId: "tenant-idle" }));
    await d.stop(idle.state);
    try {
      const removed = await d.removeUnusedNetworks();
      expect(removed).toContain(d.networkName("tenant-idle"));
      expect(removed).not.toContain(d.networkName("tenant-busy"));
      expect(await docker.inspectNetwork(d.networkName("tenant-busy"))).toBeDefined();
    } finally {
      await d.stop(busy.state);
    }
  });

  it("measures spawn time (request to ready) over 5 starts", async () => {
    const d = makeDriver();
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const { state } = await d.start(newSpec({ image }));
      times.push(performance.now() - t);
      await d.stop(state);
    }
    const sorted = [...times].sort((a, b) => a - b);
    console.log(`docker driver spawn ms: ${times.map((t) => t.toFixed(0)).join(", ")}; p50 ${sorted[2]!.toFixed(0)} ms`);
    expect(sorted[2]).toBeLessThan(10_000);
  }, 90_000);
});
