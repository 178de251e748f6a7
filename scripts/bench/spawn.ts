/**
 * npm run bench:spawn — time from "start an engine" to "engine ready", per driver.
 *
 * For each available driver (process always; docker when its daemon and image are
 * there), starts ENGINES distinct engines one after another and reports p50/p95/max of
 * request → ready (start() resolved: ready line seen and /healthz answered), then starts
 * BURST engines at once and reports how many succeeded and the wall time.
 * Engines are stopped afterwards; nothing is left running.
 *
 * Then the same at portal level (BENCH_PORTAL_OPENS, default 200): a portal process of its
 * own on the test profile's PostgreSQL and Redis (scripts/services.sh, ATRIUM_TEST_INSTANCE),
 * 200 users with a session each and 200 distinct apps seeded in the database, and 200
 * simultaneous opens through the real API and proxy: POST /api/apps/:id/engine (progress
 * stream until `ready`, through the spawn queue) then the WebSocket until the engine's hello.
 * Per driver in BENCH_PORTAL_DRIVERS (default "process"; "process,docker" for both).
 * Needs a build (next build into ATRIUM_DIST_DIR, default .next; built when missing).
 * BENCH_SKIP_DRIVER=1 runs only the portal part.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import { portalNodeArgs } from "../portal-node-args";
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


// ---------------------------------------------------------------- portal level

const OPENS = Number(process.env.BENCH_PORTAL_OPENS ?? 200);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The test profile's PostgreSQL and Redis (started if needed), migrated; a build of the portal. */
function preparePortalEnv(): void {
  const root = process.cwd();
  execFileSync("bash", ["scripts/services.sh", "start", "test"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  for (const line of execFileSync("bash", ["scripts/services.sh", "env", "test"], { cwd: root }).toString().split("\n")) {
    const m = /^export (\w+)='(.*)'$/.exec(line.trim());
    if (m) process.env[m[1]!] = m[2]!;
  }
  process.env.AUTH_SECRET ??= "bench-secret-0123456789abcdef0123456789abcdef";
  process.env.PUBLIC_ORIGIN = benchOrigin();
  Object.assign(process.env, { NODE_ENV: "production" });
  process.env.TRUST_PROXY = "1";
  process.env.LOG_LEVEL ??= "warn";
  execFileSync(process.execPath, ["--import", "tsx", "scripts/migrate.ts"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  const distDir = process.env.ATRIUM_DIST_DIR ?? ".next";
  if (!existsSync(path.join(distDir, "BUILD_ID"))) {
    console.error(`[bench:spawn] no build in ${distDir}: running next build (one time)`);
    execFileSync("npx", ["--no-install", "next", "build"], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  }
}

function benchPort(): number {
  return Number(process.env.BENCH_PORTAL_PORT ?? 3290 + Number(process.env.ATRIUM_TEST_INSTANCE ?? 0));
}
function benchOrigin(): string {
  return `http://localhost:${benchPort()}`;
}

async function portalOpens(driverName: "process" | "docker"): Promise<string[]> {
  const port = benchPort();
  const origin = benchOrigin();
  const { db } = await import("@/lib/db/client");
  const { createTenant } = await import("@/lib/tenancy/create-tenant");
  const { createSession, sessionCookieName } = await import("@/lib/auth/session-store");
  const { csrfTokenFor } = await import("@/lib/http/csrf");

  // Seed: one tenant, OPENS users (editors open every app) with a session each, OPENS apps.
  const slug = `bench-${randomBytes(4).toString("hex")}`;
  const { tenant } = await createTenant({ slug, name: `Bench ${slug}`, domains: [`${slug}.test`], admin: { email: `owner@${slug}.test`, name: "Owner" } }, { type: "system", label: "bench:spawn" });
  const nodes = [
    { id: "sales", title: "Sales", formula: "[100, 120, 140]" },
    { id: "total", title: "Total", formula: "sum(sales)" },
  ];
  const seats = await Promise.all(
    Array.from({ length: OPENS }, async (_, i) => {
      const user = await db().user.create({ data: { tenantId: tenant.id, email: `u${i}@${slug}.test`, role: "editor", status: "active" } });
      const app = await db().app.create({ data: { tenantId: tenant.id, name: `Bench app ${i}` } });
      await db().appVersion.create({ data: { tenantId: tenant.id, appId: app.id, version: 1, nodes } });
      const ip = `10.77.${i >> 8}.${(i & 255) + 1}`;
      const s = await createSession({ kind: "user", userId: user.id, tenantId: tenant.id }, { requestId: "bench", ip, userAgent: "bench:spawn" });
      return { appId: app.id, ip, cookie: `${sessionCookieName()}=${s.token}`, csrf: csrfTokenFor(s.sessionId) };
    }),
  );

  const child = spawn(process.execPath, [...portalNodeArgs(), "--import", "tsx", "server.ts"], {
    // The database's own installation id and state dir: every portal on this database (a test
    // portal running meanwhile included) treats these engines as its installation's.
    env: { ...process.env, PORT: String(port), ENGINE_DRIVER: driverName },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines: string[] = [];
  try {
    for (let waited = 0; ; waited += 100) {
      if (await fetch(`${origin}/api/health`).then((r) => r.ok, () => false)) break;
      if (child.exitCode !== null || waited > 90_000) throw new Error(`portal did not start: ${stderr.slice(-1500)}`);
      await sleep(100);
    }

    const open = async (seat: (typeof seats)[number]) => {
      const t0 = performance.now();
      const headers = { cookie: seat.cookie, origin, "content-type": "application/json", "x-csrf-token": seat.csrf, "x-forwarded-for": seat.ip };
      const res = await fetch(`${origin}/api/apps/${seat.appId}/engine`, { method: "POST", headers, body: "{}" });
      const text = await res.text();
      if (!/^event: ready$/m.test(text)) throw new Error(`${res.status} ${/"message":"([^"]*)"/.exec(text)?.[1] ?? text.slice(0, 200)}`);
      const queued = /Waiting for a free start slot/.test(text);
      const ready = performance.now() - t0;
      const hello = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`${origin.replace(/^http/, "ws")}/ws/apps/${seat.appId}`, { headers: { cookie: seat.cookie, origin, "x-forwarded-for": seat.ip } });
        ws.on("message", (d) => {
          if ((JSON.parse(String(d)) as { type?: string }).type === "hello") {
            resolve(performance.now() - t0);
            ws.close();
          }
        });
        ws.on("error", reject);
        ws.on("unexpected-response", (_q, r) => reject(new Error(`upgrade refused: ${r.statusCode}`)));
      });
      return { ready, hello, queued };
    };

    const t0 = performance.now();
    const results = await Promise.allSettled(seats.map(open));
    const wall = performance.now() - t0;
    const ok = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [String((r.reason as Error)?.message ?? r.reason)] : []));
    const ready = ok.map((r) => r.ready).sort((a, b) => a - b);
    const hello = ok.map((r) => r.hello).sort((a, b) => a - b);
    const fmt = (xs: number[]) => (xs.length ? `p50 ${quantile(xs, 0.5).toFixed(0)} ms, p95 ${quantile(xs, 0.95).toFixed(0)} ms, max ${xs.at(-1)!.toFixed(0)} ms` : "n/a");
    lines.push(
      `portal (${driverName} driver, spawn queue ${process.env.ENGINE_SPAWN_CONCURRENCY ?? 8}): ${OPENS} simultaneous opens of distinct apps by distinct users: ${ok.length}/${OPENS} succeeded in ${(wall / 1000).toFixed(1)} s, ${ok.filter((r) => r.queued).length} waited in the queue`,
      `  open → ready event: ${fmt(ready)}; open → engine hello over the proxied WebSocket: ${fmt(hello)}${failures.length ? `; first failure: ${failures[0]}` : ""}`,
    );

    // Stop every engine through the API (as the users would), in batches.
    for (let i = 0; i < seats.length; i += 25) {
      await Promise.all(seats.slice(i, i + 25).map((s) => fetch(`${origin}/api/apps/${s.appId}/engine`, { method: "DELETE", headers: { cookie: s.cookie, origin, "x-csrf-token": s.csrf, "x-forwarded-for": s.ip } }).then((r) => r.text()).catch(() => "")));
    }
  } finally {
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
    });
    // Nothing may be left: whatever the portal did not stop is stopped here, and said.
    const { createDriver } = await import("@/lib/workspace/drivers");
    const { config } = await import("@/lib/config");
    const leftDriver = await createDriver({ ...config(), ENGINE_DRIVER: driverName });
    const mine = new Set((await db().engine.findMany({ where: { tenantId: tenant.id }, select: { id: true } })).map((e) => e.id));
    const left = (await leftDriver.list()).filter((l) => mine.has(l.engineId));
    for (const l of left) await leftDriver.stop(l.state).catch(() => undefined);
    await leftDriver.collectGarbage?.();
    if (left.length) lines.push(`  (${left.length} engines were still running after the portal stopped; stopped by the bench)`);
    await db().engine.updateMany({ where: { tenantId: tenant.id, status: { in: ["starting", "running"] } }, data: { status: "stopped" } });
  }
  return lines;
}

