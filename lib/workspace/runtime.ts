import { AppError } from "@/lib/http/errors";
import type { WorkspaceService } from "./service";

/**
 * The process's workspace service, started by server.ts. Next's route bundles and the
 * custom server are separate module graphs in one process, so the instance lives on
 * globalThis; routes only import this file (and types), never the service's code.
 */
const g = globalThis as unknown as { atriumWorkspace?: WorkspaceService };

export function setWorkspaceService(s: WorkspaceService | undefined): void {
  g.atriumWorkspace = s;
}

export function workspaceService(): WorkspaceService {
  const s = g.atriumWorkspace;
  if (!s) throw new AppError(503, "workspaces_unavailable", "Workspaces are not available on this server (it was not started through server.ts).");
  return s;
}

/**
 * Runs a service call from a route. The service was loaded by server.ts's module graph, so
 * its AppErrors are instances of *that* graph's class; re-create them with this one so the
 * route wrapper answers 404/409/429 instead of 500.
 */
export async function workspaceCall<T>(fn: (s: WorkspaceService) => Promise<T>): Promise<T> {
  try {
    return await fn(workspaceService());
  } catch (err) {
    if (err instanceof AppError) throw err;
    const e = err as { status?: unknown; code?: unknown; message?: unknown; details?: unknown; name?: unknown };
    if (err instanceof Error && typeof e.status === "number" && e.status >= 400 && e.status < 500 && typeof e.code === "string") {
      throw new AppError(e.status, e.code, String(e.message), e.details);
    }
    throw err;
  }
}
