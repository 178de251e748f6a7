/**
 * Atrium's WebSocket proxy exactly as server.ts runs it (WorkspaceService + the same
 * upgrade handling: request id, client address, Origin/session/access checks, target
 * from the engines table, the engine's secret upstream), in a process of its own so the
 * benchmark can measure its memory and file descriptors. Next's HTTP handler is left
 * out: it plays no part in a WebSocket's path. Prints {"port": N} when listening.
 */
import { createServer } from "node:http";
import { config } from "@/lib/config";
import { CLIENT_IP_HEADER, REQUEST_ID_HEADER, newRequestId } from "@/lib/http/request-meta";
import { createDriver } from "@/lib/workspace/drivers";
import { WorkspaceService } from "@/lib/workspace/service";

const c = config();
const workspace = new WorkspaceService(await createDriver(c), c);
await workspace.start();
const server = createServer((_req, res) => {
  res.statusCode = 404;
  res.end();
});
server.on("upgrade", (req, socket, head) => {
  req.headers[REQUEST_ID_HEADER] = newRequestId();
  req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "";
  if (workspace.proxy.handleUpgrade(req, socket, head)) return;
  socket.end("HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: (server.address() as { port: number }).port })));
process.on("SIGTERM", () => {
  if (process.env.BENCH_SPARE_COUNTS) console.error(`atrium spare upstreams: ${JSON.stringify(workspace.proxy.spares.counts())}`);
  void workspace.stop().finally(() => process.exit(0));
});
