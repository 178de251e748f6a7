/** Minimal test client for the engine protocol (used by unit and orchestrator contract tests). */
import { WebSocket } from "ws";
import { BEARER_SUBPROTOCOL_PREFIX, ENGINE_SUBPROTOCOL, ENGINE_WS_PATH, type HelloMessage } from "@/engine/protocol";

export type Msg = Record<string, unknown> & { type: string };

export interface ConnectOptions {
  secret?: string;
  /** How to present the secret (default: Authorization header). */
  via?: "header" | "subprotocol";
  path?: string;
}

export function engineUrl(host: string, port: number, path = ENGINE_WS_PATH): string {
  return `ws://${host}:${port}${path}`;
}

function openSocket(url: string, opts: ConnectOptions): WebSocket {
  const protocols = [ENGINE_SUBPROTOCOL];
  const headers: Record<string, string> = {};
  if (opts.secret !== undefined) {
    if (opts.via === "subprotocol") protocols.push(`${BEARER_SUBPROTOCOL_PREFIX}${opts.secret}`);
    else headers.authorization = `Bearer ${opts.secret}`;
  }
  return new WebSocket(url, protocols, { headers, handshakeTimeout: 5000 });
}

/** Attempt an upgrade; report the HTTP status if it was refused, or "open" if it succeeded. */
export function tryUpgrade(host: string, port: number, opts: ConnectOptions): Promise<{ status: number | "open" | "error"; body?: string }> {
  return new Promise((resolve) => {
    const ws = openSocket(engineUrl(host, port, opts.path), opts);
    ws.on("unexpected-response", (_req, res) => {
      let body = "";
      res.on("data", (c: Buffer) => (body += c.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
      res.on("error", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on("open", () => {
      ws.close();
      resolve({ status: "open" });
    });
    ws.on("error", () => resolve({ status: "error" }));
  });
}

export class EngineTestClient {
  readonly received: Msg[] = [];
  private waiters: { pred: (m: Msg) => boolean; resolve: (m: Msg) => void }[] = [];
  private seq = 0;
  hello!: HelloMessage;
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      const msg = JSON.parse(String(data)) as Msg;
      this.received.push(msg);
      for (const w of [...this.waiters]) {
        if (w.pred(msg)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(msg);
        }
      }
    });
    ws.on("close", (code, reason) => (this.closed = { code, reason: reason.toString() }));
  }

  static connect(host: string, port: number, opts: ConnectOptions): Promise<EngineTestClient> {
    return new Promise((resolve, reject) => {
      const ws = openSocket(engineUrl(host, port, opts.path), opts);
      const client = new EngineTestClient(ws);
      const timer = setTimeout(() => reject(new Error("no hello within 5 s")), 5000);
      client
        .waitFor((m) => m.type === "hello")
        .then((hello) => {
          clearTimeout(timer);
          client.hello = hello as unknown as HelloMessage;
          resolve(client);
        }, reject);
      ws.on("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  waitFor(pred: (m: Msg) => boolean, timeoutMs = 5000): Promise<Msg> {
    const already = this.received.find(pred);
    if (already) return Promise.resolve(already);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timed out waiting for a message")), timeoutMs);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Send a request (an id is added) and wait for the reply carrying that id. */
  request(msg: Msg, timeoutMs = 10_000): Promise<Msg> {
    const id = `r${++this.seq}`;
    const reply = this.waitFor((m) => m.id === id, timeoutMs);
    this.ws.send(JSON.stringify({ ...msg, id }));
    return reply;
  }

  sendRaw(data: string | Buffer): void {
    this.ws.send(data);
  }

  close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.ws.once("close", () => resolve());
      this.ws.close();
    });
  }
}
