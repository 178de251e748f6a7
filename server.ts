import { createServer, type IncomingMessage } from "node:http";
import next from "next";
import { config } from "@/lib/config";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER, newRequestId } from "@/lib/http/request-meta";
import { closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { log } from "@/lib/log";

/**
 * Atrium's process: Next's handler for HTTP; WebSocket upgrades are routed here
 * too (the workspace proxy plugs in at `server.on("upgrade")`). It stamps each
 * request with a request id and the client's address — replacing anything the
 * client sent under those names — and shuts down gracefully on SIGTERM.
 */
const c = config();
const dev = c.NODE_ENV !== "production";
const app = next({ dev, hostname: c.HOST, port: c.PORT, dir: process.cwd() });
const handle = app.getRequestHandler();

function clientIp(req: IncomingMessage): string {
  if (c.TRUST_PROXY) {
    const forwarded = req.headers["x-forwarded-for"];
    const first = (Array.isArray(forwarded) ? forwarded[0] : forwarded)?.split(",")[0]?.trim();
    if (first) return first;
  }
  return req.socket.remoteAddress ?? "";
}

await app.prepare();

const server = createServer((req, res) => {
  const requestId = newRequestId();
  req.headers[REQUEST_ID_HEADER] = requestId;
  req.headers[CLIENT_IP_HEADER] = clientIp(req);
  res.setHeader("x-request-id", requestId);
  handle(req, res).catch((err: unknown) => {
    log().error({ err, requestId }, "unhandled error");
    if (!res.headersSent) {
      res.statusCode = 500;
      res.setHeader("content-type", "text/plain");
      res.end(`Internal error. Reference: ${requestId}`);
    }
  });
});

server.on("upgrade", (req, socket) => {
  // No WebSocket endpoints yet (the workspace proxy comes with engines): refuse cleanly.
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
});

server.keepAliveTimeout = 65_000;
server.listen(c.PORT, c.HOST, () => {
  log().info({ url: c.PUBLIC_ORIGIN, listen: `${c.HOST}:${c.PORT}`, dev }, "Atrium is listening");
});

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log().info({ signal }, "shutting down");
  const forced = setTimeout(() => process.exit(1), 10_000);
  forced.unref();
  server.close();
  server.closeIdleConnections();
  await Promise.allSettled([closeDb(), closeRedis()]);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