const out: string[] = [`bench:spawn on ${os.cpus().length} CPUs, node ${process.version}`];
if (process.env.BENCH_SKIP_DRIVER !== "1") {
  const entry = path.join(tmp, "engine.mjs");
  await buildEngine(entry);
  out.push(...(await measure("process", new ProcessDriver({ installationId, stateDir: path.join(tmp, "state"), engineEntry: entry, startTimeoutMs: 60_000 }))));
  const dockerDriverFile = path.join(process.cwd(), "lib/orchestrator/docker-driver.ts");
  try {
    if (!existsSync(dockerDriverFile)) throw new Error("no docker driver in this checkout");
    const mod = (await import(dockerDriverFile)) as Record<string, unknown>;
    const Docker = mod.DockerDriver as (new (o: Record<string, unknown>) => Orchestrator & { removeUnusedNetworks(): Promise<string[]> }) | undefined;
    if (Docker) {
      const d = new Docker({ installationId });
      out.push(...(await measure("docker", d)));
      await d.removeUnusedNetworks();
    }
  } catch (e) {
    out.push(`docker: skipped (${(e as Error).message.split("\n")[0]})`);
  }
  await rm(tmp, { recursive: true, force: true });
}
if (OPENS > 0) {
  preparePortalEnv();
  for (const d of (process.env.BENCH_PORTAL_DRIVERS ?? "process").split(",").map((x) => x.trim()).filter(Boolean)) {
    if (d !== "process" && d !== "docker") throw new Error(`BENCH_PORTAL_DRIVERS: unknown driver ${d}`);
    try {
      out.push(...(await portalOpens(d)));
    } catch (e) {
      out.push(`portal (${d} driver): failed (${(e as Error).message.split("\n")[0]})`);
    }
  }
  const { closeDb } = await import("@/lib/db/client");
  const { closeRedis } = await import("@/lib/redis");
  await closeDb();
  await closeRedis();
}
console.log(out.join("\n"));
