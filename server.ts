import { createServer, type IncomingMessage } from "node:http";
import next from "next";
import { config } from "@/lib/config";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER, newRequestId } from "@/lib/http/request-meta";
import { closeDb } from "@/lib/db/client";
import { closeRedis } from "@/lib/redis";
import { log } from "@/lib/log";
import { createDriver } from "@/lib/workspace/drivers";
import { WorkspaceService } from "@/lib/workspace/service";
import { setWorkspaceService } from "@/lib/workspace/runtime";

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

// Engine workspaces (docs/workspaces.md): the driver is chosen by ENGINE_DRIVER; a missing one stops start-up here.
const workspace = new WorkspaceService(await createDriver(c), c);
await workspace.start();
setWorkspaceService(workspace);

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

server.on("upgrade", (req, socket, head) => {
  req.headers[REQUEST_ID_HEADER] = newRequestId();
  req.headers[CLIENT_IP_HEADER] = clientIp(req);
  // /ws/apps/:id is the workspace proxy; nothing else upgrades.
  if (workspace.proxy.handleUpgrade(req, socket, head)) return;
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
  // Sockets get 1001 (reconnect); engines keep running and are re-attached by the next start.
  await workspace.stop().catch(() => undefined);
  setWorkspaceService(undefined);
  await Promise.allSettled([closeDb(), closeRedis()]);
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
