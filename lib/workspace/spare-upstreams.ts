import { randomBytes } from "node:crypto";
import net from "node:net";

/**
 * Warm spare connections to engines (WS_SPARE_UPSTREAM_MS). Right after an upgrade to an
 * engine, the proxy opens one more connection to that engine, completes the engine's
 * handshake with the engine secret and holds the engine's greeting (`hello`). The next
 * upgrade to the same engine within the time-to-live — a reconnect after a network blip, a
 * reload, a second tab — is spliced onto the spare at once instead of waiting for a TCP
 * connect and the engine's handshake, and a new spare is opened behind it. An unused spare
 * is closed when its time is up, so an engine nobody reconnects to has no extra connection.
 *
 * What keeps this as safe as a fresh connection:
 * - a spare is only handed to an upgrade that passed every check (the proxy asks for it after
 *   authorising, for the engine the caller's own server-side record names);
 * - it must be exactly what a fresh connection would give: the engine's 101, then one complete
 *   text frame (the hello) and nothing else. Anything more — a broadcast after another client
 *   changed the model (the hello's state may be stale), a ping, a close, an error, more than
 *   16 KiB — and the spare is discarded, never handed out;
 * - it holds no secret once its request is written, and is closed when its engine ends.
 */
/** Most an engine may send before its handshake (and, for a spare, its hello) is complete. */
export const MAX_ENGINE_HANDSHAKE_BYTES = 16 * 1024;

interface Spare {
  owner: SpareUpstreams;
  engineId: string;
  host: string;
  port: number;
  socket: net.Socket;
  /** Bytes received so far (handshake, then the hello frame). */
  data: Buffer | null;
  /** The hello frame, once the handshake and exactly one complete text frame have arrived. */
  hello: Buffer | null;
  timer: NodeJS.Timeout | null;
}

const kSpare = Symbol("atrium.proxy.spare");
type Tagged = net.Socket & { [kSpare]?: Spare };

/** The upgrade request the portal sends an engine (its secret in the Authorization header). */
export function engineUpgradeRequest(host: string, port: number, key: string, version: string, protocol: string | undefined, secret: string): string {
  let request = `GET /ws HTTP/1.1\r\nHost: ${host.includes(":") ? `[${host}]` : host}:${port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n`;
  request += `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: ${version}\r\n`;
  if (protocol !== undefined) request += `Sec-WebSocket-Protocol: ${protocol}\r\n`;
  return `${request}Authorization: Bearer ${secret}\r\n\r\n`;
}

/**
 * The engine's answer to engineUpgradeRequest, read from the bytes received so far: null while its
 * head is incomplete; else whether it switched protocols (101) and where the frames after it begin.
 */
export function engineUpgradeResponse(buf: Buffer): { accepted: boolean; headEnd: number } | null {
  const end = buf.indexOf("\r\n\r\n");
  if (end < 0) return null;
  return { accepted: buf.toString("latin1", 0, 13) === "HTTP/1.1 101 ", headEnd: end + 4 };
}

/** Length of one complete unmasked, final text frame at the start of `b`; -1 if incomplete, -2 if not such a frame. */
function helloFrameLength(b: Buffer): number {
  if (b.length < 2) return -1;
  if (b[0] !== 0x81 || (b[1]! & 0x80) !== 0) return -2;
  const len7 = b[1]! & 0x7f;
  if (len7 === 127) return -2;
  if (len7 === 126) return b.length < 4 ? -1 : 4 + b.readUInt16BE(2);
  return 2 + len7;
}

export class SpareUpstreams {
  private readonly byEngine = new Map<string, Spare>();
  private stats = { opened: 0, used: 0, discarded: 0, expired: 0 };

  constructor(private readonly ttlMs: number) {}

  get size(): number {
    return this.byEngine.size;
  }

  /** Counters since start (spares opened, handed out, discarded as unusable, closed unused). */
  counts(): Readonly<typeof this.stats> {
    return { ...this.stats };
  }

