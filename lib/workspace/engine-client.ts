import WebSocket from "ws";

/**
 * A short-lived portal → engine conversation (load_app after start, get_stats for the
 * admin list): connect with the engine's secret, wait for hello, send one request, await
 * the reply with the same id.
 */
export interface EngineAddress {
  host: string;
  port: number;
  secret: string;
}

export function engineUrl(a: { host: string; port: number }): string {
  const host = a.host.includes(":") ? `[${a.host}]` : a.host;
  return `ws://${host}:${a.port}/ws`;
}

export function engineRequest<T = Record<string, unknown>>(a: EngineAddress, request: Record<string, unknown> & { id: string }, timeoutMs: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const ws = new WebSocket(engineUrl(a), { headers: { authorization: `Bearer ${a.secret}` }, handshakeTimeout: timeoutMs, perMessageDeflate: false });
    let done = false;
    const finish = (err: Error | null, value?: T) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.removeAllListeners("message");
      ws.on("error", () => undefined);
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.terminate();
      if (err) reject(err);
      else resolve(value as T);
    };
    const timer = setTimeout(() => finish(new Error(`engine did not answer ${String(request.type)} within ${timeoutMs} ms`)), timeoutMs);
    let sent = false;
    ws.on("message", (data) => {
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(String(data)) as Record<string, unknown>;
      } catch {
        return;
      }
      if (!sent && msg.type === "hello") {
        sent = true;
        ws.send(JSON.stringify(request));
        return;
      }
      if (msg.id !== request.id) return;
      if (msg.type === "error") finish(new Error(typeof msg.message === "string" ? msg.message : "engine error"));
      else finish(null, msg as T);
    });
    ws.on("error", (err) => finish(err));
    ws.on("close", () => finish(new Error("engine closed the connection")));
  });
}
