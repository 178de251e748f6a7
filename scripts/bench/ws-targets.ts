import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

/** Node flags for every measured proxy: the same memory probe in each (mem-probe.mjs). */
export const PROBE_ARGS = ["--expose-gc", "--import", "./scripts/bench/mem-probe.mjs"];

/** A WebSocket endpoint the benchmark can open connections to. */
export interface WsTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  /** The process whose memory and file descriptors are measured (the proxy, or the engine when direct). */
  pid: number;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

export async function waitForPort(port: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(500) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`nothing listening on ${port}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** JupyterHub's configurable-http-proxy in front of the engine (no auth of its own: that is CHP's design). */
export async function startChp(enginePort: number, secret: string): Promise<WsTarget> {
  const port = await freePort();
  const apiPort = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [...PROBE_ARGS, ...(process.env.BENCH_CHP_NODE_ARGS ?? "").split(" ").filter(Boolean), "node_modules/configurable-http-proxy/bin/configurable-http-proxy", "--ip", "127.0.0.1", "--port", String(port), "--api-ip", "127.0.0.1", "--api-port", String(apiPort), "--default-target", `http://127.0.0.1:${enginePort}`, "--log-level", "error"],
    { stdio: "ignore", env: { ...process.env, CONFIGPROXY_AUTH_TOKEN: "bench" } },
  );
  await waitForPort(port);
  return {
    name: "chp",
    url: `ws://127.0.0.1:${port}/ws`,
    headers: { authorization: `Bearer ${secret}` },
    pid: child.pid!,
    stop: async () => {
      child.kill("SIGTERM");
    },
  };
}
