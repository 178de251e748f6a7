import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROTOCOL_VERSION, ServerMessageSchema } from "@/engine/protocol";
import { configFromEnv, startEngine, type EngineServer } from "@/engine/server";
import { EngineTestClient, tryUpgrade, type Msg } from "./support/engine-client";

const SECRET = "unit-test-secret-0123456789abcdef";
const HOST = "127.0.0.1";
let engine: EngineServer;
const events: Record<string, unknown>[] = [];
const clients: EngineTestClient[] = [];

async function connect(opts: { via?: "header" | "subprotocol" } = {}): Promise<EngineTestClient> {
  const c = await EngineTestClient.connect(HOST, engine.port, { secret: SECRET, ...opts });
  clients.push(c);
  return c;
}

function httpGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: HOST, port: engine.port, path, agent: false }, (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on("error", reject);
  });
}

beforeAll(async () => {
  const config = configFromEnv({ ENGINE_SECRET: SECRET, ENGINE_EVAL_TIMEOUT_MS: "300", ENGINE_MAX_MESSAGE_BYTES: "4096", ENGINE_MAX_RESULT_BYTES: "20000", ENGINE_IDLE_SECONDS: "0" });
  engine = await startEngine(config, { log: (e) => events.push(e) });
});

afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await engine.close();
});

describe("configuration", () => {
  it("requires a secret and validates numbers", () => {
    expect(() => configFromEnv({})).toThrow(/ENGINE_SECRET/);
    expect(() => configFromEnv({ ENGINE_SECRET: "short" })).toThrow(/at least 16/);
    expect(() => configFromEnv({ ENGINE_SECRET: SECRET, ENGINE_PORT: "abc" })).toThrow(/ENGINE_PORT/);
    const c = configFromEnv({ ENGINE_SECRET: SECRET });
    expect(c).toMatchObject({ port: 0, host: "127.0.0.1", evalTimeoutMs: 2000 });
  });

  it("never puts the secret into error messages", () => {
    try {
      configFromEnv({ ENGINE_SECRET: "tiny-secret", ENGINE_PORT: "x" });
    } catch (err) {
      expect(String(err)).not.toContain("tiny-secret");
    }
  });
});

