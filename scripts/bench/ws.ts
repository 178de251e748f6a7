/**
 * npm run bench:ws — the WebSocket path measured side by side in one run: a direct
 * connection to an engine, JupyterHub's configurable-http-proxy (CHP) in front of the
 * same engine, and Atrium's proxy (auth on) when scripts/bench/atrium-target.ts can
 * start it. Every figure is the median of RUNS runs; ratios are against direct and CHP.
 *
 *   BENCH_RUNS=3 BENCH_SECONDS=5 BENCH_IDLE_CONNS=5000 BENCH_ABANDON=20000 npm run bench:ws
 */
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { buildEngine } from "@/engine/build";
import { ProcessDriver } from "@/lib/orchestrator/process-driver";
import { abandonedConnections, bigMessageThroughput, connectRate, cpuMs, idleMemoryPerConnection, messageRate, roundTrips, syscalls } from "./ws-measure";
import { startChp, type WsTarget } from "./ws-targets";

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const IDLE_CONNS = Number(process.env.BENCH_IDLE_CONNS ?? 5000);
const ABANDON = Number(process.env.BENCH_ABANDON ?? 20000);

/** BENCH_ONLY=msgs,big,rtt,connect runs only those (e.g. for a --cpu-prof of one path); memory needs BENCH_IDLE_CONNS. */
const ONLY = process.env.BENCH_ONLY ? process.env.BENCH_ONLY.split(",") : null;
const want = (k: string) => !ONLY || ONLY.includes(k);
const median = (xs: number[]) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! : NaN);
const q = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!;

const installationId = `benchws-${randomBytes(4).toString("hex")}`;
const tmp = path.join(os.tmpdir(), `atrium-${installationId}`);
const entry = await buildEngine(path.join(tmp, "engine.mjs"));
const driver = new ProcessDriver({
  installationId,
  stateDir: path.join(tmp, "state"),
  engineEntry: entry,
  // Large enough for the 1 MiB messages; heartbeat off so idle sockets stay idle.
  engineEnv: { ENGINE_MAX_MESSAGE_BYTES: String(4 * 1024 * 1024), ENGINE_MAX_RESULT_BYTES: String(16 * 1024 * 1024), ENGINE_HEARTBEAT_MS: "600000" },
});
// Each measured proxy preloads scripts/bench/mem-probe.mjs and writes its memory here on SIGUSR2.
process.env.BENCH_MEM_PROBE_DIR = process.env.BENCH_MEM_PROBE_DIR ?? tmp;
const secret = randomBytes(24).toString("base64url");
// A 128-bit hex id, like the portal's engine ids: the Atrium target records the engine under it.
const engineId = randomBytes(16).toString("hex");
const engine = await driver.start(
  { engineId, tenantId: "bench", userId: "bench", appId: "bench", cpuMillis: 1000, memoryMiB: 2048, secret, idleSeconds: 0 },
  () => undefined,
);
const direct: WsTarget = {
  name: "direct",
  url: `ws://${engine.endpoint.host}:${engine.endpoint.port}/ws`,
  headers: { authorization: `Bearer ${secret}` },
  pid: Number(engine.state.pid),
  stop: async () => undefined,
};
const targets: WsTarget[] = [direct, await startChp(engine.endpoint.port, secret)];
const atriumTargetFile = path.join(process.cwd(), "scripts/bench/atrium-target.ts");
let atriumNote = "";
if (existsSync(atriumTargetFile)) {
  const { startAtriumTarget } = (await import(atriumTargetFile)) as {
    startAtriumTarget: (e: typeof engine, secret: string, ctx: { installationId: string; stateDir: string; engineId: string }) => Promise<WsTarget>;
  };
  targets.push(await startAtriumTarget(engine, secret, { installationId, stateDir: path.join(tmp, "state"), engineId }));
} else {
  atriumNote = "atrium: not measured (no workspace proxy in this checkout yet)";
}

// Whatever happens below, no engine, proxy or CHP outlives the run.
const cleanup = async () => {
  for (const t of targets) await t.stop().catch(() => undefined);
  await driver.stop(engine.state).catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
};
process.on("uncaughtException", (e) => {
  console.error(`bench:ws failed: ${e.message}`);
  void cleanup().finally(() => process.exit(1));
});

