import type { EngineStart, StartProgress } from "./service";

/**
 * POST /api/apps/:id/engine: the start as Server-Sent Events — `progress` events, then
 * `ready` {engineId, wsUrl} or `failed` {message}.
 */
export function engineStartStream(start: EngineStart, appId: string): Response {
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let closed = false;
      const send = (event: string, data: unknown) => {
        if (closed) return;
        try {
          controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
        } catch {
          closed = true;
        }
      };
      const end = () => {
        if (closed) return;
        closed = true;
        try {
          controller.close();
        } catch {
          // the browser went away
        }
      };
      start.subscribe((e: StartProgress) => {
        if (e.stage === "ready" || e.stage === "failed") return; // answered by `done` below
        send("progress", { stage: e.stage, progress: e.progress, message: e.message });
      });
      start.done.then(
        () => {
          send("progress", { stage: "ready", progress: 100, message: "Engine ready" });
          send("ready", { engineId: start.engineId, wsUrl: `/ws/apps/${appId}` });
          end();
        },
        (err: unknown) => {
          send("failed", { message: err instanceof Error ? err.message : "The engine failed to start." });
          end();
        },
      );
    },
  });
  return new Response(stream, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-store", "x-accel-buffering": "no", connection: "keep-alive" },
  });
}