describe("HTTP and authentication", () => {
  it("serves /healthz without a secret, revealing nothing", async () => {
    const r = await httpGet("/healthz");
    expect(r).toEqual({ status: 200, body: '{"status":"ok"}' });
    expect((await httpGet("/")).status).toBe(404);
  });

  it("refuses upgrades without or with a wrong secret with HTTP 401", async () => {
    expect((await tryUpgrade(HOST, engine.port, {})).status).toBe(401);
    expect((await tryUpgrade(HOST, engine.port, { secret: "wrong-secret-0123456789abcdef" })).status).toBe(401);
    expect((await tryUpgrade(HOST, engine.port, { secret: SECRET.slice(0, -1) })).status).toBe(401);
    expect((await tryUpgrade(HOST, engine.port, { secret: "wrong-secret-0123456789abcdef", via: "subprotocol" })).status).toBe(401);
    expect((await tryUpgrade(HOST, engine.port, { secret: SECRET, path: "/other" })).status).toBe(404);
    expect(events.some((e) => e.event === "auth_rejected")).toBe(true);
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it("accepts the secret as a bearer header or as a subprotocol, and says hello", async () => {
    const a = await connect();
    const b = await connect({ via: "subprotocol" });
    expect(b.ws.protocol).toBe("atrium-engine.v1");
    expect(a.hello).toMatchObject({ type: "hello", protocolVersion: PROTOCOL_VERSION, engineVersion: expect.any(String) });
    expect(a.hello.capabilities).toContain("evaluate");
    expect(ServerMessageSchema.safeParse(a.hello).success).toBe(true);
  });
});

describe("messages", () => {
  it("load_app, evaluate, set_node with invalidation broadcast to the other clients", async () => {
    const a = await connect();
    const b = await connect();
    const loaded = await a.request({
      type: "load_app",
      nodes: [
        { id: "x", title: "X", formula: "2" },
        { id: "y", formula: "x * 10" },
        { id: "rows", formula: "range(2).map(i => ({ i, y }))" },
      ],
    });
    expect(loaded).toMatchObject({ type: "result", op: "load_app", nodeCount: 3 });
    await b.waitFor((m) => m.type === "app_loaded");

    const y = await a.request({ type: "evaluate", nodeId: "y" });
    expect(y).toMatchObject({ type: "result", op: "evaluate", nodeId: "y", kind: "scalar", value: 20, cached: false });
    expect(typeof y.computeMs).toBe("number");
    expect(ServerMessageSchema.safeParse(y).success).toBe(true);
    expect(await a.request({ type: "evaluate", nodeId: "rows" })).toMatchObject({ kind: "table", value: { columns: ["i", "y"], rows: [[0, 20], [1, 20]] } });

    const set = await a.request({ type: "set_node", node: { id: "x", formula: "3" } });
    expect(set).toMatchObject({ type: "result", op: "set_node", nodeId: "x", created: false, invalidated: ["x", "y", "rows"] });
    expect(await b.waitFor((m) => m.type === "node_changed")).toMatchObject({ node: { id: "x", title: "X", formula: "3" } });
    expect(await b.waitFor((m) => m.type === "invalidated")).toMatchObject({ nodeIds: ["x", "y", "rows"] });
    expect(a.received.some((m) => m.type === "node_changed")).toBe(false);
    expect(await b.request({ type: "evaluate", nodeId: "y" })).toMatchObject({ value: 30 });
  });

  it("reports model errors with codes and node names", async () => {
    const a = await connect();
    await a.request({ type: "load_app", nodes: [{ id: "a", formula: "1" }, { id: "bad", formula: "a.b.c" }, { id: "c", formula: "bad + 1" }] });
    expect(await a.request({ type: "evaluate", nodeId: "zzz" })).toMatchObject({ type: "error", code: "unknown_node", nodeId: "zzz" });
    expect(await a.request({ type: "evaluate", nodeId: "bad" })).toMatchObject({ type: "error", code: "formula_error", nodeId: "bad", message: expect.stringMatching(/node "bad" failed: TypeError/) });
    expect(await a.request({ type: "evaluate", nodeId: "c" })).toMatchObject({ type: "error", code: "upstream_error", nodeId: "c", failedNodeId: "bad" });
    const cyc = await a.request({ type: "set_node", node: { id: "a", formula: "c" } });
    expect(cyc).toMatchObject({ type: "error", code: "cycle", cycle: ["a", "c", "bad", "a"] });
    const cyc2 = await a.request({ type: "load_app", nodes: [{ id: "p", formula: "q" }, { id: "q", formula: "p" }] });
    expect(cyc2).toMatchObject({ type: "error", code: "cycle", cycle: ["p", "q", "p"] });
  });

  it("echoes a ping's payload exactly, and answers a bare ping without one", async () => {
    const a = await connect();
    const payload = "x".repeat(3000) + "é"; // under this engine's 4 KiB message limit
    expect(await a.request({ type: "ping", payload })).toEqual(expect.objectContaining({ type: "pong", payload }));
    expect(await a.request({ type: "ping" })).not.toHaveProperty("payload");
  });

  it("a runaway formula times out and the engine keeps answering", async () => {
    const a = await connect();
    await a.request({ type: "load_app", nodes: [{ id: "spin", formula: "(() => { for (;;) {} })()" }, { id: "fine", formula: "42" }] });
    expect(await a.request({ type: "evaluate", nodeId: "spin" })).toMatchObject({ type: "error", code: "timeout", nodeId: "spin" });
    expect(await a.request({ type: "evaluate", nodeId: "fine" })).toMatchObject({ value: 42 });
    expect(await a.request({ type: "ping" })).toMatchObject({ type: "pong" });
  });

  it("replies to malformed, unknown and oversized messages without crashing", async () => {
    const a = await connect();
    a.sendRaw("{not json");
    expect(await a.waitFor((m) => m.type === "error" && m.id === null)).toMatchObject({ code: "bad_message", message: /JSON/ });
    expect(await a.request({ type: "launch_missiles" })).toMatchObject({ type: "error", code: "bad_message", message: /unknown message type/ });
    expect(await a.request({ type: "evaluate" })).toMatchObject({ type: "error", code: "bad_message", message: /nodeId/ });
    expect(await a.request({ type: "set_node", node: { id: "1bad", formula: "1" } })).toMatchObject({ code: "bad_message" });
    expect(await a.request({ type: "set_node", node: { id: "if", formula: "1" } })).toMatchObject({ code: "bad_message", message: /keyword/ });
    const big = "x".repeat(5000);
    a.sendRaw(JSON.stringify({ type: "ping", id: "big", pad: big }));
    expect(await a.waitFor((m) => m.type === "error" && m.code === "too_large")).toMatchObject({ id: null });
    a.sendRaw(Buffer.from([1, 2, 3]));
    expect(await a.waitFor((m) => m.type === "error" && String(m.message).includes("binary"))).toMatchObject({ code: "bad_message" });
    await a.request({ type: "load_app", nodes: [{ id: "huge", formula: "range(10000)" }] });
    expect(await a.request({ type: "evaluate", nodeId: "huge" })).toMatchObject({ type: "error", code: "too_large" });
    expect(await a.request({ type: "ping" })).toMatchObject({ type: "pong" });
  });

  it("frames beyond the hard cap close the socket with 1009", async () => {
    const a = await connect();
    a.sendRaw("y".repeat(200_000));
    await new Promise((r) => a.ws.once("close", r));
    expect(a.closed?.code).toBe(1009);
    expect(await (await connect()).request({ type: "ping" })).toMatchObject({ type: "pong" });
  });

  it("get_stats reports CPU and memory", async () => {
    const a = await connect();
    const r = (await a.request({ type: "get_stats" })) as Msg & { stats: Record<string, number> };
    expect(r).toMatchObject({ type: "result", op: "get_stats" });
    expect(r.stats.rssBytes).toBeGreaterThan(1_000_000);
    expect(r.stats.heapUsedBytes).toBeGreaterThan(0);
    expect(r.stats.cpuPercent).toBeGreaterThanOrEqual(0);
    expect(r.stats.uptimeSeconds).toBeGreaterThanOrEqual(0);
  });
});

describe("shutdown", () => {
  it("closes clients with 1001 on close()", async () => {
    const config = configFromEnv({ ENGINE_SECRET: SECRET, ENGINE_IDLE_SECONDS: "0" });
    const other = await startEngine(config, { log: () => undefined });
    const c = await EngineTestClient.connect(HOST, other.port, { secret: SECRET });
    await other.close();
    await new Promise((r) => (c.closed ? r(undefined) : c.ws.once("close", r)));
    expect(c.closed?.code).toBe(1001);
    await other.close(); // idempotent
  });

  it("calls onIdle after the idle period with no clients", async () => {
    const config = configFromEnv({ ENGINE_SECRET: SECRET, ENGINE_IDLE_SECONDS: "1" });
    let idle = false;
    const e = await startEngine(config, { log: () => undefined, onIdle: () => (idle = true) });
    const c = await EngineTestClient.connect(HOST, e.port, { secret: SECRET });
    await new Promise((r) => setTimeout(r, 1300));
    expect(idle).toBe(false); // a connected client keeps it alive
    await c.close();
    const t = Date.now();
    while (!idle && Date.now() - t < 3000) await new Promise((r) => setTimeout(r, 50));
    expect(idle).toBe(true);
    await e.close();
  });
});
