/**
 * The state machine behind the workspace page: load the app, start (or find)
 * the engine with its progress stream, connect the WebSocket, load the model
 * when the engine has none, evaluate, save nodes, poll stats, and reconnect to
 * the same engine after a network blip (exponential backoff 0.5 s → 5 s).
 *
 * A plain class with an immutable snapshot, read by React through
 * useSyncExternalStore.
 */
import { api, toApiError } from "@/lib/ui/api-client";
import { EngineSocket, WS_CLOSE, socketUrl, type EngineBroadcast, type EngineReply, type HelloMessage } from "@/lib/ui/engine-socket";
import { EngineStartError, startEngine, type EngineProgress } from "@/lib/ui/engine-start";
import type { AppDetail, AppNode } from "@/lib/ui/types";

export type ResultKind = "scalar" | "array" | "table" | "object";

export type NodeResult =
  | { status: "pending"; previous?: NodeResult }
  | { status: "ok"; kind: ResultKind; value: unknown; computeMs: number; nodeComputeMs: number; cached: boolean }
  | { status: "error"; code: string; message: string; failedNodeId?: string };

export type EndReason = "session" | "forbidden" | "stopped" | "crashed" | "failed" | "disconnected";

export type Phase =
  | { kind: "loading" }
  | { kind: "starting"; progress: EngineProgress | null }
  | { kind: "connecting" }
  | { kind: "connected" }
  | { kind: "reconnecting"; attempt: number; progress: EngineProgress | null }
  | { kind: "ended"; reason: EndReason; message: string };

export interface WorkspaceSnapshot {
  app: AppDetail | null;
  nodes: AppNode[];
  results: Readonly<Record<string, NodeResult>>;
  phase: Phase;
  stats: { cpuPercent: number; memoryMiB: number } | null;
  saving: Readonly<Record<string, boolean>>;
  saveErrors: Readonly<Record<string, string>>;
  /** A passing remark (e.g. why the last connection dropped). */
  notice: string | null;
}

export const END_MESSAGES: Record<EndReason, string> = {
  session: "Your session has ended.",
  forbidden: "You no longer have access to this app.",
  stopped: "This engine was stopped.",
  crashed: "The engine stopped unexpectedly.",
  failed: "The engine could not be started.",
  disconnected: "The connection to the engine was lost.",
};

const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 5000;
const MAX_ATTEMPTS = 12;
const STATS_EVERY_MS = 5000;

export function backoffDelay(attempt: number): number {
  return Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, attempt - 1));
}

const INITIAL: WorkspaceSnapshot = {
  app: null,
  nodes: [],
  results: {},
  phase: { kind: "loading" },
  stats: null,
  saving: {},
  saveErrors: {},
  notice: null,
};

export class WorkspaceSession {
  private snap: WorkspaceSnapshot = INITIAL;
  private readonly listeners = new Set<() => void>();
  /** Bumped by start/stop: callbacks of an older generation do nothing. */
  private gen = 0;
  private socket: EngineSocket | null = null;
  private abort: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private statsTimer: ReturnType<typeof setInterval> | null = null;
  private attempt = 0;
  private readonly onOnline = () => {
    if (this.snap.phase.kind === "reconnecting" && this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      void this.reconnect(this.gen);
    }
  };

  constructor(readonly appId: string) {}

