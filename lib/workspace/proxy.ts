import type { IncomingMessage } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Config } from "@/lib/config";
import { db } from "@/lib/db/client";
import { log } from "@/lib/log";
import { resolveSession, sessionCookieName, type UserSession } from "@/lib/auth/session-store";
import { findOpenableApp } from "@/lib/apps/manage-apps";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER } from "@/lib/http/request-meta";
import { sha256Hex } from "@/lib/security/tokens";
import { AccessCache, type Grant } from "./access-cache";
import { MAX_ENGINE_HANDSHAKE_BYTES, SpareUpstreams, engineUpgradeRequest, engineUpgradeResponse } from "./spare-upstreams";
import {
  APP_ACCESS_CHANNEL,
  ENGINE_ENDED_CHANNEL,
  SESSION_ENDED_CHANNEL,
  USER_ACCESS_CHANNEL,
  onLocalPublish,
  type AppAccessEvent,
  type EngineEndedEvent,
  type SessionEndedEvent,
  type UserAccessEvent,
} from "./events";
import type { WorkspaceService } from "./service";
import { FrameScanner, OP_CLOSE, OP_PING, OP_PONG, acceptKey, closeCode, closeFrame, type FrameHeader } from "./ws-frames";

/**
 * The authenticated WebSocket proxy: browser ⇄ portal ⇄ the caller's own engine.
 * Origin, session and access are checked on the upgrade; the target comes from the
 * caller's engine record only. After that the portal opens a raw TCP connection to the
 * engine, performs the upgrade there with the engine's secret (the browser's key, version
 * and subprotocols pass through; its cookie and extensions do not, so no permessage-deflate)
 * and hands the engine's 101 to the browser. From then on bytes are spliced unchanged both
 * ways (with backpressure); a frame-header scanner on each direction enforces the maximum
 * message size, counts the user's data frames as activity, and knows the frame boundaries
 * so the portal can inject its own close frame (4401/4403/4404/4500/1009/1001).
 *
 * Keepalive: the engine pings every client (ENGINE_HEARTBEAT_MS, 30 s) and the pings and
 * pongs pass through the splice, so a dead browser is detected end to end and the engine
 * drops it; the portal sees the engine's drop while a ping is still unanswered and just
 * discards the connection (no engine failure is recorded). The portal runs no ping loop
 * of its own (WS_PING_SECONDS is no longer used by the proxy).
 */
export const WS_PATH = /^\/ws\/apps\/([0-9a-f]{32})\/?$/;

const HANDSHAKE_TIMEOUT_MS = 5000;
const CLOSE_GRACE_MS = 2000;
/** An engine ping unanswered this long when the engine drops us: the browser is the one gone. */
const DEAD_CLIENT_MS = 2000;

/**
 * One proxied connection. Everything a connection keeps lives here: its listeners are
 * functions shared by all connections (they find their Conn on the socket, `kConn`), so a
 * connection costs no closures, no contexts and no timers while it is open and idle.
 */
interface Conn {
  registry: ProxyRegistry;
  client: Duplex;
  upstream: net.Socket | null;
  sessionId: string;
  engineId: string;
  appId: string;
  tenantId: string;
  userId: string;
  token: string;
  /** The browser's Sec-WebSocket-Key, until the browser has its 101. */
  key: string;
  /** Engine handshake bytes received so far (until the 101 is complete). */
  response: Buffer | null;
  /** Bytes the browser sent after its upgrade request, until the splice forwards them. */
  head: Buffer | null;
  /** We are ending the connection (a close frame is sent or waiting for a frame boundary). */
  closing: boolean;
  /** The close frame still to send, once engine → client bytes are at a frame boundary. */
  pendingClose: Buffer | null;
  /** The browser already has its 101 (the engine's, or ours). */
  accepted: boolean;
  /** The splice is running. */
  spliced: boolean;
  /** The engine side ended; its loss is being handled. */
  lost: boolean;
  /** The browser sent a close frame (a normal closing handshake through the engine). */
  clientClosing: boolean;
  /** When the engine's oldest unanswered ping passed, 0 if none. */
  pingAt: number;
  /** A close code the engine sent (it is translated, not passed through). */
  engineCode: number;
  /** A refusal found by the scanners: [code, reason]. */
  verdict: [number, string] | null;
  down: FrameScanner<Conn> | null;
  up: FrameScanner<Conn> | null;
  /** The engine handshake's deadline (only until the splice starts). */
  handshakeTimer: NodeJS.Timeout | null;
  /** The closing handshake's deadline. */
  timer: NodeJS.Timeout | null;
  /** When this socket last counted as activity (ms). */
  lastActivity: number;
}

