import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import WebSocket, { WebSocketServer, type RawData } from "ws";
import type { Config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { log } from "@/lib/log";
import { resolveSession, sessionCookieName, type UserSession } from "@/lib/auth/session-store";
import { findOpenableApp } from "@/lib/apps/manage-apps";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER } from "@/lib/http/request-meta";
import { engineUrl } from "./engine-client";
import type { AppAccessEvent } from "./events";
import type { WorkspaceService } from "./service";

/**
 * The authenticated WebSocket proxy: browser ⇄ portal ⇄ the caller's own engine.
 * Origin, session and access are checked on the upgrade; the target comes from the
 * caller's engine record only. Frames are relayed unchanged with a size cap, backpressure
 * and keepalive; user messages count as activity. Every live socket is registered by
 * session id and engine id so endings close it with the documented code.
 */
export const WS_PATH = /^\/ws\/apps\/([0-9a-f]{32})\/?$/;

interface Conn {
  client: WebSocket;
  upstream: WebSocket | null;
  sessionId: string;
  engineId: string;
  appId: string;
  tenantId: string;
  userId: string;
  token: string;
  closing: boolean;
  lastTouch: number;
}

function refuse(socket: Duplex, status: number, text: string): void {
  const body = JSON.stringify({ error: { message: text } });
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return undefined;
}

export class ProxyRegistry {
  private readonly wss: WebSocketServer;
  private readonly bySession = new Map<string, Set<Conn>>();
  private readonly byEngine = new Map<string, Set<Conn>>();
  private readonly all = new Set<Conn>();
  private readonly pinger: NodeJS.Timeout;

