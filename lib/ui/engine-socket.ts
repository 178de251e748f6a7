/**
 * The browser's WebSocket to its engine, through the portal's proxy at
 * /ws/apps/:id (docs/workspaces.md). The session cookie authenticates it; the
 * browser speaks the engine protocol (docs/engine-protocol.md): requests carry
 * an id, replies echo it; broadcasts (no id) go to `onBroadcast`.
 */
import { ServerMessageSchema, type ClientMessage, type ServerMessage } from "@/engine/protocol";

/** Close codes the proxy sends the browser. */
export const WS_CLOSE = {
  sessionEnded: 4401,
  accessWithdrawn: 4403,
  engineStopped: 4404,
  engineCrashed: 4500,
  tooLarge: 1009,
  goingAway: 1001,
} as const;

export type HelloMessage = Extract<ServerMessage, { type: "hello" }>;
/** A reply to a request: a result, a pong or an error. */
export type EngineReply = Extract<ServerMessage, { type: "result" | "pong" | "error" }>;
export type EngineBroadcast = Extract<ServerMessage, { type: "node_changed" | "invalidated" | "app_loaded" }>;

type Request = ClientMessage extends infer M ? (M extends { id: string } ? Omit<M, "id"> : never) : never;

export class EngineDisconnected extends Error {
  constructor() {
    super("The connection to the engine was lost.");
    this.name = "EngineDisconnected";
  }
}

export interface EngineSocketHandlers {
  onHello: (hello: HelloMessage) => void;
  onBroadcast: (message: EngineBroadcast) => void;
  onClose: (code: number, reason: string) => void;
}

/** ws(s)://<this origin><path> */
export function socketUrl(path: string): string {
  return `${window.location.origin.replace(/^http/, "ws")}${path}`;
}

export class EngineSocket {
  private readonly ws: WebSocket;
  private readonly pending = new Map<string, { resolve: (r: EngineReply) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closed = false;

  constructor(url: string, private readonly handlers: EngineSocketHandlers) {
    this.ws = new WebSocket(url);
    this.ws.addEventListener("message", (e) => this.receive(e.data));
    this.ws.addEventListener("close", (e) => this.finish(e.code, e.reason));
  }

  get open(): boolean {
    return !this.closed && this.ws.readyState === WebSocket.OPEN;
  }

  /** Sends a request and resolves with its reply (an `error` reply resolves too). */
  request(message: Request): Promise<EngineReply> {
    if (!this.open) return Promise.reject(new EngineDisconnected());
    const id = String(this.nextId++);
    return new Promise<EngineReply>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      try {
        this.ws.send(JSON.stringify({ ...message, id }));
      } catch {
        this.pending.delete(id);
        reject(new EngineDisconnected());
      }
    });
  }

  /** Closes from this side (no onClose callback). */
  close() {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll();
    try {
      this.ws.close(1000, "closed by the page");
    } catch {
      // already closing
    }
  }

  private rejectAll() {
    for (const p of this.pending.values()) p.reject(new EngineDisconnected());
    this.pending.clear();
  }

  private finish(code: number, reason: string) {
    if (this.closed) return;
    this.closed = true;
    this.rejectAll();
    this.handlers.onClose(code, reason);
  }

  private receive(data: unknown) {
    if (this.closed || typeof data !== "string") return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      return;
    }
    const r = ServerMessageSchema.safeParse(parsed);
    if (!r.success) return;
    const m = r.data;
    switch (m.type) {
      case "hello":
        this.handlers.onHello(m);
        return;
      case "node_changed":
      case "invalidated":
      case "app_loaded":
        this.handlers.onBroadcast(m);
        return;
      default: {
        if (m.id === null) return;
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        p.resolve(m);
      }
    }
  }
}