/** Where a socket's Conn is kept, for the shared listeners. */
const kConn = Symbol("atrium.proxy.conn");
type Tagged = Duplex & { [kConn]?: Conn };

function noop(): void {}

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
  private readonly bySession = new Map<string, Set<Conn>>();
  private readonly byEngine = new Map<string, Set<Conn>>();
  private readonly all = new Set<Conn>();
  /** Recent upgrade authorisations (access-cache.ts). */
  readonly cache: AccessCache;
  /** Warm connections to recently opened engines (spare-upstreams.ts). */
  readonly spares: SpareUpstreams;
  /** Last session/engine touch per key (activity is written at most once a second). */
  private readonly touched = new Map<string, number>();

  constructor(
    private readonly service: WorkspaceService,
    private readonly c: Config,
  ) {
    this.cache = new AccessCache(c.WS_AUTH_CACHE_MS);
    this.spares = new SpareUpstreams(c.WS_SPARE_UPSTREAM_MS);
    // The replica that ends a session or engine forgets its grants before its own echo arrives.
    onLocalPublish((channel, m) => this.forget(channel, m));
  }

  /** Drops cached grants an ending event makes stale (also called for every pub/sub event, via close*). */
  private forget(channel: string, m: unknown): void {
    const e = m as Partial<SessionEndedEvent & EngineEndedEvent & AppAccessEvent & UserAccessEvent> | null;
    if (!e) return;
    if (channel === SESSION_ENDED_CHANNEL && typeof e.sessionId === "string") this.cache.dropSession(e.sessionId);
    else if (channel === ENGINE_ENDED_CHANNEL && typeof e.engineId === "string") {
      this.cache.dropEngine(e.engineId);
      this.spares.drop(e.engineId);
    }
    else if (channel === APP_ACCESS_CHANNEL && typeof e.appId === "string" && typeof e.tenantId === "string") this.cache.dropApp(e.tenantId, e.appId);
    else if (channel === USER_ACCESS_CHANNEL && typeof e.userId === "string" && typeof e.tenantId === "string") this.cache.dropUser(e.tenantId, e.userId);
  }

  get size(): number {
    return this.all.size;
  }

  /** server.on("upgrade"): true when the path is ours (handled, accepted or refused). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(req.url ?? "/", "http://localhost");
    const m = WS_PATH.exec(url.pathname);
    if (!m) return false;
    socket.on("error", onClientError);
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
    if (!token || token.length > 128) return refuse(socket, 401, "Unauthorized");
    const tokenHash = sha256Hex(token);
    // 2–4 from a full check of this session and app less than WS_AUTH_CACHE_MS ago (access-cache.ts):
    // the socket is registered in this same tick, so an ending event arriving later closes it.
    const hit = this.cache.get(tokenHash, appId, Date.now());
    if (hit) {
      this.touchSession(hit.sessionId, token);
      return this.accept(req, socket, head, hit, token);
    }
    const epoch = this.cache.epoch;
    const meta = {
      requestId: String(req.headers[REQUEST_ID_HEADER] ?? ""),
      ip: String(req.headers[CLIENT_IP_HEADER] ?? req.socket.remoteAddress ?? ""),
      userAgent: String(req.headers["user-agent"] ?? "").slice(0, 512),
    };
    const session = await resolveSession(token, meta);
    if (!session || session.kind !== "user") return refuse(socket, 401, "Unauthorized");
    // 3. Access and 4. the target (the caller's own live engine, from the database only), read together.
    const [mayOpen, target] = await Promise.all([this.mayOpen(session, appId), this.service.target(session, appId)]);
    if (!mayOpen) return refuse(socket, 404, "Not Found");
    if (!target) return refuse(socket, 409, "Conflict");
    // An ending heard while we read (this replica closed that session's or engine's sockets already).
    const ended = this.cache.endedSince(epoch, session.sessionId, target.row.id);
    if (ended === "session") return refuse(socket, 401, "Unauthorized");
    if (ended === "engine") return refuse(socket, 409, "Conflict");
    const grant: Grant = {
      sessionId: session.sessionId,
      tenantId: session.tenantId,
      userId: session.userId,
      appId,
      expiresAt: session.expiresAt.getTime(),
      idleExpiresAt: session.idleExpiresAt.getTime(),
      engineId: target.row.id,
      host: target.row.endpointHost!,
      port: target.row.endpointPort!,
      secret: target.secret,
      at: Date.now(),
    };
    this.cache.set(tokenHash, grant, epoch);
    this.accept(req, socket, head, grant, token);
  }

  /** An authorised upgrade: check its form, register it, connect to the engine. Synchronous. */
  private accept(req: IncomingMessage, socket: Duplex, head: Buffer, grant: Grant, token: string): void {
    // 5. A well-formed WebSocket upgrade (what ws's handleUpgrade checked before).
    const key = req.headers["sec-websocket-key"];
    const version = req.headers["sec-websocket-version"];
    if (req.method !== "GET" || String(req.headers.upgrade ?? "").toLowerCase() !== "websocket" || typeof key !== "string" || !/^[+/0-9A-Za-z]{22}==$/.test(key.trim()) || (version !== "13" && version !== "8")) {
      return refuse(socket, 400, "Bad Request");
    }
    if (socket.destroyed) return;
    const conn: Conn = {
      registry: this,
      client: socket,
      upstream: null,
      sessionId: grant.sessionId,
      engineId: grant.engineId,
      appId: grant.appId,
      tenantId: grant.tenantId,
      userId: grant.userId,
      token,
      key: key.trim(),
      response: null,
      head: head.length ? head : null,
      closing: false,
      pendingClose: null,
      accepted: false,
      spliced: false,
      lost: false,
      clientClosing: false,
      pingAt: 0,
      engineCode: 0,
      verdict: null,
      down: null,
      up: null,
      handshakeTimer: null,
      timer: null,
      lastActivity: 0,
    };
    this.register(conn);
    (socket as Tagged)[kConn] = conn;
    socket.on("close", onClientClose);
    this.connect(conn, req, grant.engineId, grant.host, grant.port, grant.secret);
  }

  private async mayOpen(s: UserSession | { tenantId: string; userId: string; role: UserSession["role"] }, appId: string): Promise<boolean> {
    return (await findOpenableApp({ tenantId: s.tenantId, userId: s.userId, role: s.role }, appId)) !== null;
  }

  /** Raw TCP to the engine (a warm spare if there is one), its upgrade with the engine secret, then the splice. */
  private connect(conn: Conn, req: IncomingMessage, engineId: string, host: string, port: number, secret: string): void {
    const protocol = req.headers["sec-websocket-protocol"];
    // A spare's handshake asked for no subprotocol: only a browser that asks for none can have it.
    const spare = protocol === undefined ? this.spares.take(engineId, host, port) : null;
    if (spare) {
      const upstream = spare.socket as net.Socket & { [kConn]?: Conn };
      upstream[kConn] = conn;
      conn.upstream = upstream;
      upstream.on("error", noop);
      upstream.on("close", onUpstreamClose);
      if (spare.hello) {
        // Ready: our 101 and the engine's hello leave in one write; the splice starts in this same tick.
        const client = conn.client as net.Socket;
        client.cork?.();
        this.acceptClient(conn);
        this.splice(conn, spare.hello);
        client.uncork?.();
      } else {
        // Still handshaking: finish it as for a connection of our own (the browser's 101 goes out now).
        conn.handshakeTimer = setTimeout(onHandshakeTimeout, HANDSHAKE_TIMEOUT_MS, conn);
        upstream.on("data", onUpstreamHandshake);
        this.acceptClient(conn);
        if (spare.received) this.upstreamHandshake(conn, spare.received);
      }
    } else {
      const upstream = net.connect({ host, port });
      (upstream as Tagged)[kConn] = conn;
      conn.upstream = upstream;
      upstream.setNoDelay(true);
      // Written now: the socket sends it on connect, without a listener or an event-loop turn of ours.
      upstream.write(engineUpgradeRequest(host, port, conn.key, String(req.headers["sec-websocket-version"]), protocol, secret));
      conn.handshakeTimer = setTimeout(onHandshakeTimeout, HANDSHAKE_TIMEOUT_MS, conn);
      upstream.on("data", onUpstreamHandshake);
      upstream.on("error", noop);
      upstream.on("close", onUpstreamClose);
      // The browser is authorised and asked for no subprotocol: its 101 does not depend on the
      // engine's answer, so it goes out now, in parallel with the engine's handshake. (Should the
      // engine fail, the browser gets the close code it would get anyway: our 101 then 4500.)
      // Its frames wait in the socket until the splice starts.
      if (protocol === undefined) this.acceptClient(conn);
    }
    // The next upgrade to this engine (a reconnect, a reload, another tab) finds a spare ready.
    this.spares.open(engineId, host, port, secret);
  }

  /** Our own 101 to the browser (the key is no longer needed afterwards). */
  private acceptClient(conn: Conn): void {
    conn.accepted = true;
    const accept = acceptKey(conn.key);
    conn.key = "";
    conn.client.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`);
  }

  /** The engine's handshake did not complete (timeout, refusal, connection lost). */
  handshakeFailed(conn: Conn): void {
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    conn.response = null;
    conn.upstream?.removeListener("data", onUpstreamHandshake);
    if (conn.spliced || conn.lost) return;
    this.engineGone(conn);
  }

  /** Engine bytes before the splice: its 101 (possibly in pieces), maybe followed by frames. */
  upstreamHandshake(conn: Conn, chunk: Buffer): void {
    const response = conn.response ? Buffer.concat([conn.response, chunk]) : chunk;
    const head = engineUpgradeResponse(response);
    if (!head) {
      conn.response = response;
      if (response.length > MAX_ENGINE_HANDSHAKE_BYTES) this.handshakeFailed(conn);
      return;
    }
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    conn.response = null;
    conn.upstream!.removeListener("data", onUpstreamHandshake);
    if (!head.accepted) return this.handshakeFailed(conn);
    if (conn.closing) return; // ended while the engine answered: our own 101 and close frame went out
    if (!conn.accepted) {
      // A subprotocol was asked for: the browser gets the engine's own answer.
      conn.accepted = true;
      conn.key = "";
      conn.client.write(response.subarray(0, head.headEnd));
    }
    this.splice(conn, response.subarray(head.headEnd));
  }

  private splice(conn: Conn, rest: Buffer): void {
    const client = conn.client;
    const upstream = conn.upstream!;
    conn.spliced = true;
    (client as net.Socket).setNoDelay?.(true);
    (client as net.Socket).setTimeout?.(0);
    conn.down = new FrameScanner(onClientFrame, null, conn);
    conn.up = new FrameScanner(onEngineFrame, onEngineControl, conn);
    client.on("data", onClientData);
    upstream.on("data", onEngineData);
    upstream.on("drain", onUpstreamDrain);
    client.on("drain", onClientDrain);
    client.on("end", onClientEnd);
    if (rest.length) this.fromEngine(conn, rest);
    const head = conn.head;
    conn.head = null;
    if (head) this.fromClient(conn, head);
    client.resume();
  }

  /** Browser → engine: masked frames only, no extensions, size cap; data frames are activity. */
  clientFrame(f: FrameHeader, conn: Conn): boolean {
    if (f.rsv !== 0 || !f.masked || (f.opcode > 2 && f.opcode < 8) || f.opcode > 10 || (f.opcode >= 8 && (!f.fin || f.length > 125))) {
      conn.verdict = [1002, "protocol error"];
      return false;
    }
    if (f.opcode < 8) {
      if (f.messageBytes > this.c.WS_MAX_MESSAGE_BYTES) {
        conn.verdict = [1009, "message too large"];
        return false;
      }
      this.activity(conn);
    } else if (f.opcode === OP_PONG) conn.pingAt = 0;
    else if (f.opcode === OP_CLOSE) conn.clientClosing = true;
    return true;
  }

  /** Engine → browser: the same cap; the engine's own close frame is translated, not relayed. */
  engineFrame(f: FrameHeader, conn: Conn): boolean {
    if (conn.closing) return false; // our close frame goes in at this boundary
    if (f.opcode < 8 && f.messageBytes > this.c.WS_MAX_MESSAGE_BYTES) {
      conn.verdict = [1009, "message too large"];
      return false;
    }
    if (f.opcode === OP_PING) {
      if (!conn.pingAt) conn.pingAt = Date.now();
    } else if (f.opcode === OP_CLOSE && !conn.clientClosing) return false;
    return true;
  }

  fromClient(conn: Conn, chunk: Buffer): void {
    if (conn.closing || conn.lost) return; // e.g. the browser's reply to our close frame
    const up = conn.upstream!;
    const scanner = conn.down!;
    const n = scanner.scan(chunk);
    const held = scanner.flush;
    if (held) up.write(held);
    if (n > 0) up.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    if (conn.verdict) return this.close(conn, conn.verdict[0], conn.verdict[1]);
    if (up.writableLength > this.c.WS_HIGH_WATER_BYTES) conn.client.pause();
  }

  fromEngine(conn: Conn, chunk: Buffer): void {
    if (conn.lost || (conn.closing && !conn.pendingClose)) return;
    const scanner = conn.up!;
    const n = scanner.scan(chunk);
    const held = scanner.flush;
    const client = conn.client;
    if (held) client.write(held);
    if (n > 0) client.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    if (conn.pendingClose) {
      if (scanner.atBoundary) this.sendClose(conn);
      return;
    }
    if (conn.verdict) return this.close(conn, conn.verdict[0], conn.verdict[1]);
    if (conn.engineCode) return this.engineGone(conn);
    if (client.writableLength > this.c.WS_HIGH_WATER_BYTES) conn.upstream!.pause();
  }

  /** The engine side ended (close frame, FIN, error, failed handshake): close the browser accordingly. */
  engineGone(conn: Conn): void {
    if (conn.lost || conn.closing) return;
    conn.lost = true;
    conn.upstream?.destroy();
    if (conn.clientClosing) {
      // The browser's own closing handshake: the engine answered (through the splice) and ended.
      this.unregister(conn);
      conn.client.end();
      conn.timer = setTimeout(onGraceOver, CLOSE_GRACE_MS, conn).unref();
      return;
    }
    if (conn.engineCode === 1009) return this.close(conn, 1009, "message too large");
    if (!conn.engineCode && conn.pingAt && Date.now() - conn.pingAt > DEAD_CLIENT_MS) {
      // The engine dropped a browser that stopped answering its pings: nothing to tell it.
      return this.destroy(conn);
    }
    void this.upstreamLost(conn);
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

  /** A user message: slide the session's idle window and the engine's activity, at most once a second per pair. */
  private activity(conn: Conn): void {
    const now = Date.now();
    if (now - conn.lastActivity < 1000) return; // the common case: no allocation per frame
    conn.lastActivity = now;
    this.touch(`${conn.sessionId}:${conn.engineId}`, conn.token, conn.sessionId, conn.engineId);
  }

  /** An upgrade served from the cache still counts as a request of its session (≤ 1 touch a second). */
  private touchSession(sessionId: string, token: string): void {
    this.touch(sessionId, token, sessionId, null);
  }

  private touch(key: string, token: string, sessionId: string, engineId: string | null): void {
    const now = Date.now();
    if (now - (this.touched.get(key) ?? 0) < 1000) return;
    if (this.touched.size >= 10_000) for (const [k, t] of this.touched) if (now - t >= 1000) this.touched.delete(k);
    this.touched.set(key, now);
    void (async () => {
      const s = await resolveSession(token); // session-store semantics: expiry checks + touch ≤ 1/s
      if (!s) {
        this.cache.dropSession(sessionId);
        return this.closeSession(sessionId, 4401, "session ended");
      }
      if (engineId) await db().engine.updateMany({ where: { id: engineId }, data: { lastActivityAt: new Date(now) } });
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
    conn.client.pause();
    const frame = closeFrame(code, reason);
    // A browser that does not finish the closing handshake (or an engine frame that never ends) is cut off.
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.handshakeTimer = null;
    conn.timer = setTimeout(onGraceOver, CLOSE_GRACE_MS, conn).unref();
    // The browser has no 101 yet (the engine failed or the connection ended mid-handshake): give it ours.
    if (!conn.accepted) this.acceptClient(conn);
    conn.pendingClose = frame;
    // Only between engine frames: otherwise the splice forwards up to the next boundary first.
    if (!conn.spliced || conn.lost || conn.up!.atBoundary) this.sendClose(conn);
    else conn.upstream!.resume();
  }

  private sendClose(conn: Conn): void {
    const frame = conn.pendingClose;
    if (!frame) return;
    conn.pendingClose = null;
    conn.upstream?.destroy();
    conn.client.end(frame);
    conn.client.resume(); // read (and drop) the browser's reply until it ends
  }

  /** Cut everything at once (no close frame). Idempotent. */
  destroy(conn: Conn): void {
    conn.closing = true;
    conn.pendingClose = null;
    this.unregister(conn);
    if (conn.timer) clearTimeout(conn.timer);
    if (conn.handshakeTimer) clearTimeout(conn.handshakeTimer);
    conn.timer = conn.handshakeTimer = null;
    conn.response = conn.head = null;
    conn.upstream?.destroy();
    conn.client.destroy();
  }

  closeSession(sessionId: string, code: number, reason: string): void {
    this.cache.dropSession(sessionId);
    for (const conn of [...(this.bySession.get(sessionId) ?? [])]) this.close(conn, code, reason);
  }

  closeEngine(engineId: string, code: number, reason: string): void {
    this.cache.dropEngine(engineId);
    this.spares.drop(engineId);
    for (const conn of [...(this.byEngine.get(engineId) ?? [])]) this.close(conn, code, reason);
  }

  closeAll(code: number, reason: string): void {
    this.cache.clear();
    this.spares.clear();
    for (const conn of [...this.all]) this.close(conn, code, reason);
  }

  /** An app's shares changed: sockets of users who may no longer open it get 4403. */
  async recheckApp(e: AppAccessEvent): Promise<void> {
    this.cache.dropApp(e.tenantId, e.appId);
    await this.recheck([...this.all].filter((c) => c.appId === e.appId && c.tenantId === e.tenantId));
  }

  /** A user's role or groups changed: that user's sockets to apps they may no longer open get 4403. */
  async recheckUser(e: UserAccessEvent): Promise<void> {
    this.cache.dropUser(e.tenantId, e.userId);
    await this.recheck([...this.all].filter((c) => c.userId === e.userId && c.tenantId === e.tenantId));
  }

  private async recheck(conns: Conn[]): Promise<void> {
    for (const conn of conns) {
      const user = await db().user.findUnique({ where: { id: conn.userId }, select: { role: true } });
      if (!user || !(await this.mayOpen({ tenantId: conn.tenantId, userId: conn.userId, role: user.role }, conn.appId))) {
        this.close(conn, 4403, "access withdrawn");
      }
    }
  }
}

// Listeners and timer callbacks shared by every connection: `this` is the socket, whose Conn is at kConn.

function onClientError(this: Tagged): void {
  const conn = this[kConn];
  if (conn?.spliced) conn.registry.destroy(conn);
}

function onClientClose(this: Tagged): void {
  const conn = this[kConn];
  if (conn) conn.registry.destroy(conn);
}

function onClientEnd(this: Tagged): void {
  const conn = this[kConn];
  if (conn) conn.registry.destroy(conn);
}

function onClientData(this: Tagged, chunk: Buffer): void {
  const conn = this[kConn]!;
  conn.registry.fromClient(conn, chunk);
}

function onClientDrain(this: Tagged): void {
  this[kConn]!.upstream?.resume();
}

function onUpstreamHandshake(this: Tagged, chunk: Buffer): void {
  const conn = this[kConn]!;
  conn.registry.upstreamHandshake(conn, chunk);
}

function onUpstreamClose(this: Tagged): void {
  const conn = this[kConn]!;
  if (conn.spliced) conn.registry.engineGone(conn);
  else conn.registry.handshakeFailed(conn);
}

function onEngineData(this: Tagged, chunk: Buffer): void {
  const conn = this[kConn]!;
  conn.registry.fromEngine(conn, chunk);
}

function onUpstreamDrain(this: Tagged): void {
  const conn = this[kConn]!;
  if (!conn.closing) conn.client.resume();
}

function onHandshakeTimeout(conn: Conn): void {
  conn.handshakeTimer = null;
  conn.registry.handshakeFailed(conn);
}

function onGraceOver(conn: Conn): void {
  conn.timer = null;
  conn.registry.destroy(conn);
}

function onClientFrame(f: FrameHeader, conn: Conn): boolean {
  return conn.registry.clientFrame(f, conn);
}

function onEngineFrame(f: FrameHeader, conn: Conn): boolean {
  return conn.registry.engineFrame(f, conn);
}

function onEngineControl(opcode: number, payload: Buffer, conn: Conn): void {
  if (opcode === OP_CLOSE && !conn.clientClosing && !conn.engineCode) conn.engineCode = closeCode(payload);
}
