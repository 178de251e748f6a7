import { existsSync, readFileSync } from "node:fs";
import WebSocket from "ws";
import { expect } from "vitest";
import { AtriumClient, BASE_URL } from "../../support/atrium-client";
import { makeTenant, makeUser, signedIn, type TestTenant } from "../../support/fixtures";
import { db } from "@/lib/db/client";

/** Helpers for the workspace tests: apps, the SSE start, the proxied WebSocket, engine processes. */

export const NODES = [
  { id: "sales", title: "Sales", formula: "[100, 120, 140]" },
  { id: "growth", title: "Growth", formula: "0.1" },
  { id: "forecast", title: "Forecast", formula: "sales.map(s => round(s * (1 + growth), 2))" },
  { id: "total", title: "Total", formula: "sum(forecast)" },
];

export async function makeApp(admin: AtriumClient, name = `App ${Math.random().toString(16).slice(2, 8)}`, nodes: { id: string; title?: string; formula: string }[] = NODES): Promise<string> {
  const res = await admin.call<{ app: { id: string } }>("POST", "/api/apps", { name, nodes });
  expect(res.status, res.text).toBe(201);
  return res.body.app.id;
}

export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

/** POST /api/apps/:id/engine and read the whole event stream. */
export async function startEngine(c: AtriumClient, appId: string): Promise<{ status: number; events: SseEvent[]; text: string; contentType: string | null }> {
  const res = await c.raw("POST", `/api/apps/${appId}/engine`, {
    body: "{}",
    headers: { "content-type": "application/json", origin: BASE_URL, ...(c.csrfToken ? { "x-csrf-token": c.csrfToken } : {}) },
  });
  const text = await res.text();
  const events: SseEvent[] = [];
  if ((res.headers.get("content-type") ?? "").startsWith("text/event-stream")) {
    for (const block of text.split("\n\n")) {
      const ev = /^event: (.+)$/m.exec(block)?.[1];
      const data = /^data: (.+)$/m.exec(block)?.[1];
      if (ev && data) events.push({ event: ev, data: JSON.parse(data) as Record<string, unknown> });
    }
  }
  return { status: res.status, events, text, contentType: res.headers.get("content-type") };
}

export async function startReady(c: AtriumClient, appId: string): Promise<string> {
  const r = await startEngine(c, appId);
  const ready = r.events.find((e) => e.event === "ready");
  expect(ready, `${r.status} ${r.text.slice(0, 500)}`).toBeTruthy();
  return String(ready!.data.engineId);
}

export function sessionCookie(c: AtriumClient): string {
  return [...c.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
}

export interface Socket {
  ws: WebSocket;
  messages: Record<string, unknown>[];
  closed: Promise<{ code: number; at: number }>;
  next(pred: (m: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  request(msg: Record<string, unknown> & { id: string }): Promise<Record<string, unknown>>;
}

/** Opens /ws/apps/:id through the proxy; rejects with the HTTP status when the upgrade is refused. */
export function openSocket(c: AtriumClient | null, appId: string, opts: { origin?: string; target?: string } = {}): Promise<Socket> {
  const base = (opts.target ?? c?.target ?? BASE_URL).replace(/^http/, "ws");
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { origin: opts.origin ?? BASE_URL };
    if (c && c.cookies.size) headers.cookie = sessionCookie(c);
    const ws = new WebSocket(`${base}/ws/apps/${appId}`, { headers });
    const messages: Record<string, unknown>[] = [];
    const waiters: { pred: (m: Record<string, unknown>) => boolean; resolve: (m: Record<string, unknown>) => void }[] = [];
    const closed = new Promise<{ code: number; at: number }>((r) => ws.on("close", (code) => r({ code, at: Date.now() })));
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      messages.push(m);
      for (const w of [...waiters]) if (w.pred(m)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    });
    const next = (pred: (m: Record<string, unknown>) => boolean, timeoutMs = 10_000) => {
      const found = messages.find(pred);
      if (found) return Promise.resolve(found);
      return new Promise<Record<string, unknown>>((res, rej) => {
        const t = setTimeout(() => rej(new Error(`no matching message in ${timeoutMs} ms: ${JSON.stringify(messages).slice(0, 500)}`)), timeoutMs);
        waiters.push({ pred, resolve: (m) => (clearTimeout(t), res(m)) });
      });
    };
    ws.on("unexpected-response", (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.on("error", (err) => reject(err));
    ws.on("open", () =>
      resolve({
        ws,
        messages,
        closed,
        next,
        request: (msg) => {
          ws.send(JSON.stringify(msg));
          return next((m) => m.id === msg.id);
        },
      }),
    );
  });
}

export async function upgradeStatus(c: AtriumClient | null, appId: string, opts: { origin?: string } = {}): Promise<number> {
  try {
    const s = await openSocket(c, appId, opts);
    s.ws.terminate();
    return 101;
  } catch (err) {
    return (err as { status?: number }).status ?? -1;
  }
}

/** The engine's OS process (process driver) from its record; null when not running. */
export async function enginePid(engineId: string): Promise<number | null> {
  const row = await db().engine.findUnique({ where: { id: engineId }, select: { state: true } });
  const pid = (row?.state as { pid?: number } | null)?.pid;
  return typeof pid === "number" ? pid : null;
}

export function processAlive(pid: number, engineId: string): boolean {
  if (!existsSync(`/proc/${pid}/cmdline`)) return false;
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    return argv.includes(engineId) && !readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.startsWith("Z");
  } catch {
    return false;
  }
}

export async function waitFor(cond: () => Promise<boolean> | boolean, timeoutMs: number, stepMs = 20): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await cond()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, stepMs));
  }
  throw new Error(`condition not met within ${timeoutMs} ms`);
}

/** A tenant with one sharing group: the common set-up of the workspace tests. */
export interface SharingTenant {
  t: TestTenant;
  admin: AtriumClient;
  group: string;
  /** A new member of the group, signed in. */
  member(): Promise<AtriumClient>;
  /** A new app shared with the group. */
  sharedApp(nodes?: { id: string; title?: string; formula: string }[]): Promise<string>;
  /** Stops the tenant's live engines (through `via`, a portal of the test's own, if given). */
  stopEngines(via?: string): Promise<void>;
}

export async function sharingTenant(prefix: string, groupName: string): Promise<SharingTenant> {
  const t = await makeTenant(prefix);
  const admin = await signedIn(t, t.owner.email);
  const g = await admin.call<{ group: { id: string } }>("POST", "/api/groups", { name: groupName, cpuMillis: 500, memoryMiB: 256 });
  const group = g.body.group.id;
  return {
    t,
    admin,
    group,
    async member() {
      const u = await makeUser(t, "member");
      await db().groupMember.create({ data: { tenantId: t.id, groupId: group, userId: u.id } });
      return signedIn(t, u.email);
    },
    async sharedApp(nodes) {
      const id = await makeApp(admin, undefined, nodes);
      expect((await admin.call("PUT", `/api/apps/${id}/shares`, { groupIds: [group] })).status).toBe(200);
      return id;
    },
    async stopEngines(via) {
      const live = await db().engine.findMany({ where: { tenantId: t.id, status: { in: ["starting", "running"] } }, select: { id: true } });
      const c = via ? admin.via(via) : admin;
      for (const e of live) await c.call("DELETE", `/api/engines/${e.id}`).catch(() => undefined);
    },
  };
}
