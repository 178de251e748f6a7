import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AtriumClient } from "../../support/atrium-client";
import { startPortal, type Portal } from "../../support/second-replica";
import { sleep } from "../../support/checks";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { makeApp, openSocket, sharingTenant, startEngine, startReady, waitFor, type SharingTenant } from "./support";

/**
 * Limits of the proxy and of the engine lifecycle, through real portal processes of this
 * test's own with small settings (docs/workspaces.md): message size cap (1009 both ways),
 * backpressure (a client that stops reading does not make the portal buffer the engine's
 * output), the per-group engine limit, a burst larger than the spawn queue, and the start
 * timeout with an engine that never becomes ready.
 */
const MAX_MESSAGE = 64 * 1024;
const HIGH_WATER = 256 * 1024;
const START_TIMEOUT_S = 2;
let small: Portal;
let hang: Portal;
let tenant: SharingTenant;
const measured: Record<string, number | string> = {};

const via = (c: AtriumClient, p: Portal) => c.via(p.url);

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m![1]) * 1024;
}

/** Pids of live processes whose command line carries this engine id (the driver's marker argument). */
function engineProcesses(engineId: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = readFileSync(path.join("/proc", d, "cmdline"), "utf8");
      if (argv.includes(`--atrium-engine-id=${engineId}`) && !readFileSync(path.join("/proc", d, "stat"), "utf8").split(") ")[1]?.startsWith("Z")) out.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

async function member(): Promise<AtriumClient> {
  return via(await tenant.member(), small);
}

const sharedApp = (nodes?: { id: string; title?: string; formula: string }[]) => tenant.sharedApp(nodes);

beforeAll(async () => {
  [small, hang] = await Promise.all([
    startPortal({
      portOffset: 400,
      env: { WS_MAX_MESSAGE_BYTES: String(MAX_MESSAGE), WS_HIGH_WATER_BYTES: String(HIGH_WATER), ENGINES_PER_GROUP: "2", ENGINES_PER_USER: "20", ENGINE_SPAWN_CONCURRENCY: "2" },
    }),
    startPortal({
      portOffset: 500,
      env: { ENGINE_ENTRY: path.resolve(import.meta.dirname, "fixtures/never-ready-engine.mjs"), ENGINE_START_TIMEOUT_SECONDS: String(START_TIMEOUT_S) },
    }),
  ]);
  tenant = await sharingTenant("limits", "Small");
}, 90_000);

afterAll(async () => {
  await tenant?.stopEngines(small?.url);
  await Promise.all([small?.stop(), hang?.stop()]);
  console.log("limits measured:", JSON.stringify(measured));
  await closeDb();
  await closeRedis();
}, 60_000);

describe("proxy limits", () => {
  it("a message over WS_MAX_MESSAGE_BYTES closes the socket with 1009, in either direction", async () => {
    const appId = await sharedApp([
      { id: "fits", formula: `"y".repeat(${MAX_MESSAGE - 1024})` },
      { id: "huge", formula: `"x".repeat(${MAX_MESSAGE + 1024})` },
    ]);
    const m = await member();
    await startReady(m, appId);
    // Engine → browser: a result bigger than the cap. One just under the cap passes.
    const s1 = await openSocket(m, appId);
    await s1.next((x) => x.type === "hello");
    expect(await s1.request({ type: "evaluate", id: "ok", nodeId: "fits" })).toMatchObject({ type: "result" });
    s1.ws.send(JSON.stringify({ type: "evaluate", id: "big", nodeId: "huge" }));
    expect((await s1.closed).code).toBe(1009);
    expect(s1.messages.find((x) => x.id === "big")).toBeUndefined();
    // Browser → engine: a message bigger than the cap.
    const s2 = await openSocket(m, appId);
    await s2.next((x) => x.type === "hello");
    s2.ws.send(JSON.stringify({ type: "ping", id: "p", pad: "z".repeat(MAX_MESSAGE + 10) }));
    expect((await s2.closed).code).toBe(1009);
    // The engine is unharmed: a new socket works.
    const s3 = await openSocket(m, appId);
    await s3.next((x) => x.type === "hello");
    expect(await s3.request({ type: "evaluate", id: "t", nodeId: "fits" })).toMatchObject({ type: "result" });
    s3.ws.close();
    await m.call("DELETE", `/api/apps/${appId}/engine`);
  });

  it("backpressure: a client that stops reading while the engine floods does not make the portal buffer it", async () => {
    const PIECE = 40_000;
    const COUNT = 2500; // 100 MB of results requested while the client reads nothing
    const appId = await sharedApp([{ id: "big", formula: `"b".repeat(${PIECE})` }]);
    const m = await member();
    await startReady(m, appId);
    const s = await openSocket(m, appId);
    await s.next((x) => x.type === "hello");
    for (let i = 0; i < 20; i++) await s.request({ type: "evaluate", id: `w${i}`, nodeId: "big" });
    await sleep(300);
    const before = rssBytes(small.pid);
    s.ws.pause(); // stop reading: the test process's socket buffer fills, then the portal's
    for (let i = 0; i < COUNT; i++) s.ws.send(JSON.stringify({ type: "evaluate", id: `f${i}`, nodeId: "big" }));
    let peak = before;
    for (let i = 0; i < 30; i++) {
      await sleep(100);
      peak = Math.max(peak, rssBytes(small.pid));
    }
    const received = s.messages.filter((x) => typeof x.id === "string" && x.id.startsWith("f")).length;
    measured.backpressurePortalRssGrowthMiB = Math.round(((peak - before) / 1048576) * 10) / 10;
    measured.backpressureFloodMiB = Math.round((PIECE * COUNT) / 1048576);
    // Without backpressure the portal would hold most of the 95 MiB; with it, about WS_HIGH_WATER_BYTES plus socket buffers.
    expect(peak - before).toBeLessThan(40 * 1048576);
    expect(received).toBeLessThan(COUNT);
    // Reading again: every result arrives, in order, nothing lost.
    const t0 = Date.now();
    s.ws.resume();
    await s.next((x) => x.id === `f${COUNT - 1}`, 60_000);
    measured.backpressureDrainMs = Date.now() - t0;
    const ids = s.messages.filter((x) => typeof x.id === "string" && x.id.startsWith("f")).map((x) => x.id);
    expect(ids).toEqual(Array.from({ length: COUNT }, (_, i) => `f${i}`));
    s.ws.close();
    await m.call("DELETE", `/api/apps/${appId}/engine`);
  }, 90_000);
});

describe("lifecycle limits", () => {
  it("refuses an engine over the per-group limit (ENGINES_PER_GROUP) with a clear 429, and allows it once one stops", async () => {
    const appId = await sharedApp();
    const [m1, m2, m3] = [await member(), await member(), await member()];
    await startReady(m1, appId);
    await startReady(m2, appId);
    const over = await startEngine(m3, appId);
    expect(over.status).toBe(429);
    expect(over.contentType).toMatch(/json/);
    expect(over.text).toMatch(/Your groups already run 2 engines \(the limit is 2\)/);
    expect(await db().engine.count({ where: { appId, status: { in: ["starting", "running"] } } })).toBe(2);
    expect((await m1.call("DELETE", `/api/apps/${appId}/engine`)).status).toBe(200);
    await startReady(m3, appId);
    await m2.call("DELETE", `/api/apps/${appId}/engine`);
    await m3.call("DELETE", `/api/apps/${appId}/engine`);
  });

  it("a burst of starts larger than ENGINE_SPAWN_CONCURRENCY waits in the queue and all succeed", async () => {
    const N = 8;
    const owner = via(tenant.admin, small); // no group: only the per-user limit (20) applies
    const apps = await Promise.all(Array.from({ length: N }, () => makeApp(tenant.admin)));
    const t0 = Date.now();
    const results = await Promise.all(apps.map((a) => startEngine(owner, a)));
    measured.burstOf8WithConcurrency2Ms = Date.now() - t0;
    for (const r of results) expect(r.events.at(-1)?.event, r.text.slice(0, 300)).toBe("ready");
    for (const r of results) expect(r.events.map((e) => e.data.stage)).toContain("queued");
    const waited = results.filter((r) => r.events.some((e) => e.event === "progress" && e.data.stage === "queued" && /Waiting for a free start slot/.test(String(e.data.message))));
    measured.burstStartsThatWaited = waited.length;
    expect(waited.length).toBeGreaterThanOrEqual(1);
    const engines = await db().engine.findMany({ where: { appId: { in: apps } }, select: { status: true } });
    expect(engines.map((e) => e.status)).toEqual(Array(N).fill("running"));
    for (const a of apps) await owner.call("DELETE", `/api/apps/${a}/engine`);
  }, 60_000);

  it("an engine that never becomes ready: the start fails with a clear message after the start timeout and nothing is left", async () => {
    const appId = await makeApp(tenant.admin);
    const owner = via(tenant.admin, hang);
    const t0 = Date.now();
    const r = await startEngine(owner, appId);
    const took = Date.now() - t0;
    measured.startTimeoutAnsweredMs = took;
    expect(r.status).toBe(200);
    const last = r.events.at(-1)!;
    expect(last.event).toBe("failed");
    expect(String(last.data.message)).toMatch(new RegExp(`did not (start|become ready) within ${START_TIMEOUT_S}`));
    expect(r.events.map((e) => e.data.stage)).toContain("waiting_ready");
    expect(took).toBeGreaterThan(START_TIMEOUT_S * 1000 - 200);
    expect(took).toBeLessThan(START_TIMEOUT_S * 1000 + 3000);
    const row = await db().engine.findFirstOrThrow({ where: { appId } });
    expect(row.status).toBe("failed");
    expect(row.failureReason).toMatch(/within/);
    await waitFor(() => engineProcesses(row.id).length === 0, 3000);
    // The browser's socket has nothing to connect to.
    expect(await openSocket(owner, appId).then(() => 101, (e: { status?: number }) => e.status)).toBe(409);
  }, 30_000);
});
