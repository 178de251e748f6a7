import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import WebSocket from "ws";
import type { WsTarget } from "./ws-targets";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function open(t: WsTarget): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(t.url, { headers: t.headers, perMessageDeflate: false, maxPayload: 64 * 1024 * 1024 });
    const onHello = () => resolve(ws);
    // The engine greets every connection with `hello`: the connection is usable once it arrives.
    ws.once("message", onHello);
    // Keep a listener for the socket's whole life: a late error must not crash the run.
    ws.on("error", (e) => reject(new Error(`${t.name}: ${e.message}`)));
    ws.once("unexpected-response", (_req, res) => reject(new Error(`${t.name}: HTTP ${res.statusCode}`)));
  });
}

/** Sends pings with a payload and resolves each pong by id (pipelined). */
class Pinger {
  private next = 0;
  private waiting = new Map<string, () => void>();
  constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const text = data.toString();
      const id = text.slice(text.indexOf('"id":"') + 6, text.indexOf('"', text.indexOf('"id":"') + 6));
      const done = this.waiting.get(id);
      if (done) {
        this.waiting.delete(id);
        done();
      }
    });
  }
  ping(payload: string): Promise<void> {
    const id = String(this.next++);
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.ws.send(`{"type":"ping","id":"${id}","payload":"${payload}"}`);
    });
  }
}

/** Messages per second with `connections` sockets each keeping `window` small pings in flight. */
export async function messageRate(t: WsTarget, connections: number, seconds: number, window = 8): Promise<number> {
  const sockets = await Promise.all(Array.from({ length: connections }, () => open(t)));
  const pingers = sockets.map((s) => new Pinger(s));
  const payload = "x".repeat(18); // {"type":"ping","id":"…","payload":"…"} ≈ 64 bytes on the wire
  let count = 0;
  let running = true;
  const loops = pingers.flatMap((p) =>
    Array.from({ length: window }, async () => {
      while (running) {
        await p.ping(payload);
        count++;
      }
    }),
  );
  await sleep(seconds * 1000);
  running = false;
  await Promise.all(loops);
  for (const s of sockets) s.terminate();
  return count / seconds;
}

/** Bytes per second echoed (counted one way) with 1 MiB messages on one connection. */
export async function bigMessageThroughput(t: WsTarget, seconds: number): Promise<number> {
  const ws = await open(t);
  const p = new Pinger(ws);
  const payload = "y".repeat(1024 * 1024);
  let bytes = 0;
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    await p.ping(payload);
    bytes += payload.length;
  }
  ws.terminate();
  return bytes / seconds;
}

/** Round-trip times (µs) of small pings, one at a time. */
export async function roundTrips(t: WsTarget, n: number): Promise<number[]> {
  const ws = await open(t);
  const p = new Pinger(ws);
  for (let i = 0; i < 200; i++) await p.ping("warm");
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    await p.ping("x".repeat(18));
    out.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  ws.terminate();
  return out.sort((a, b) => a - b);
}

/** Connections per second: open (handshake and the engine's hello), then close, one after another. */
export async function connectRate(t: WsTarget, n: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const ws = await open(t);
    ws.terminate();
  }
  return n / ((performance.now() - t0) / 1000);
}

/** CPU time (user + system, ms) the process has used so far, from /proc (10 ms resolution). */
export function cpuMs(pid: number, which: "user" | "system" | "both" = "both"): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // utime, stime in clock ticks (USER_HZ 100)
  return ((which === "system" ? 0 : Number(f[11])) + (which === "user" ? 0 : Number(f[12]))) * 10;
}

/** Read and write system calls the process has made so far (/proc/<pid>/io). */
export function syscalls(pid: number): { r: number; w: number } {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return { r: Number(/syscr: (\d+)/.exec(io)?.[1]), w: Number(/syscw: (\d+)/.exec(io)?.[1]) };
}

export function rssBytes(pid: number): number {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : NaN;
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** The target's memory after two full GCs (scripts/bench/mem-probe.mjs preloaded into it), or null. */
export async function probeMemory(pid: number): Promise<NodeJS.MemoryUsage | null> {
  const dir = process.env.BENCH_MEM_PROBE_DIR;
  if (!dir) return null;
  const file = path.join(dir, `${pid}.json`);
  rmSync(file, { force: true });
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 200; i++) {
    await sleep(50);
    if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as NodeJS.MemoryUsage;
  }
  return null;
}

export interface IdleMemory {
  opened: number;
  /** RSS growth per connection as it stands 1.5 s after opening (garbage included). */
  rssPerConn: number;
  /** RSS growth per connection after two full GCs in the target, both readings. */
  rssAfterGcPerConn: number;
  /** V8 heap used + external memory growth per connection after two full GCs. */
  heapPerConn: number;
}

/** Memory added per idle open connection, measured on the target's process with `n` sockets. */
export async function idleMemoryPerConnection(t: WsTarget, n: number): Promise<IdleMemory> {
  await sleep(500);
  const before = rssBytes(t.pid);
  const gc0 = await probeMemory(t.pid);
  const sockets: WebSocket[] = [];
  for (let i = 0; i < n; i += 200) sockets.push(...(await Promise.all(Array.from({ length: Math.min(200, n - i) }, () => open(t)))));
  await sleep(1500);
  const after = rssBytes(t.pid);
  const gc1 = await probeMemory(t.pid);
  for (const s of sockets) s.terminate();
  const k = sockets.length;
  return {
    opened: k,
    rssPerConn: (after - before) / k,
    rssAfterGcPerConn: gc0 && gc1 ? (gc1.rss - gc0.rss) / k : NaN,
    heapPerConn: gc0 && gc1 ? (gc1.heapUsed + gc1.external - gc0.heapUsed - gc0.external) / k : NaN,
  };
}

/** Opens `n` connections and drops them without a close frame; returns RSS/fd before and after settling. */
export async function abandonedConnections(t: WsTarget, n: number, settleMs: number) {
  // Let the sockets of an earlier measurement finish closing: the baseline is a settled process.
  for (let last = openFds(t.pid), i = 0; i < 30; i++) {
    await sleep(500);
    const now = openFds(t.pid);
    if (now >= last) break;
    last = now;
  }
  const rss0 = rssBytes(t.pid);
  const fd0 = openFds(t.pid);
  const gc0 = await probeMemory(t.pid);
  for (let i = 0; i < n; i += 250) {
    const batch = await Promise.all(Array.from({ length: Math.min(250, n - i) }, () => open(t)));
    // Kill the TCP connection under the WebSocket: no close frame, no FIN handshake from our side's ws layer.
    for (const s of batch) (s as unknown as { _socket: { destroy(): void } })._socket.destroy();
  }
  await sleep(settleMs);
  const rss1 = rssBytes(t.pid);
  const fd1 = openFds(t.pid);
  const gc1 = await probeMemory(t.pid);
  // RSS as it stands (garbage included), and after two full GCs in the target (what is really kept).
  return { rss0, rss1, fd0, fd1, gcRss0: gc0?.rss ?? NaN, gcRss1: gc1?.rss ?? NaN };
}