  /** Opens a spare to this engine unless there is one (or spares are off). */
  open(engineId: string, host: string, port: number, secret: string): void {
    if (this.ttlMs <= 0 || this.byEngine.has(engineId)) return;
    const socket: Tagged = net.connect({ host, port });
    socket.setNoDelay(true);
    const spare: Spare = { owner: this, engineId, host, port, socket, data: null, hello: null, timer: null };
    socket[kSpare] = spare;
    socket.write(engineUpgradeRequest(host, port, randomBytes(16).toString("base64"), "13", undefined, secret));
    socket.on("data", onSpareData);
    socket.on("error", onSpareGone);
    socket.on("close", onSpareGone);
    spare.timer = setTimeout(onSpareExpired, this.ttlMs, spare).unref();
    this.byEngine.set(engineId, spare);
    this.stats.opened++;
  }

  /**
   * The engine's spare, removed from the pool with its listeners off: the caller attaches its
   * own in this same tick (the socket keeps flowing). `hello` when it is ready (send it on as the
   * engine's first frame); otherwise its handshake is still under way and `received` holds what
   * the engine sent so far — the caller finishes that handshake as for a connection of its own.
   */
  take(engineId: string, host: string, port: number): { socket: net.Socket; hello: Buffer | null; received: Buffer | null } | null {
    const spare = this.byEngine.get(engineId);
    if (!spare || spare.host !== host || spare.port !== port || spare.socket.destroyed) return null;
    this.byEngine.delete(engineId);
    if (spare.timer) clearTimeout(spare.timer);
    const socket = spare.socket as Tagged;
    socket.removeListener("data", onSpareData);
    socket.removeListener("error", onSpareGone);
    socket.removeListener("close", onSpareGone);
    delete socket[kSpare];
    this.stats.used++;
    return { socket, hello: spare.hello, received: spare.data };
  }

  /** The engine ended (or is no longer to be reached this way): close its spare. */
  drop(engineId: string): void {
    const spare = this.byEngine.get(engineId);
    if (spare) this.discard(spare, "discarded");
  }

  clear(): void {
    for (const spare of [...this.byEngine.values()]) this.discard(spare, "discarded");
  }

  received(spare: Spare, chunk: Buffer): void {
    if (spare.hello) return this.discard(spare, "discarded"); // anything after the hello: stale
    const data = spare.data ? Buffer.concat([spare.data, chunk]) : chunk;
    if (data.length > MAX_ENGINE_HANDSHAKE_BYTES) return this.discard(spare, "discarded");
    const head = engineUpgradeResponse(data);
    if (!head) {
      spare.data = data;
      return;
    }
    if (!head.accepted) return this.discard(spare, "discarded");
    const frame = data.subarray(head.headEnd);
    const n = helloFrameLength(frame);
    if (n === -2 || (n >= 0 && frame.length > n)) return this.discard(spare, "discarded");
    if (n === -1 || frame.length < n) {
      spare.data = data;
      return;
    }
    spare.data = null;
    spare.hello = Buffer.from(frame); // a copy: not a view keeping the handshake bytes alive
  }

  discard(spare: Spare, why: "discarded" | "expired"): void {
    if (this.byEngine.get(spare.engineId) === spare) {
      this.byEngine.delete(spare.engineId);
      this.stats[why]++;
    }
    if (spare.timer) clearTimeout(spare.timer);
    spare.timer = null;
    spare.data = spare.hello = null;
    spare.socket.destroy();
  }
}

function onSpareData(this: Tagged, chunk: Buffer): void {
  const spare = this[kSpare];
  if (spare) spare.owner.received(spare, chunk);
}

function onSpareGone(this: Tagged): void {
  const spare = this[kSpare];
  if (spare) spare.owner.discard(spare, "discarded");
}

function onSpareExpired(spare: Spare): void {
  spare.timer = null;
  spare.owner.discard(spare, "expired");
}
