import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AtriumClient } from "../../support/atrium-client";
import { startPortal, type Portal } from "../../support/second-replica";
import { db, closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { openSocket, sharingTenant, startReady, waitFor, type SharingTenant, type Socket } from "./support";

/**
 * Warm spare connections to engines (lib/workspace/spare-upstreams.ts), observed from outside:
 * the portal process's own TCP connections to the engine, read from /proc (which sockets the
 * process holds, and which of them go to the engine's port).
 */
const SPARE_MS = 4000;
let tenant: SharingTenant;
let portal: Portal;

/** Local ports of the established connections `pid` holds to `enginePort` on 127.0.0.1. */
function upstreams(pid: number, enginePort: number): Set<number> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports = new Set<number>();
  for (const line of readFileSync("/proc/net/tcp", "utf8").split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== "01" || !inodes.has(f[9]!)) continue; // 01: ESTABLISHED
    const [, remPort] = f[2]!.split(":");
    if (parseInt(remPort!, 16) === enginePort) ports.add(parseInt(f[1]!.split(":")[1]!, 16));
  }
  return ports;
}

/**
 * A member's engine for a new shared app (started through the suite's portal) and a socket to
 * it through the test's portal, greeted, once that portal holds its spare to the engine as well.
 */
async function openedWithSpare(): Promise<{ r: AtriumClient; appId: string; port: number; a: Socket }> {
  const appId = await tenant.sharedApp();
  const m = await tenant.member();
  const engineId = await startReady(m, appId);
  const row = await db().engine.findUniqueOrThrow({ where: { id: engineId }, select: { endpointPort: true } });
  const port = row.endpointPort!;
  const r = m.via(portal.url);
  const a = await openSocket(r, appId);
  await a.next((x) => x.type === "hello");
  await waitFor(() => upstreams(portal.pid, port).size === 2, 5000); // A's connection and a spare
  return { r, appId, port, a };
}

beforeAll(async () => {
  tenant = await sharingTenant("wsspare", "Spare");
  // A portal of the test's own, so its connections to the engine are the only ones it holds.
  portal = await startPortal({ portOffset: 600, env: { WS_SPARE_UPSTREAM_MS: String(SPARE_MS) } });
}, 90_000);

afterAll(async () => {
  await tenant?.stopEngines();
  await portal?.stop();
  await closeDb();
  await closeRedis();
}, 60_000);

describe("warm spare connections to engines", () => {
  it("a reconnect is spliced onto the spare (greeted at once, working), which is replaced, and nothing stays open after its time", async () => {
    const { r, appId, port, a } = await openedWithSpare();
    a.ws.close();
    await a.closed;
    await waitFor(() => upstreams(portal.pid, port).size === 1, 5000);
    const [spare] = [...upstreams(portal.pid, port)];

    const c = await openSocket(r, appId);
    const hello = await c.next((x) => x.type === "hello");
    expect(hello).toMatchObject({ type: "hello", appLoaded: expect.any(Boolean) });
    expect(await c.request({ type: "ping", id: "p1" })).toMatchObject({ type: "pong", id: "p1" });
    expect(c.messages.map((x) => x.type)).toEqual(["hello", "pong"]);
    // C's connection is the spare; a new spare was opened behind it.
    await waitFor(() => upstreams(portal.pid, port).size === 2, 5000);
    expect(upstreams(portal.pid, port).has(spare!)).toBe(true);
    c.ws.close();
    await c.closed;
    await waitFor(() => !upstreams(portal.pid, port).has(spare!), 5000);
    expect(upstreams(portal.pid, port).size).toBe(1);
    // Unused, the new spare is closed when its time is up.
    await waitFor(() => upstreams(portal.pid, port).size === 0, SPARE_MS + 3000);
  });

  it("a spare that heard anything after its greeting is closed, never handed out (its greeting may be stale)", async () => {
    const { r, appId, port, a } = await openedWithSpare();
    // A changes the model: the engine tells its other clients, the spare among them.
    const set = await a.request({ type: "set_node", id: "s1", node: { id: "extra", title: "Extra", formula: "41 + 1" } });
    expect(set).toMatchObject({ type: "result", op: "set_node", nodeId: "extra" });
    // At once, not when its time is up (SPARE_MS).
    await waitFor(() => upstreams(portal.pid, port).size === 1, 1000);

    // The next socket gets a greeting of its own and no news from before it connected.
    const b = await openSocket(r, appId);
    await b.next((x) => x.type === "hello");
    expect(await b.request({ type: "evaluate", id: "e1", nodeId: "extra" })).toMatchObject({ type: "result", value: 42 });
    expect(b.messages.map((x) => x.type)).toEqual(["hello", "result"]);
    a.ws.close();
    b.ws.close();
  });
});
