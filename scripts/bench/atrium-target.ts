import { execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createInterface } from "node:readline";
import type { StartResult } from "@/lib/orchestrator/types";
import { portalNodeArgs } from "../portal-node-args";
import { PROBE_ARGS, type WsTarget } from "./ws-targets";

/**
 * Puts the benchmark's engine behind Atrium's real proxy: a tenant, an owner with a
 * live server-side session, an app, and an engines row (running, the engine's
 * endpoint, its secret sealed as the portal seals it) in the test profile's
 * PostgreSQL, then the proxy process (atrium-proxy-server.ts) with the same engine
 * installation, so its sweeper sees the engine as its own and leaves it alone.
 */
export async function startAtriumTarget(engine: StartResult, secret: string, ctx: { installationId: string; stateDir: string; engineId: string }): Promise<WsTarget> {
  execFileSync("bash", ["scripts/services.sh", "start", "test"], { stdio: "ignore" });
  const env: Record<string, string> = {};
  for (const line of execFileSync("bash", ["scripts/services.sh", "env", "test"], { encoding: "utf8" }).split("\n")) {
    const m = line.match(/^export (\w+)='(.*)'$/);
    if (m) env[m[1]!] = m[2]!;
  }
  Object.assign(env, {
    PUBLIC_ORIGIN: "http://localhost:3999",
    AUTH_SECRET: process.env.AUTH_SECRET ?? randomBytes(32).toString("hex"),
    ENGINE_INSTALLATION_ID: ctx.installationId,
    ENGINE_STATE_DIR: ctx.stateDir,
    LOG_LEVEL: "warn",
    NODE_ENV: "production",
  });
  Object.assign(process.env, env);

  const { migrate } = await import("@/lib/db/migrate");
  const { db } = await import("@/lib/db/client");
  const { createSession, sessionCookieName } = await import("@/lib/auth/session-store");
  const { seal } = await import("@/lib/security/secret-box");
  await migrate(env.DATABASE_URL!);

  const slug = `bench-${randomBytes(4).toString("hex")}`;
  const tenant = await db().tenant.create({ data: { slug, name: "Bench" } });
  const user = await db().user.create({ data: { tenantId: tenant.id, email: `bench@${slug}.test`, role: "owner", status: "active" } });
  const app = await db().app.create({ data: { tenantId: tenant.id, name: "bench", versions: { create: [{ version: 1, nodes: [{ id: "x", title: "X", formula: "1" }] }] } } });
  const session = await createSession({ kind: "user", userId: user.id, tenantId: tenant.id }, { requestId: "bench", ip: "127.0.0.1", userAgent: "bench" });
  // Same id as the driver's engine: the proxy's reconcile then knows it as a recorded engine, not an orphan.
  await db().engine.create({
    data: {
      id: ctx.engineId,
      tenantId: tenant.id,
      userId: user.id,
      appId: app.id,
      sessionId: session.sessionId,
      driver: "process",
      state: engine.state,
      status: "running",
      endpointHost: engine.endpoint.host,
      endpointPort: engine.endpoint.port,
      secretEnc: seal(secret),
    },
  });

  const child = spawn(process.execPath, [...PROBE_ARGS, ...portalNodeArgs(), ...(process.env.BENCH_PROXY_NODE_ARGS ?? "").split(" ").filter(Boolean), "--import", "tsx", "scripts/bench/atrium-proxy-server.ts"], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on("line", (l) => {
      try {
        resolve((JSON.parse(l) as { port: number }).port);
      } catch {
        process.stderr.write(`${l}\n`); // the proxy's own output (e.g. --trace-gc)
      }
    });
    child.once("exit", (code) => reject(new Error(`proxy exited with ${code}`)));
  });
  return {
    name: "atrium",
    url: `ws://127.0.0.1:${port}/ws/apps/${app.id}`,
    headers: { origin: env.PUBLIC_ORIGIN!, cookie: `${sessionCookieName()}=${session.token}` },
    pid: child.pid!,
    stop: async () => {
      await new Promise<void>((r) => {
        child.once("exit", () => r());
        child.kill("SIGTERM");
      });
      await db().tenant.delete({ where: { id: tenant.id } });
      const { closeDb } = await import("@/lib/db/client");
      const { closeRedis } = await import("@/lib/redis");
      await closeDb();
      await closeRedis();
    },
  };
}