  // ------------------------------------------------------------ store

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): WorkspaceSnapshot => this.snap;
  getServerSnapshot = (): WorkspaceSnapshot => INITIAL;

  private set(patch: Partial<WorkspaceSnapshot>) {
    this.snap = { ...this.snap, ...patch };
    for (const l of this.listeners) l();
  }

  private setResult(nodeId: string, result: NodeResult) {
    this.set({ results: { ...this.snap.results, [nodeId]: result } });
  }

  // ------------------------------------------------------------ lifecycle

  /** Opens the workspace (idempotent per generation; safe under StrictMode's double effects). */
  start() {
    this.teardown();
    const gen = ++this.gen;
    window.addEventListener("online", this.onOnline);
    void this.boot(gen, true);
  }

  /** Leaves the page: closes the socket (the engine keeps running for other tabs). */
  stop() {
    this.gen++;
    this.teardown();
    window.removeEventListener("online", this.onOnline);
  }

  /** After "This engine was stopped" / "The engine stopped unexpectedly": start a (new) engine. */
  restart() {
    this.teardown();
    const gen = ++this.gen;
    this.set({ notice: null, stats: null });
    void this.boot(gen, true);
  }

  /** After giving up on reconnecting: try again now. */
  reconnectNow() {
    this.teardown();
    const gen = ++this.gen;
    this.attempt = 0;
    void this.reconnect(gen);
  }

  private teardown() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.stopStats();
    this.abort?.abort();
    this.abort = null;
    this.socket?.close();
    this.socket = null;
  }

  private end(reason: EndReason, message = END_MESSAGES[reason]) {
    this.teardown();
    this.set({ phase: { kind: "ended", reason, message }, stats: null });
  }

  private async boot(gen: number, fetchApp: boolean) {
    if (fetchApp || !this.snap.app) {
      this.set({ phase: { kind: "loading" } });
      try {
        const { app } = await api<{ app: AppDetail }>("GET", `/api/apps/${encodeURIComponent(this.appId)}`);
        if (gen !== this.gen) return;
        // Nodes already known (saved in this engine) win over the app's stored version only while the engine lives;
        // a fresh boot takes the app's nodes.
        this.set({ app, nodes: app.nodes });
      } catch (err) {
        if (gen !== this.gen) return;
        const e = toApiError(err);
        if (e.status === 401) return this.end("session");
        if (e.status === 404 || e.status === 403) return this.end("forbidden");
        return this.end("failed", e.message);
      }
    }
    this.set({ phase: { kind: "starting", progress: null } });
    const ok = await this.ensureEngine(gen, (progress) => this.set({ phase: { kind: "starting", progress } }));
    if (!ok || gen !== this.gen) return;
    this.set({ phase: { kind: "connecting" } });
    this.connect(gen);
  }

  /** POST the engine endpoint (idempotent). False when the workspace ended or a retry was scheduled. */
  private async ensureEngine(gen: number, onProgress: (p: EngineProgress) => void, retrying = false): Promise<boolean> {
    const abort = new AbortController();
    this.abort = abort;
    try {
      await startEngine(this.appId, (p) => gen === this.gen && onProgress(p), abort.signal);
      return gen === this.gen;
    } catch (err) {
      if (gen !== this.gen) return false;
      if (err instanceof EngineStartError) {
        if (err.kind === "session") this.end("session");
        else if (err.kind === "forbidden") this.end("forbidden");
        else if (err.kind === "network" || (retrying && err.status >= 500)) this.scheduleReconnect(gen);
        else this.end("failed", err.message);
      } else {
        this.scheduleReconnect(gen);
      }
      return false;
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }

  private connect(gen: number) {
    const socket = new EngineSocket(socketUrl(`/ws/apps/${encodeURIComponent(this.appId)}`), {
      onHello: (hello) => {
        if (gen === this.gen) void this.onHello(gen, socket, hello);
      },
      onBroadcast: (m) => {
        if (gen === this.gen) this.onBroadcast(socket, m);
      },
      onClose: (code) => {
        if (gen === this.gen) this.onClose(gen, code);
      },
    });
    this.socket = socket;
  }

  private async onHello(gen: number, socket: EngineSocket, hello: HelloMessage) {
    if (!hello.appLoaded) {
      const reply = await socket.request({ type: "load_app", nodes: this.snap.nodes.map((n) => ({ id: n.id, title: n.title, formula: n.formula })) }).catch(() => null);
      if (gen !== this.gen || !reply) return;
      if (reply.type === "error") {
        this.set({ notice: `The app could not be loaded into the engine: ${reply.message}` });
      }
    }
    this.attempt = 0;
    this.set({ phase: { kind: "connected" }, notice: null });
    this.startStats(gen, socket);
    this.evaluate(socket, this.snap.nodes.map((n) => n.id));
  }

  private onBroadcast(socket: EngineSocket, m: EngineBroadcast) {
    if (m.type === "node_changed") {
      const node: AppNode = { id: m.node.id, title: m.node.title ?? m.node.id, formula: m.node.formula };
      const known = this.snap.nodes.some((n) => n.id === node.id);
      const nodes = known ? this.snap.nodes.map((n) => (n.id === node.id ? { ...n, ...node, title: m.node.title ?? n.title } : n)) : [...this.snap.nodes, node];
      this.set({ nodes });
      if (m.created) this.evaluate(socket, [node.id]);
    } else if (m.type === "invalidated") {
      const ids = new Set(this.snap.nodes.map((n) => n.id));
      this.evaluate(
        socket,
        m.nodeIds.filter((id) => ids.has(id)),
      );
    } else {
      this.evaluate(
        socket,
        this.snap.nodes.map((n) => n.id),
      );
    }
  }

  private onClose(gen: number, code: number) {
    this.socket = null;
    this.stopStats();
    switch (code) {
      case WS_CLOSE.sessionEnded:
        return this.end("session");
      case WS_CLOSE.accessWithdrawn:
        return this.end("forbidden");
      case WS_CLOSE.engineStopped:
        return this.end("stopped");
      case WS_CLOSE.engineCrashed:
        return this.end("crashed");
      case WS_CLOSE.tooLarge:
        this.set({ notice: "A message was too large for the engine connection; reconnected." });
        return this.scheduleReconnect(gen);
      default:
        return this.scheduleReconnect(gen);
    }
  }

  private scheduleReconnect(gen: number) {
    if (gen !== this.gen) return;
    this.attempt += 1;
    if (this.attempt > MAX_ATTEMPTS) return this.end("disconnected");
    this.set({ phase: { kind: "reconnecting", attempt: this.attempt, progress: null }, stats: null });
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.reconnect(gen);
    }, backoffDelay(this.attempt));
  }

  /** Same engine: re-POST (idempotent; answers `ready` at once while it runs), then a new socket. */
  private async reconnect(gen: number) {
    if (gen !== this.gen) return;
    if (this.snap.phase.kind !== "reconnecting") this.set({ phase: { kind: "reconnecting", attempt: Math.max(1, this.attempt), progress: null } });
    const ok = await this.ensureEngine(
      gen,
      (progress) => {
        const phase = this.snap.phase;
        if (phase.kind === "reconnecting" && progress.progress < 100) this.set({ phase: { ...phase, progress } });
      },
      true,
    );
    if (!ok || gen !== this.gen) return;
    this.connect(gen);
  }

  // ------------------------------------------------------------ requests

  private evaluate(socket: EngineSocket, nodeIds: readonly string[]) {
    for (const nodeId of nodeIds) {
      const previous = this.snap.results[nodeId];
      this.setResult(nodeId, { status: "pending", previous: previous?.status === "pending" ? previous.previous : previous });
      socket.request({ type: "evaluate", nodeId }).then(
        (reply) => {
          if (socket !== this.socket) return;
          this.setResult(nodeId, resultOf(reply));
        },
        () => {
          // Disconnected: everything is evaluated again after reconnecting.
        },
      );
    }
  }

  /** Sends set_node; on success re-evaluates what the engine invalidated. */
  async saveNode(nodeId: string, formula: string): Promise<boolean> {
    const socket = this.socket;
    const node = this.snap.nodes.find((n) => n.id === nodeId);
    if (!node) return false;
    const errors = { ...this.snap.saveErrors };
    delete errors[nodeId];
    if (!socket || !socket.open || this.snap.phase.kind !== "connected") {
      this.set({ saveErrors: { ...errors, [nodeId]: "Not connected to the engine. Your edit is kept: save it again once connected." } });
      return false;
    }
    this.set({ saving: { ...this.snap.saving, [nodeId]: true }, saveErrors: errors });
    let reply: EngineReply | null = null;
    try {
      reply = await socket.request({ type: "set_node", node: { id: nodeId, title: node.title, formula } });
    } catch {
      reply = null;
    }
    const saving = { ...this.snap.saving };
    delete saving[nodeId];
    if (!reply) {
      this.set({ saving, saveErrors: { ...this.snap.saveErrors, [nodeId]: "The connection was lost before the change was saved. Your edit is kept." } });
      return false;
    }
    if (reply.type === "error") {
      const message = reply.code === "cycle" && reply.cycle ? `Circular reference: ${reply.cycle.join(" → ")}.` : reply.message;
      this.set({ saving, saveErrors: { ...this.snap.saveErrors, [nodeId]: message } });
      return false;
    }
    this.set({ saving, nodes: this.snap.nodes.map((n) => (n.id === nodeId ? { ...n, formula } : n)) });
    if (reply.type === "result" && reply.op === "set_node") {
      this.evaluate(socket, reply.invalidated.length > 0 ? reply.invalidated : [nodeId]);
    }
    return true;
  }

  private startStats(gen: number, socket: EngineSocket) {
    this.stopStats();
    const poll = () => {
      if (gen !== this.gen || socket !== this.socket) return;
      socket.request({ type: "get_stats" }).then(
        (reply) => {
          if (gen !== this.gen || socket !== this.socket) return;
          if (reply.type === "result" && reply.op === "get_stats") {
            this.set({ stats: { cpuPercent: reply.stats.cpuPercent, memoryMiB: reply.stats.rssBytes / 1048576 } });
          }
        },
        () => {},
      );
    };
    poll();
    this.statsTimer = setInterval(poll, STATS_EVERY_MS);
  }

  private stopStats() {
    if (this.statsTimer) clearInterval(this.statsTimer);
    this.statsTimer = null;
  }
}

function resultOf(reply: EngineReply): NodeResult {
  if (reply.type === "error") return { status: "error", code: reply.code, message: reply.message, failedNodeId: reply.failedNodeId };
  if (reply.type === "result" && reply.op === "evaluate") {
    return { status: "ok", kind: reply.kind, value: reply.value, computeMs: reply.computeMs, nodeComputeMs: reply.nodeComputeMs, cached: reply.cached };
  }
  return { status: "error", code: "internal", message: "Unexpected reply from the engine." };
}