  constructor(
    private readonly service: WorkspaceService,
    private readonly c: Config,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: c.WS_MAX_MESSAGE_BYTES, perMessageDeflate: false, clientTracking: false });
    const alive = new WeakSet<WebSocket>();
    this.pinger = setInterval(() => {
      for (const conn of this.all) {
        if (!alive.has(conn.client) && conn.client.readyState === WebSocket.OPEN) {
          // No pong since the last ping: the browser is gone.
          conn.client.terminate();
          continue;
        }
        alive.delete(conn.client);
        conn.client.ping();
      }
    }, c.WS_PING_SECONDS * 1000);
    this.pinger.unref();
    this.markAlive = (ws) => alive.add(ws);
  }

  private readonly markAlive: (ws: WebSocket) => void;

  get size(): number {
    return this.all.size;
  }

  /** server.on("upgrade"): true when the path is ours (handled, accepted or refused). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://localhost");
    const m = WS_PATH.exec(url.pathname);
    if (!m) return false;
    socket.on("error", () => undefined);
    this.upgrade(req, socket, head, m[1]!).catch((err: unknown) => {
      log().error({ err }, "websocket upgrade failed");
      if (socket.writable) refuse(socket, 500, "Internal Server Error");
    });
    return true;
  }

  private async upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, appId: string): Promise<void> {
    // 1. Origin: cross-site WebSocket hijacking.
    if (req.headers.origin !== this.c.PUBLIC_ORIGIN) return refuse(socket, 403, "Forbidden");
    // 2. Session: the same cookie as HTTP.
    const token = cookieValue(req.headers.cookie, sessionCookieName());
    const meta = {
      requestId: String(req.headers[REQUEST_ID_HEADER] ?? ""),
      ip: String(req.headers[CLIENT_IP_HEADER] ?? req.socket.remoteAddress ?? ""),
      userAgent: String(req.headers["user-agent"] ?? "").slice(0, 512),
    };
    const session = await resolveSession(token, meta);
    if (!session || session.kind !== "user") return refuse(socket, 401, "Unauthorized");
    // 3. Access.
    if (!(await this.mayOpen(session, appId))) return refuse(socket, 404, "Not Found");
    // 4. Target: the caller's own live engine, from the database only.
    const target = await this.service.target(session, appId);
    if (!target) return refuse(socket, 409, "Conflict");

    this.wss.handleUpgrade(req, socket, head, (client) => {
      const conn: Conn = {
        client,
        upstream: null,
        sessionId: session.sessionId,
        engineId: target.row.id,
        appId,
        tenantId: session.tenantId,
        userId: session.userId,
        token: token!,
        closing: false,
        lastTouch: Date.now(),
      };
      this.register(conn);
      this.connect(conn, target.row.endpointHost!, target.row.endpointPort!, target.secret);
    });
  }

  private async mayOpen(s: UserSession | { tenantId: string; userId: string; role: UserSession["role"] }, appId: string): Promise<boolean> {
    return (await findOpenableApp({ tenantId: s.tenantId, userId: s.userId, role: s.role }, appId)) !== null;
  }

  private connect(conn: Conn, host: string, port: number, secret: string): void {
    const { client } = conn;
    const upstream = new WebSocket(engineUrl({ host, port }), { headers: { authorization: `Bearer ${secret}` }, maxPayload: this.c.WS_MAX_MESSAGE_BYTES, perMessageDeflate: false, handshakeTimeout: 5000 });
    conn.upstream = upstream;
    const pending: { data: RawData; isBinary: boolean }[] = [];
    const hwm = this.c.WS_HIGH_WATER_BYTES;

    client.on("pong", () => this.markAlive(client));
    this.markAlive(client);

    // Relay with backpressure: pause the reading side while the writing side's buffer is high.
    const relay = (from: WebSocket, to: WebSocket, data: RawData, isBinary: boolean) => {
      to.send(data, { binary: isBinary });
      if (to.bufferedAmount > hwm && !from.isPaused) {
        from.pause();
        const check = setInterval(() => {
          if (to.readyState !== WebSocket.OPEN || to.bufferedAmount <= hwm / 2) {
            clearInterval(check);
            if (from.readyState === WebSocket.OPEN) from.resume();
          }
        }, 5);
      }
    };

    client.on("message", (data, isBinary) => {
      this.activity(conn);
      if (upstream.readyState === WebSocket.OPEN) relay(client, upstream, data, isBinary);
      else if (upstream.readyState === WebSocket.CONNECTING) pending.push({ data, isBinary });
    });
    upstream.on("open", () => {
      for (const p of pending.splice(0)) upstream.send(p.data, { binary: p.isBinary });
    });
    upstream.on("message", (data, isBinary) => {
      if (client.readyState === WebSocket.OPEN) relay(upstream, client, data, isBinary);
    });
    upstream.on("error", () => undefined);
    client.on("error", () => undefined);

    client.on("close", () => {
      this.unregister(conn);
      if (upstream.readyState === WebSocket.OPEN || upstream.readyState === WebSocket.CONNECTING) upstream.terminate();
    });
    upstream.on("close", (code) => {
      if (conn.closing || client.readyState !== WebSocket.OPEN) return;
      if (code === 1009) return this.close(conn, 1009, "message too large");
      void this.upstreamLost(conn);
    });
  }

  /** The engine connection dropped without us closing it: find out why, close with the right code. */
  private async upstreamLost(conn: Conn): Promise<void> {
    try {
      const [engine, session] = await Promise.all([
        db().engine.findUnique({ where: { id: conn.engineId }, select: { status: true } }),
        db().session.findUnique({ where: { id: conn.sessionId }, select: { revokedAt: true } }),
      ]);
      if (!session || session.revokedAt) return this.close(conn, 4401, "session ended");
      if (engine && (engine.status === "stopping" || engine.status === "stopped")) return this.close(conn, 4404, "engine stopped");
      await this.service.markFailed(conn.engineId, "the engine connection dropped");
      this.close(conn, 4500, "engine unreachable");
    } catch (err) {
      log().warn({ err }, "upstream loss handling failed");
      this.close(conn, 4500, "engine unreachable");
    }
  }

  /** A user message: slide the session's idle window and the engine's activity, at most once a second. */
  private activity(conn: Conn): void {
    const now = Date.now();
    if (now - conn.lastTouch < 1000) return;
    conn.lastTouch = now;
    void (async () => {
      const s = await resolveSession(conn.token); // session-store semantics: expiry checks + touch ≤ 1/s
      if (!s) return this.close(conn, 4401, "session ended");
      await db().engine.updateMany({ where: { id: conn.engineId }, data: { lastActivityAt: new Date(now) } });
    })().catch((err: unknown) => log().warn({ err }, "activity touch failed"));
  }

  private register(conn: Conn): void {
    this.all.add(conn);
    const add = (map: Map<string, Set<Conn>>, key: string) => {
      let set = map.get(key);
      if (!set) map.set(key, (set = new Set()));
      set.add(conn);
    };
    add(this.bySession, conn.sessionId);
    add(this.byEngine, conn.engineId);
  }

  private unregister(conn: Conn): void {
    this.all.delete(conn);
    const del = (map: Map<string, Set<Conn>>, key: string) => {
      const set = map.get(key);
      set?.delete(conn);
      if (set && !set.size) map.delete(key);
    };
    del(this.bySession, conn.sessionId);
    del(this.byEngine, conn.engineId);
  }

  private close(conn: Conn, code: number, reason: string): void {
    if (conn.closing) return;
    conn.closing = true;
    this.unregister(conn);
    if (conn.client.readyState === WebSocket.OPEN || conn.client.readyState === WebSocket.CONNECTING) conn.client.close(code, reason);
    // A browser that does not finish the closing handshake is cut off.
    setTimeout(() => conn.client.terminate(), 2000).unref();
    conn.upstream?.terminate();
  }

  closeSession(sessionId: string, code: number, reason: string): void {
    for (const conn of [...(this.bySession.get(sessionId) ?? [])]) this.close(conn, code, reason);
  }

  closeEngine(engineId: string, code: number, reason: string): void {
    for (const conn of [...(this.byEngine.get(engineId) ?? [])]) this.close(conn, code, reason);
  }

  closeAll(code: number, reason: string): void {
    clearInterval(this.pinger);
    for (const conn of [...this.all]) this.close(conn, code, reason);
  }

  /** An app's shares changed: sockets of users who may no longer open it get 4403. */
  async recheckApp(e: AppAccessEvent): Promise<void> {
    const conns = [...this.all].filter((c) => c.appId === e.appId && c.tenantId === e.tenantId);
    for (const conn of conns) {
      const user = await db().user.findUnique({ where: { id: conn.userId }, select: { role: true } });
      if (!user || !(await this.mayOpen({ tenantId: conn.tenantId, userId: conn.userId, role: user.role }, conn.appId))) {
        this.close(conn, 4403, "access withdrawn");
      }
    }
  }
}
