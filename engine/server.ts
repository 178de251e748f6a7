/**
 * The Atrium engine program: one private calculation engine per (user, app).
 *
 * Serves a single WebSocket endpoint (ENGINE_WS_PATH) that only accepts upgrades presenting
 * the per-engine secret, plus an unauthenticated `GET /healthz`. Prints one JSON line
 * `{"event":"ready","port":N,"pid":P}` on stdout once listening. Exits by itself after
 * ENGINE_IDLE_SECONDS with no client and no message. Protocol: docs/engine-protocol.md.
 *
 * Run: `node engine/dist/engine.mjs` (bundle, see engine/build.ts) or `node --import tsx engine/server.ts`.
 */
import http from "node:http";
import { createHash, timingSafeEqual } from "node:crypto";
import { pathToFileURL } from "node:url";
import type { Duplex } from "node:stream";
import { WebSocketServer, WebSocket, type RawData } from "ws";
import { z } from "zod";
import {
  BEARER_SUBPROTOCOL_PREFIX,
  CLOSE_CODES,
  ClientMessageSchema,
  ENGINE_CAPABILITIES,
  ENGINE_HEALTH_PATH,
  ENGINE_SUBPROTOCOL,
  ENGINE_WS_PATH,
  PROTOCOL_VERSION,
  type ClientMessage,
  type ErrorCode,
  type ServerMessage,
} from "./protocol";
import { Model, ModelError, type ModelErrorInfo } from "./model";
import { DEFAULT_EVAL_TIMEOUT_MS, DEFAULT_MAX_RESULT_BYTES } from "./sandbox";

export const ENGINE_VERSION = "0.1.0";

const intFromEnv = (def: number, min: number, max: number) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v.trim() === "") return def;
      const n = Number(v);
      if (!Number.isInteger(n) || n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be an integer between ${min} and ${max}` });
        return z.NEVER;
      }
      return n;
    });

const EnvSchema = z.object({
  ENGINE_PORT: intFromEnv(0, 0, 65535),
  ENGINE_HOST: z.string().min(1).default("127.0.0.1"),
  ENGINE_SECRET: z.string({ message: "ENGINE_SECRET is required" }).min(16, "ENGINE_SECRET must be at least 16 characters"),
  /** 0 disables the idle exit. */
  ENGINE_IDLE_SECONDS: intFromEnv(3600, 0, 7 * 24 * 3600),
  ENGINE_EVAL_TIMEOUT_MS: intFromEnv(DEFAULT_EVAL_TIMEOUT_MS, 10, 600_000),
  ENGINE_MAX_MESSAGE_BYTES: intFromEnv(1024 * 1024, 1024, 256 * 1024 * 1024),
  ENGINE_MAX_RESULT_BYTES: intFromEnv(DEFAULT_MAX_RESULT_BYTES, 1024, 1024 * 1024 * 1024),
  ENGINE_HEARTBEAT_MS: intFromEnv(30_000, 100, 3_600_000),
});

export interface EngineConfig {
  port: number;
  host: string;
  secret: string;
  idleSeconds: number;
  evalTimeoutMs: number;
  maxMessageBytes: number;
  maxResultBytes: number;
  heartbeatMs: number;
}

/** Parse the engine's environment. Throws an Error naming every bad variable (never the secret's value). */
export function configFromEnv(env: Record<string, string | undefined>): EngineConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new Error(`invalid engine configuration: ${problems}`);
  }
  const e = parsed.data;
  return {
    port: e.ENGINE_PORT,
    host: e.ENGINE_HOST,
    secret: e.ENGINE_SECRET,
    idleSeconds: e.ENGINE_IDLE_SECONDS,
    evalTimeoutMs: e.ENGINE_EVAL_TIMEOUT_MS,
    maxMessageBytes: e.ENGINE_MAX_MESSAGE_BYTES,
    maxResultBytes: e.ENGINE_MAX_RESULT_BYTES,
    heartbeatMs: e.ENGINE_HEARTBEAT_MS,
  };
}

export interface EngineServer {
  readonly port: number;
  clientCount(): number;
  /** Close every socket (1001) and the listener. Idempotent. */
  close(reason?: string): Promise<void>;
}

export interface EngineHooks {
  /** Structured event sink (default: one JSON line on stdout). */
  log?: (event: Record<string, unknown>) => void;
  /** Called once when the idle period elapsed (default: nothing; main() exits). */
  onIdle?: () => void;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Constant-time secret check (hash both sides so lengths never leak). */
function secretMatches(presented: string | undefined, expected: Buffer): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), expected);
}

function presentedSecret(req: http.IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === "string") {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const protoHeader = req.headers["sec-websocket-protocol"];
  if (typeof protoHeader === "string") {
    for (const p of protoHeader.split(",")) {
      const t = p.trim();
      if (t.startsWith(BEARER_SUBPROTOCOL_PREFIX)) return t.slice(BEARER_SUBPROTOCOL_PREFIX.length);
    }
  }
  return undefined;
}

function rejectUpgrade(socket: Duplex, status: 401 | 404 | 400, text: string): void {
  const body = text;
  socket.end(
    `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n` +
      (status === 401 ? "WWW-Authenticate: Bearer\r\n" : "") +
      `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  socket.destroy();
}

