/**
 * Starting (or finding) the caller's engine of an app: `POST /api/apps/:id/engine`
 * answers with a `text/event-stream` (docs/workspaces.md). EventSource cannot
 * POST or send the CSRF header, so the stream is read with fetch and a reader.
 */
import { csrfToken, errorFrom } from "@/lib/ui/api-client";

export interface EngineProgress {
  stage: string;
  /** 0–100. */
  progress: number;
  message: string;
}

export interface EngineReady {
  engineId: string;
  wsUrl: string;
}

export type EngineStartFailure = "session" | "forbidden" | "failed" | "network";

export class EngineStartError extends Error {
  readonly kind: EngineStartFailure;
  readonly status: number;
  constructor(message: string, kind: EngineStartFailure, status = 0) {
    super(message);
    this.name = "EngineStartError";
    this.kind = kind;
    this.status = status;
  }
}

/** The stages the progress bar shows, in order. */
export const ENGINE_STAGES = ["Queued", "Creating", "Starting", "Waiting for engine", "Ready"] as const;

/** Index in ENGINE_STAGES of a stage name sent by the server (tolerant of its exact spelling). */
export function stageIndex(stage: string): number {
  const s = stage.toLowerCase();
  if (s.startsWith("queue") || s === "pending") return 0;
  if (s.startsWith("creat") || s.startsWith("spawn") || s.startsWith("pull")) return 1;
  if (s.startsWith("start") || s.startsWith("boot") || s.startsWith("launch")) return 2;
  if (s.startsWith("wait") || s.startsWith("loading") || s.startsWith("health") || s.startsWith("connect") || s.startsWith("probe")) return 3;
  if (s.startsWith("ready") || s.startsWith("running") || s === "done") return 4;
  return -1;
}

function asPercent(value: unknown, stage: string): number {
  let n = typeof value === "number" && Number.isFinite(value) ? value : NaN;
  if (Number.isNaN(n)) {
    const i = stageIndex(stage);
    n = i < 0 ? 0 : (i / (ENGINE_STAGES.length - 1)) * 100;
  } else if (n > 0 && n <= 1 && !Number.isInteger(n)) {
    n *= 100; // a fraction
  } else if (n === 1 && stageIndex(stage) === ENGINE_STAGES.length - 1) {
    n = 100;
  }
  return Math.max(0, Math.min(100, Math.round(n)));
}

function record(v: unknown): Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

function parseData(raw: string): Record<string, unknown> {
  try {
    return record(JSON.parse(raw));
  } catch {
    return {};
  }
}

/**
 * Starts the engine and resolves when it is ready; `onProgress` sees every
 * progress event. Rejects with EngineStartError (never redirects: the workspace
 * explains an ended session itself).
 */
export async function startEngine(appId: string, onProgress: (p: EngineProgress) => void, signal?: AbortSignal): Promise<EngineReady> {
  let res: Response;
  try {
    res = await fetch(`/api/apps/${encodeURIComponent(appId)}/engine`, {
      method: "POST",
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "text/event-stream", "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
      body: "{}",
      signal,
    });
  } catch (err) {
    if (signal?.aborted) throw err;
    throw new EngineStartError("Atrium could not be reached. Check your connection.", "network");
  }

  if (!res.ok || !res.body) {
    const text = await res.text().catch(() => "");
    let body: unknown = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = null;
    }
    const e = errorFrom(res.status, body, res.headers.get("Retry-After"));
    if (res.status === 401) throw new EngineStartError("Your session has ended.", "session", 401);
    if (res.status === 404 || (res.status === 403 && e.code === "forbidden")) throw new EngineStartError("You no longer have access to this app.", "forbidden", res.status);
    throw new EngineStartError(e.message, res.status >= 500 ? "failed" : "failed", res.status);
  }

  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<string>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal?.aborted) throw err;
        throw new EngineStartError("The connection to Atrium was interrupted while the engine was starting.", "network");
      }
      if (chunk.done) break;
      buffer += chunk.value.replace(/\r\n?/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith(":")) continue;
          const colon = line.indexOf(":");
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
          if (field === "event") event = value;
          else if (field === "data") data.push(value);
        }
        const payload = parseData(data.join("\n"));
        if (event === "progress") {
          const stage = typeof payload.stage === "string" ? payload.stage : "";
          onProgress({ stage, progress: asPercent(payload.progress, stage), message: typeof payload.message === "string" ? payload.message : "" });
        } else if (event === "ready") {
          onProgress({ stage: "ready", progress: 100, message: "Ready" });
          return {
            engineId: typeof payload.engineId === "string" ? payload.engineId : "",
            wsUrl: typeof payload.wsUrl === "string" ? payload.wsUrl : `/ws/apps/${appId}`,
          };
        } else if (event === "failed") {
          throw new EngineStartError(typeof payload.message === "string" && payload.message ? payload.message : "The engine could not be started.", "failed");
        }
      }
    }
  } finally {
    reader.cancel().catch(() => {});
  }
  throw new EngineStartError("The engine start was interrupted before the engine was ready.", "network");
}
