import { spawn, type ChildProcess } from "node:child_process";
import { portalNodeArgs } from "../../scripts/portal-node-args";

/**
 * More Atrium processes on the same PostgreSQL, Redis and build as the one
 * scripts/test.sh started: real replicas for cross-instance behaviour, and portals
 * of a test's own (other settings through `env`, e.g. ENGINE_DRIVER=docker or small
 * limits) that the test may stop, kill and start again.
 */
export interface Portal {
  url: string;
  port: number;
  /** The server's own pid (no wrapper process in between). */
  pid: number;
  /** Graceful: SIGTERM, wait for the exit. */
  stop: () => Promise<void>;
  /** A crash: SIGKILL, wait for the exit. */
  kill: () => Promise<void>;
  /** What the process wrote to stderr (its log at LOG_LEVEL=warn). */
  stderr: () => string;
}

export interface PortalOptions {
  /** Added to the test portal's PORT (default 100; give each concurrent portal its own). */
  portOffset?: number;
  /** Settings for this process on top of the test run's environment. */
  env?: Record<string, string>;
}

export async function startPortal(opts: PortalOptions = {}): Promise<Portal> {
  const port = Number(process.env.PORT ?? "3210") + (opts.portOffset ?? 100);
  const child: ChildProcess = spawn(process.execPath, [...portalNodeArgs(), "--import", "tsx", "server.ts"], {
    env: { ...process.env, ...opts.env, PORT: String(port) },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const url = `http://localhost:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/api/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`portal on :${port} did not start: ${stderr.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = (signal: NodeJS.Signals) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.kill(signal);
    });
  return { url, port, pid: child.pid!, stop: () => end("SIGTERM"), kill: () => end("SIGKILL"), stderr: () => stderr };
}

/** A second replica of the test portal (same settings). */
export async function startSecondReplica(): Promise<{ url: string; stop: () => Promise<void> }> {
  return startPortal();
}