const results: Record<string, Record<string, number>> = {};
for (const t of targets) results[t.name] = {};
for (let run = 0; run < RUNS; run++) {
  // Interleave targets within each run so machine noise hits all of them alike.
  for (const t of targets) {
    const r = results[t.name]!;
    const rec = (k: string, v: number) => ((r[`${k}#${run}`] = v), v);
    if (want("msgs")) {
      // Also the CPU the proxy itself spent per message (for direct: the engine's): a figure the
      // machine's other load disturbs far less than the rate does.
      const cpu0 = cpuMs(t.pid);
      const sys0 = cpuMs(t.pid, "system");
      const sc0 = syscalls(t.pid);
      const rate = rec("msgs", await messageRate(t, 50, SECONDS));
      const sc1 = syscalls(t.pid);
      rec("cpu", ((cpuMs(t.pid) - cpu0) * 1000) / (rate * SECONDS));
      rec("sys", ((cpuMs(t.pid, "system") - sys0) * 1000) / (rate * SECONDS));
      rec("syscr", (sc1.r - sc0.r) / (rate * SECONDS));
      rec("syscw", (sc1.w - sc0.w) / (rate * SECONDS));
    }
    if (want("big")) {
      const cpu0 = cpuMs(t.pid);
      const big = rec("big", await bigMessageThroughput(t, SECONDS));
      // CPU per MiB echoed (both ways through a proxy).
      rec("bigCpu", (cpuMs(t.pid) - cpu0) / ((big * SECONDS) / 1048576));
    }
    if (want("rtt")) {
      const rtt = await roundTrips(t, 3000);
      rec("p50", q(rtt, 0.5));
      rec("p99", q(rtt, 0.99));
    }
    if (want("connect")) {
      // CPU per connection of the measured process and (through a proxy) of the engine behind it.
      const cpu0 = cpuMs(t.pid);
      const eng0 = cpuMs(direct.pid);
      const n = 300;
      rec("connect", await connectRate(t, n));
      rec("connectCpu", ((cpuMs(t.pid) - cpu0) * 1000) / n);
      rec("connectEngineCpu", t === direct ? NaN : ((cpuMs(direct.pid) - eng0) * 1000) / n);
    }
  }
}
const med = (name: string, k: string) => median(Object.entries(results[name]!).filter(([key]) => key.startsWith(`${k}#`)).map(([, v]) => v));

if (want("big")) for (const t of targets) console.error(`${t.name}: CPU ms per 1 MiB echoed ${med(t.name, "bigCpu").toFixed(2)}`);
if (want("connect")) {
  for (const t of targets) console.error(`${t.name}: CPU µs per connection ${med(t.name, "connectCpu").toFixed(0)}${t === direct ? "" : `, engine's ${med(t.name, "connectEngineCpu").toFixed(0)}`}`);
}
if (process.env.BENCH_SYSCALLS) for (const t of targets) console.error(`${t.name}: reads/msg ${med(t.name, "syscr").toFixed(2)}, writes/msg ${med(t.name, "syscw").toFixed(2)}, system CPU µs/msg ${med(t.name, "sys").toFixed(1)}`);
const lines: string[] = [`bench:ws — ${os.cpus().length} CPUs, node ${process.version}, ${RUNS} runs × ${SECONDS} s, medians`];
lines.push("target    64B msgs/s (50 conns)   1 MiB MB/s   RTT p50 µs   RTT p99 µs   connects/s   CPU µs/msg");
for (const t of targets) {
  lines.push(
    `${t.name.padEnd(9)} ${med(t.name, "msgs").toFixed(0).padStart(20)}   ${(med(t.name, "big") / 1e6).toFixed(1).padStart(10)}   ${med(t.name, "p50").toFixed(0).padStart(10)}   ${med(t.name, "p99").toFixed(0).padStart(10)}   ${med(t.name, "connect").toFixed(0).padStart(10)}   ${med(t.name, "cpu").toFixed(1).padStart(10)}`,
  );
}
for (const t of targets.filter((x) => x.name !== "direct")) {
  lines.push(
    `${t.name}: msgs ${(med(t.name, "msgs") / med("direct", "msgs")).toFixed(2)}× direct, ${(med(t.name, "msgs") / med("chp", "msgs")).toFixed(2)}× CHP; ` +
      `1 MiB ${(med(t.name, "big") / med("direct", "big")).toFixed(2)}× direct; RTT p50 +${(med(t.name, "p50") - med("direct", "p50")).toFixed(0)} µs, ` +
      `p99 ${(med(t.name, "p99") / med("direct", "p99")).toFixed(2)}× direct; connects ${(med(t.name, "connect") / med("direct", "connect")).toFixed(2)}× direct`,
  );
}
for (const t of targets.filter((x) => x.name !== "direct" && IDLE_CONNS > 0)) {
  const idle = await idleMemoryPerConnection(t, IDLE_CONNS);
  const kib = (b: number) => `${(b / 1024).toFixed(1)} KiB`;
  lines.push(
    `${t.name}: idle memory per proxied connection at ${idle.opened} connections: ${kib(idle.rssPerConn)} (proxy process RSS); ` +
      `after full GC: ${kib(idle.rssAfterGcPerConn)} RSS, ${kib(idle.heapPerConn)} V8 heap + external`,
  );
  const ab = await abandonedConnections(t, ABANDON, 5000);
  lines.push(
    `${t.name}: ${ABANDON} connections abandoned without close: RSS ${(ab.rss0 / 1048576).toFixed(0)} → ${(ab.rss1 / 1048576).toFixed(0)} MiB (${((ab.rss1 / ab.rss0 - 1) * 100).toFixed(0)}%), ` +
      `after full GC ${(ab.gcRss0 / 1048576).toFixed(0)} → ${(ab.gcRss1 / 1048576).toFixed(0)} MiB (${((ab.gcRss1 / ab.gcRss0 - 1) * 100).toFixed(0)}%), open fds ${ab.fd0} → ${ab.fd1}`,
  );
}
if (atriumNote) lines.push(atriumNote);
await cleanup();
console.log(lines.join("\n"));