export async function startEngine(config: EngineConfig, hooks: EngineHooks = {}): Promise<EngineServer> {
  const log = hooks.log ?? ((event: Record<string, unknown>) => process.stdout.write(JSON.stringify(event) + "\n"));
  const expected = digest(config.secret);
  const model = new Model({ timeoutMs: config.evalTimeoutMs, maxResultBytes: config.maxResultBytes });
  const startedAt = Date.now();
  let lastActivity = Date.now();
  let cpuMark = { usage: process.cpuUsage(), at: process.hrtime.bigint() };
  let closing: Promise<void> | undefined;

  const httpServer = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    if (path === ENGINE_HEALTH_PATH && (req.method === "GET" || req.method === "HEAD")) {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : '{"status":"ok"}');
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("Not found");
  });
  httpServer.headersTimeout = 10_000;
  httpServer.requestTimeout = 30_000;

  // Frames up to maxMessageBytes are processed; up to 4× get a `too_large` reply; beyond
  // that ws closes the socket with 1009.
  const hardCap = Math.max(config.maxMessageBytes * 4, config.maxMessageBytes + 64 * 1024);
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: hardCap,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(ENGINE_SUBPROTOCOL) ? ENGINE_SUBPROTOCOL : false),
  });
  const alive = new WeakMap<WebSocket, boolean>();

  httpServer.on("upgrade", (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on("error", () => socket.destroy());
    const path = (req.url ?? "/").split("?")[0];
    if (closing) return rejectUpgrade(socket, 404, "Not Found");
    if (path !== ENGINE_WS_PATH) return rejectUpgrade(socket, 404, "Not Found");
    if (!secretMatches(presentedSecret(req), expected)) {
      log({ event: "auth_rejected", remote: req.socket.remoteAddress ?? null });
      return rejectUpgrade(socket, 401, "Unauthorized");
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
  });

  const send = (ws: WebSocket, msg: ServerMessage): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(msg));
  };
  const broadcast = (except: WebSocket, msg: ServerMessage): void => {
    for (const c of wss.clients) if (c !== except) send(c, msg);
  };
  const errorReply = (id: string | null, code: ErrorCode, message: string, extra: Partial<ModelErrorInfo> = {}): ServerMessage => ({
    type: "error",
    id,
    code,
    message,
    ...(extra.nodeId !== undefined ? { nodeId: extra.nodeId } : {}),
    ...(extra.failedNodeId !== undefined ? { failedNodeId: extra.failedNodeId } : {}),
    ...(extra.cycle !== undefined ? { cycle: extra.cycle } : {}),
  });

  const stats = () => {
    const now = process.hrtime.bigint();
    const usage = process.cpuUsage();
    const wallMicros = Number(now - cpuMark.at) / 1000;
    const cpuMicros = usage.user - cpuMark.usage.user + (usage.system - cpuMark.usage.system);
    cpuMark = { usage, at: now };
    const mem = process.memoryUsage();
    return {
      cpuPercent: wallMicros > 0 ? Math.round((cpuMicros / wallMicros) * 1000) / 10 : 0,
      rssBytes: mem.rss,
      heapUsedBytes: mem.heapUsed,
      uptimeSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
    };
  };

  const handle = (ws: WebSocket, msg: ClientMessage): ServerMessage => {
    switch (msg.type) {
      case "ping":
        return msg.payload === undefined ? { type: "pong", id: msg.id } : { type: "pong", id: msg.id, payload: msg.payload };
      case "get_stats":
        return { type: "result", id: msg.id, op: "get_stats", stats: stats() };
      case "load_app": {
        model.load(msg.nodes);
        broadcast(ws, { type: "app_loaded", nodeCount: model.size });
        return { type: "result", id: msg.id, op: "load_app", nodeCount: model.size };
      }
      case "set_node": {
        const r = model.setNode(msg.node);
        const node = { id: r.node.id, title: r.node.title, formula: r.node.formula };
        broadcast(ws, { type: "node_changed", node, created: r.created });
        if (r.invalidated.length) broadcast(ws, { type: "invalidated", nodeIds: r.invalidated });
        return { type: "result", id: msg.id, op: "set_node", nodeId: r.node.id, created: r.created, invalidated: r.invalidated };
      }
      case "evaluate": {
        if (model.size === 0) return errorReply(msg.id, "no_app", "no app is loaded", { nodeId: msg.nodeId });
        const r = model.evaluate(msg.nodeId);
        if (!r.ok) return errorReply(msg.id, r.error.code, r.error.message, { ...r.error, nodeId: msg.nodeId });
        return {
          type: "result",
          id: msg.id,
          op: "evaluate",
          nodeId: r.nodeId,
          kind: r.kind,
          value: r.value,
          computeMs: r.computeMs,
          nodeComputeMs: r.nodeComputeMs,
          cached: r.cached,
        };
      }
    }
  };

  const onMessage = (ws: WebSocket, data: RawData, isBinary: boolean): void => {
    lastActivity = Date.now();
    const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
    if (isBinary) return send(ws, errorReply(null, "bad_message", "binary frames are not supported; send JSON text"));
    if (buf.length > config.maxMessageBytes) {
      return send(ws, errorReply(null, "too_large", `message is larger than the limit of ${config.maxMessageBytes} bytes`));
    }
    let raw: unknown;
    try {
      raw = JSON.parse(buf.toString("utf8"));
    } catch {
      return send(ws, errorReply(null, "bad_message", "message is not valid JSON"));
    }
    const rawId = raw !== null && typeof raw === "object" && "id" in raw ? (raw as { id: unknown }).id : undefined;
    const id = typeof rawId === "string" && rawId.length > 0 && rawId.length <= 128 ? rawId : null;
    const parsed = ClientMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const type = raw !== null && typeof raw === "object" && "type" in raw ? (raw as { type: unknown }).type : undefined;
      const known = ["load_app", "evaluate", "set_node", "get_stats", "ping"];
      const message =
        typeof type === "string" && !known.includes(type)
          ? `unknown message type ${JSON.stringify(type.slice(0, 64))}`
          : "invalid message: " +
            parsed.error.issues
              .slice(0, 5)
              .map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`)
              .join("; ");
      return send(ws, errorReply(id, "bad_message", message));
    }
    let reply: ServerMessage;
    try {
      reply = handle(ws, parsed.data);
    } catch (err) {
      if (err instanceof ModelError) {
        reply = errorReply(parsed.data.id, err.info.code, err.info.message, err.info);
      } else {
        log({ event: "internal_error", message: err instanceof Error ? err.message : String(err) });
        reply = errorReply(parsed.data.id, "internal", "internal engine error");
      }
    }
    const text = JSON.stringify(reply);
    if (Buffer.byteLength(text) > config.maxResultBytes) {
      const nodeId = "nodeId" in parsed.data ? parsed.data.nodeId : undefined;
      reply = errorReply(parsed.data.id, "too_large", `reply is larger than the limit of ${config.maxResultBytes} bytes`, nodeId ? { nodeId } : {});
      send(ws, reply);
      return;
    }
    if (ws.readyState === WebSocket.OPEN) ws.send(text);
  };

  wss.on("connection", (ws: WebSocket) => {
    lastActivity = Date.now();
    alive.set(ws, true);
    ws.on("pong", () => alive.set(ws, true));
    ws.on("error", () => ws.terminate());
    ws.on("message", (data, isBinary) => onMessage(ws, data, isBinary));
    ws.on("close", () => {
      lastActivity = Date.now();
    });
    send(ws, {
      type: "hello",
      protocolVersion: PROTOCOL_VERSION,
      engineVersion: ENGINE_VERSION,
      capabilities: [...ENGINE_CAPABILITIES],
      limits: { maxMessageBytes: config.maxMessageBytes, maxResultBytes: config.maxResultBytes, evalTimeoutMs: config.evalTimeoutMs },
      appLoaded: model.size > 0,
    });
  });

  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, config.heartbeatMs);
  heartbeat.unref();

  let idleTimer: NodeJS.Timeout | undefined;
  if (config.idleSeconds > 0) {
    const idleMs = config.idleSeconds * 1000;
    idleTimer = setInterval(
      () => {
        if (closing || wss.clients.size > 0) return;
        if (Date.now() - lastActivity >= idleMs) {
          clearInterval(idleTimer);
          log({ event: "idle_exit", idleSeconds: config.idleSeconds });
          hooks.onIdle?.();
        }
      },
      Math.min(1000, Math.max(50, idleMs / 4)),
    );
  }

  await new Promise<void>((resolve, reject) => {
    httpServer.once("error", reject);
    httpServer.listen(config.port, config.host, () => {
      httpServer.off("error", reject);
      resolve();
    });
  });
  const address = httpServer.address();
  const port = typeof address === "object" && address ? address.port : config.port;

  return {
    port,
    clientCount: () => wss.clients.size,
    close(reason = "engine shutting down") {
      closing ??= (async () => {
        clearInterval(heartbeat);
        if (idleTimer) clearInterval(idleTimer);
        for (const ws of wss.clients) ws.close(CLOSE_CODES.goingAway, reason);
        const closed = new Promise<void>((resolve) => httpServer.close(() => resolve()));
        httpServer.closeIdleConnections();
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
        for (const ws of wss.clients) ws.terminate();
        httpServer.closeAllConnections();
        wss.close();
      })();
      return closing;
    },
  };
}

/** Entry point: configure from env, print the ready line, exit on idle or SIGTERM. */
export async function main(): Promise<void> {
  const line = (stream: NodeJS.WriteStream, event: Record<string, unknown>) => stream.write(JSON.stringify(event) + "\n");
  // A reader that went away (portal restarted) must not kill the engine.
  process.stdout.on("error", () => undefined);
  process.stderr.on("error", () => undefined);
  let config: EngineConfig;
  try {
    config = configFromEnv(process.env);
  } catch (err) {
    line(process.stderr, { event: "fatal", message: err instanceof Error ? err.message : String(err) });
    process.exit(2);
  }
  delete process.env.ENGINE_SECRET;
  process.on("unhandledRejection", (reason) => {
    line(process.stderr, { event: "unhandled_rejection", message: reason instanceof Error ? reason.message : "non-error rejection" });
  });

  let engine: EngineServer | undefined;
  const shutdown = (event: string, code: number) => {
    line(process.stdout, { event });
    const done = engine ? engine.close() : Promise.resolve();
    void done.finally(() => process.exit(code));
    setTimeout(() => process.exit(code), 5000).unref();
  };
  try {
    engine = await startEngine(config, {
      log: (e) => line(process.stdout, e),
      onIdle: () => shutdown("shutdown_idle", 0),
    });
  } catch (err) {
    line(process.stderr, { event: "fatal", message: `cannot listen: ${err instanceof Error ? err.message : String(err)}` });
    process.exit(1);
  }
  process.once("SIGTERM", () => shutdown("shutdown_sigterm", 0));
  process.once("SIGINT", () => shutdown("shutdown_sigint", 0));
  line(process.stdout, { event: "ready", port: engine.port, pid: process.pid });
}

const invokedAs = process.argv[1];
if (invokedAs && import.meta.url === pathToFileURL(invokedAs).href) {
  void main();
}
